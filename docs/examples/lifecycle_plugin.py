"""A plugin that contributes an institution's own lifecycle (stageborging_lifecycles)."""

import tempfile
from pathlib import Path

import attrs

from stageborging import Actor, Engine, PluginError, Transition, hookimpl
from stageborging.lifecycles import mbo_bpv


class RocIntake:
    """The ROC's BPV variant: a school intake before orientation."""

    name = "roc-intake"

    @hookimpl
    def stageborging_lifecycles(self):
        base = mbo_bpv()
        withdraw = base.transitions_by_trigger["withdraw"]
        transitions = [
            Transition("finish_intake", ["intake"], "orientation", ["coach", "placement_office"]),
            *(t for t in base.transitions if t.trigger != "withdraw"),
            attrs.evolve(withdraw, sources=(*withdraw.sources, "intake")),
        ]
        return [
            attrs.evolve(
                base,
                name="roc_bpv",
                description="ROC BPV with an intake",
                states=("intake", *base.states),
                initial="intake",
                phases={"intake": "orientation"},
                transitions=transitions,
            )
        ]


class SkipsSigning:
    """A variant that lets a placement start without signatures: refused at start-up."""

    name = "roc-shortcut"

    @hookimpl
    def stageborging_lifecycles(self):
        base = mbo_bpv()
        unsigned = [
            attrs.evolve(t, guards=()) if t.trigger == "confirm_signatures" else t
            for t in base.transitions
        ]
        return [attrs.evolve(base, name="quick_bpv", transitions=unsigned)]


def main() -> None:
    office = Actor("po-1", "placement_office")
    details = {"student": "stu-1", "programme": "ict", "qualification": "25604", "level": 4,
               "track": "BOL", "planned_start": "2027-02-01", "planned_end": "2027-06-30",
               "planned_hours": 640, "turns_18_on": "2025-09-01"}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "school.db"
        with Engine(db, plugins=[RocIntake()]) as engine:
            sid = engine.open("roc_bpv", actor=office, data=details).stream_id
            print(
                engine.stream(sid).state,
                "->",
                engine.fire(sid, "finish_intake", actor=office).to_state,
            )
        try:
            Engine(db, plugins=[SkipsSigning()])
        except PluginError as error:
            print(f"refused to start: {error}")


if __name__ == "__main__":
    main()
