"""The discrimination report (case): consent is the hard gate, the roles of DOMAIN §8b,
signposting without consent, anonymous reports registered only, the wait for an
external body, and no founded outcome without a hearing."""

from __future__ import annotations

from typing import Any

import pytest

from stageborging import Actor, Engine, EventType, InvalidInput, InvalidTransition, Refused
from support import ADVISOR, COACH, HANDLER, STUDENT

SIGNPOSTED = {"signposted": ["sbb_meldpunt", "police"]}
CONSENT = {"form": "written", "given_by": "affected_student"}


def refusal(excinfo: pytest.ExceptionInfo[Refused]) -> set[str]:
    """The codes of the blocking findings of a refusal."""
    return {f.code for f in excinfo.value.findings if f.blocks}


def open_case(engine: Engine, actor: Actor = STUDENT, **details: Any) -> str:
    """A report taken in: acknowledged, intake held (with its signposting)."""
    data = {"phase": "search", "ground": "origin", **details}
    sid = engine.open("case", actor=actor, data=data).stream_id
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    engine.fire(sid, "hold_intake", actor=ADVISOR, data=SIGNPOSTED)
    return sid


def test_intake_records_the_signposting_given_without_consent(engine: Engine) -> None:
    """Telling the student of SBB, the police … needs no consent, and is on record."""
    sid = open_case(engine)
    assert engine.stream(sid).facts["signposted"] == ("police", "sbb_meldpunt")
    engine.fire(sid, "register_only", actor=ADVISOR)  # the student wants no action
    engine.record(sid, "signposting", actor=ADVISOR, data={"signposted": ["student_union"]})
    assert engine.stream(sid).facts["signposted"] == ("police", "sbb_meldpunt", "student_union")
    with pytest.raises(InvalidInput) as info:
        engine.fire(open_case_at_acknowledged(engine), "hold_intake", actor=ADVISOR)
    assert info.value.field == "data.signposted"


def open_case_at_acknowledged(engine: Engine) -> str:
    sid = engine.open("case", actor=STUDENT, data={"phase": "search"}).stream_id
    engine.fire(sid, "acknowledge", actor=ADVISOR)
    return sid


@pytest.mark.parametrize(
    ("move", "name", "actor", "data"),
    [
        ("record", "employer_hearing", HANDLER, {"held_on": "2027-01-12"}),
        ("fire", "refer", HANDLER, {"to": "sbb_meldpunt"}),
    ],
)
def test_hearing_and_referral_need_consent(
    engine: Engine, move: str, name: str, actor: Actor, data: dict[str, str]
) -> None:
    """Without consent nothing is passed on: the attempt is refused and on record."""
    sid = open_case(engine)
    engine.fire(sid, "register_only", actor=ADVISOR)
    command = engine.fire if move == "fire" else engine.record
    with pytest.raises(Refused) as info:
        command(sid, name, actor=actor, data=data)
    assert refusal(info) == {"consent.missing"}
    assert engine.history(sid)[-1].type is EventType.REFUSED
    assert engine.stream(sid).state == "registered_only"
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    command(sid, name, actor=actor, data=data)


def test_the_affected_student_gives_consent_when_the_report_names_one(engine: Engine) -> None:
    """A coach reports about a student: only that student's consent counts."""
    sid = open_case(engine, COACH, student="stu-9", reporter="staff")
    with pytest.raises(Refused) as info:
        engine.fire(sid, "give_consent", actor=ADVISOR, data={**CONSENT, "given_by": "reporter"})
    assert refusal(info) == {"consent.not_affected_student"}
    event = engine.fire(sid, "give_consent", actor=HANDLER, data=CONSENT)
    assert event.to_state == "investigating"


