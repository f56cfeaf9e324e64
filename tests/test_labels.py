"""Labels for people: every built-in state, event type and role has one in each language."""

from __future__ import annotations

import pytest

from stageborging.core import LABELS, EventType, InvalidInput, Role, label
from stageborging.lifecycles import builtin, released
from stageborging.lifecycles.case import EXTERNAL_OUTCOMES, OUTCOMES
from stageborging.lifecycles.employer import FLAGS


def test_every_built_in_state_event_type_and_role_has_its_labels() -> None:
    """A new state, type or role without labels fails here, not on an auditor's page."""
    states = {state for definition in (*builtin(), *released()) for state in definition.states}
    assert set(LABELS["state"]) == states
    assert set(LABELS["type"]) == {t.value for t in EventType}
    assert set(LABELS["role"]) == {r.value for r in Role}
    assert set(LABELS["lifecycle"]) == {d.name for d in builtin()}
    assert set(LABELS["outcome"]) == {*OUTCOMES, *EXTERNAL_OUTCOMES}
    assert set(LABELS["flag"]) == set(FLAGS)
    for codes in LABELS.values():
        for english, dutch in codes.values():
            assert english.strip() == english != ""
            assert dutch.strip() == dutch != ""


def test_a_page_names_a_code_in_its_language_or_as_it_is() -> None:
    assert label("state", "agreement_pending", "nl") == "overeenkomst in ondertekening"
    assert label("role", "case_handler", "en") == "case handler"
    assert label("state", "an_institutions_own_state", "nl") == "an_institutions_own_state"


def test_a_kind_a_language_or_a_code_of_the_wrong_sort_is_named() -> None:
    for kind, code, lang, field in (("event", "opened", "nl", "kind"),
                                    ("type", "opened", "de", "lang"),
                                    ("state", None, "nl", "code")):  # fmt: skip
        with pytest.raises(InvalidInput) as raised:
            label(kind, code, lang)  # type: ignore[arg-type]
        assert raised.value.field == field
