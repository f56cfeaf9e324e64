"""Guidance steps the tests register (a module, so spawned processes can import them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stageborging import GuidanceStep, hookimpl

#: The states before the agreement is confirmed.
BEFORE_SIGNED = ("searching", "assisted_search", "placement_proposed", "employer_verified",
                 "agreement_pending")  # fmt: skip

CHECK_IN = GuidanceStep(
    name="search_check_in",
    anchor="entered:searching",
    role="coach",
    offset=2,
    unit="weeks",
    every=2,
    done_by="guidance_contact",
)
ESCALATION = GuidanceStep(
    name="search_escalation",
    anchor="entered:searching",
    role="coach",
    offset=6,
    unit="weeks",
    action="fire",
    trigger="request_assistance",
    escalate_to="placement_office",
)
SIGNATURES = GuidanceStep(
    name="all_signatures",
    anchor="planned_start",
    role="placement_office",
    offset=-5,
    unit="working_days",
    states=BEFORE_SIGNED,
    done_by="confirm_signatures",
)
VERIFICATION = GuidanceStep(
    name="employer_verification",
    anchor="entered:placement_proposed",
    role="placement_office",
    offset=5,
    unit="working_days",
    done_by="verify_employer",
    action="propose",
    trigger="cancel_placement",
)


class Steps:
    """A plugin registering *steps* (the check-in and the escalation by default)."""

    name = "roc-steps"

    def __init__(self, *steps: GuidanceStep) -> None:
        self.steps: Sequence[GuidanceStep] = steps or (CHECK_IN, ESCALATION)

    @hookimpl
    def stageborging_guidance_steps(self) -> Sequence[GuidanceStep]:
        return self.steps


def steps(**changes: Any) -> Steps:
    """The default steps, the check-in changed by *changes* (settings of another year)."""
    from attrs import evolve

    return Steps(evolve(CHECK_IN, **changes), ESCALATION)