def test_an_anonymous_report_is_registered_only(engine: Engine) -> None:
    """Nobody can consent for an anonymous reporter: no hearing, no referral, ever."""
    sid = open_case(engine, ADVISOR, reporter="anonymous")
    for given_by in ("reporter", "affected_student"):
        with pytest.raises(Refused) as info:
            engine.fire(sid, "give_consent", actor=ADVISOR, data={**CONSENT, "given_by": given_by})
        assert refusal(info) == {"consent.anonymous"}
    engine.fire(sid, "register_only", actor=ADVISOR)
    with pytest.raises(Refused):
        engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})


def test_a_referral_waits_for_the_external_outcome(engine: Engine) -> None:
    """SBB hears company and school: the case waits, then records what SBB decided."""
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    assert engine.fire(sid, "refer", actor=HANDLER, data={"to": "sbb_meldpunt"}).to_state == (
        "awaiting_external"
    )
    with pytest.raises(InvalidTransition):  # nothing to decide while SBB decides
        engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    engine.fire(sid, "record_external_outcome", actor=HANDLER, data={"outcome": "founded"})
    assert engine.stream(sid).facts["external_outcome"] == "founded"
    engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    assert engine.stream(sid).facts["outcome"] == "founded"


def test_consent_withdrawn_while_waiting_is_respected(engine: Engine) -> None:
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    engine.fire(sid, "refer", actor=HANDLER, data={"to": "antidiscrimination_bureau"})
    assert engine.fire(sid, "withdraw_consent", actor=ADVISOR).to_state == "registered_only"
    with pytest.raises(Refused) as info:
        engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})
    assert refusal(info) == {"consent.missing"}


def test_a_case_registered_only_is_never_founded(engine: Engine) -> None:
    """Nobody was heard: founded is refused, the other outcomes are not."""
    sid = open_case(engine)
    engine.fire(sid, "register_only", actor=ADVISOR)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    assert refusal(info) == {"outcome.registered_only"}
    engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "undetermined"})


def test_founded_needs_a_hearing(engine: Engine) -> None:
    """With consent but without a hearing (or an external founded outcome): not founded."""
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    assert refusal(info) == {"outcome.not_heard"}
    engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})
    engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})


def test_the_advisor_supports_and_the_handler_hears(engine: Engine) -> None:
    """The confidential advisor never holds a hearing; the case handler does (§8b)."""
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    with pytest.raises(Refused) as info:
        engine.record(sid, "employer_hearing", actor=ADVISOR, data={"held_on": "2027-01-12"})
    assert refusal(info) == {"role.not_allowed"}
    with pytest.raises(Refused):
        engine.fire(sid, "refer", actor=ADVISOR, data={"to": "sbb_meldpunt"})


def test_no_facts_after_the_end(engine: Engine) -> None:
    """After the outcome no hearing is held, even though consent was once given."""
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data=CONSENT)
    engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})
    engine.fire(sid, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    with pytest.raises(InvalidInput, match="not recorded in state 'outcome_recorded'"):
        engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})
    engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
    engine.fire(sid, "close", actor=ADVISOR)
    with pytest.raises(InvalidInput, match="not recorded in state 'closed'"):
        engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})


def test_withdrawn_consent_is_respected(engine: Engine) -> None:
    """After consent is withdrawn, a hearing is refused again."""
    sid = open_case(engine)
    engine.fire(sid, "give_consent", actor=ADVISOR, data={**CONSENT, "form": "verbal"})
    engine.fire(sid, "withdraw_consent", actor=ADVISOR)
    with pytest.raises(Refused):
        engine.record(sid, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-12"})


def test_close_needs_feedback_to_the_reporter(engine: Engine) -> None:
    """A case is closed only after the reporter heard back."""
    sid = open_case(engine)
    engine.fire(sid, "register_only", actor=ADVISOR)
    engine.fire(sid, "record_outcome", actor=ADVISOR, data={"outcome": "undetermined"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "close", actor=ADVISOR)
    assert refusal(info) == {"feedback.missing"}
    engine.record(sid, "reporter_feedback", actor=ADVISOR, data={"channel": "written"})
    assert engine.fire(sid, "close", actor=ADVISOR).to_state == "closed"
