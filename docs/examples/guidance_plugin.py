"""An institution's guidance steps, from registration to the gaps an auditor lists.

A cohort member starts searching on Monday 1 March 2027; the clock is moved and
``tick`` escalates what was missed, exactly once.
"""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from stageborging import Actor, Engine, GuidanceStep, PluginError, hookimpl
from stageborging.testing import FakeClock, Journey

SEARCHING = ("searching", "assisted_search", "placement_proposed", "employer_verified",
             "agreement_pending")  # fmt: skip


class RocGuidance:
    """The ROC's guidance agreements: what must happen by when, and who hears when it does not."""

    name = "roc-guidance"

    @hookimpl
    def stageborging_guidance_steps(self):
        return [
            GuidanceStep(
                name="search_check_in",
                anchor="entered:searching",
                role="coach",
                offset=2,
                unit="weeks",
                every=2,
                done_by="guidance_contact",
                description="Check in with a searching student every two weeks.",
                description_nl="Spreek een zoekende student elke twee weken.",
            ),
            GuidanceStep(
                name="search_escalation",
                anchor="entered:searching",
                role="coach",
                offset=6,
                unit="weeks",
                action="fire",
                trigger="request_assistance",
                escalate_to="placement_office",
                description="Six weeks without a place: assisted search.",
                description_nl="Zes weken zonder plek: begeleid zoeken.",
            ),
            GuidanceStep(
                name="all_signatures",
                anchor="planned_start",
                role="placement_office",
                offset=-5,
                unit="working_days",
                states=SEARCHING,
                done_by="confirm_signatures",
                description="Every signature five working days before the start.",
                description_nl="Alle handtekeningen binnen, vijf werkdagen voor de start.",
            ),
        ]


class MisspelledState:
    name = "roc-typo"

    @hookimpl
    def stageborging_guidance_steps(self):
        return [GuidanceStep(name="check_in", anchor="entered:search", role="coach")]


def main() -> None:
    clock = FakeClock(datetime(2027, 3, 1, 9, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "school.db"
        with Engine(db, plugins=[RocGuidance()], clock=clock) as engine:
            journey = Journey(engine, clock)
            sid = journey.open(planned_start="2027-06-01", planned_end="2027-09-30")
            journey.search(sid)
            for item in engine.due(within=120):
                print(f"due {item.due_at:%Y-%m-%d} {item.step} ({item.role})")

            clock.set("2027-03-16")  # the first check-in was due on Monday 15 March
            print(engine.tick())
            engine.record(sid, "guidance_contact", actor=Actor("coach-1", "coach"),
                          data={"moment": "other"})  # fmt: skip
            clock.set("2027-04-13")  # six weeks searching on Monday 12 April
            print(engine.tick())
            print("again:", engine.tick())
            print("state:", engine.stream(sid).state)
            for gap in engine.guidance_gaps():
                print(f"gap {gap.step}: due {gap.due_at:%Y-%m-%d}, {gap.action} {gap.role}")
            print("verified:", not engine.verify().breaks)
        try:
            Engine(db, plugins=[MisspelledState()])
        except PluginError as error:
            print(f"refused to start: {error}")


if __name__ == "__main__":
    main()
