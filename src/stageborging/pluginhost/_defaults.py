"""The *default* rules of DOMAIN.md §4 and the case deadlines of §5, as plugins an
institution may replace.

Hard rules are not here: they live in the lifecycle definitions' guards and
cannot be unregistered. These defaults can be turned off with
``Engine(..., defaults=False)`` (or one of them with ``block=[name]``) and replaced
by an institution's own checks and steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import Finding, GuidanceStep, Stream, finding
from ..hookspecs import hookimpl
from ..lifecycles import Transition

__all__ = ["CASE_STEPS", "CaseDeadlines", "DefaultRules"]

#: The states of a case before its outcome is recorded.
_OPEN = ("received", "acknowledged", "intake_held", "investigating", "awaiting_external",
         "registered_only")  # fmt: skip

#: A report's deadlines (DOMAIN §5, §8b: our defaults, modelled on SBB's reply time to
#: school complaints, not law), counted in working days from the day it was received.
CASE_STEPS = (
    GuidanceStep(
        name="case_acknowledgement", anchor="entered:received", offset=3, unit="working_days",
        role="confidential_advisor", done_by="acknowledge", kind="case",
        description="The report acknowledged within three working days.",
        description_nl="De melding binnen drie werkdagen bevestigd.",
    ),
    GuidanceStep(
        name="case_intake", anchor="entered:received", offset=5, unit="working_days",
        role="confidential_advisor", states=("received", "acknowledged"),
        done_by="hold_intake", kind="case",
        description="The intake held within five working days of the report.",
        description_nl="Het intakegesprek binnen vijf werkdagen na de melding.",
    ),
    GuidanceStep(
        name="case_open_long", anchor="entered:received", offset=30, unit="working_days",
        role="confidential_advisor", states=(*_OPEN, "outcome_recorded"), done_by="close",
        escalate_to="team_lead", kind="case",
        description="A case still open after thirty working days goes to the team lead.",
        description_nl="Een melding die na dertig werkdagen nog openstaat, gaat naar de "
        "teamleider.",
    ),
)  # fmt: skip


class CaseDeadlines:
    """The report's deadlines as guidance steps: acknowledged in 3 working days, intake
    in 5, the team lead told after 30 (for every lifecycle of kind ``case``)."""

    name = "stageborging.case_deadlines"

    @hookimpl
    def stageborging_guidance_steps(self) -> tuple[GuidanceStep, ...]:
        return CASE_STEPS


class DefaultRules:
    """Required agreement fields on ``draft_agreement``; end date or hours on ``finish``."""

    name = "stageborging.defaults"

    @hookimpl
    def stageborging_check_transition(
        self, stream: Stream, transition: Transition, data: Mapping[str, Any], now: datetime
    ) -> list[Finding] | None:
        if transition.trigger == "finish":
            return self._finish(stream, now)
        present = next((f for f in transition.fields if f.name == "fields_present"), None)
        if present is None:
            return None
        missing = [code for code in present.codes if code not in data.get("fields_present", ())]
        if missing:
            return [finding("agreement.fields_missing", missing=", ".join(missing))]
        return None

    @staticmethod
    def _finish(stream: Stream, now: datetime) -> list[Finding] | None:
        details = stream.facts["details"]
        end, planned = details.get("planned_end"), details.get("planned_hours")
        hours = stream.facts.get("hours", 0)
        end_reached = end is not None and now.date().isoformat() >= end
        hours_met = planned is not None and hours >= planned
        if end_reached or hours_met:
            return None
        return [finding("finish.too_early", end=end, hours=hours, planned=planned)]
