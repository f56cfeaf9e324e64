"""An institution's own lifecycle variant, and what validation refuses."""

import tempfile
from pathlib import Path

import attrs

from stageborging import Actor, DefinitionError, Engine, FieldSpec, Transition
from stageborging.lifecycles import mbo_bpv

base = mbo_bpv()

# ROC Voorbeeld lets a student pause the search (exams, for instance) and resume it.
pause = Transition(
    "pause_search",
    sources=["searching", "assisted_search"],
    dest="search_paused",
    roles=["student", "coach"],
    fields=[FieldSpec("reason", "code", codes=("exams", "personal", "other"))],
)
resume = Transition("resume_search", ["search_paused"], "searching", ["student", "coach"])


def also_from_paused(t: Transition) -> Transition:
    """A student who leaves the programme can be withdrawn from the new state too."""
    if t.trigger == "withdraw":
        return attrs.evolve(t, sources=[*t.sources, "search_paused"])
    return t


roc_bpv = attrs.evolve(
    base,
    name="roc_bpv",  # a new name: the built-in mbo_bpv stays as it is
    description="ROC Voorbeeld BPV",
    states=[*base.states, "search_paused"],
    transitions=[*map(also_from_paused, base.transitions), pause, resume],
    phases={"search_paused": "searching"},  # a new state belongs to a canonical phase
)

# What validation refuses: each attempt raises DefinitionError naming the element.
attempts = {
    "a hard guard dropped": lambda: attrs.evolve(
        roc_bpv,
        transitions=[
            attrs.evolve(t, guards=()) if t.trigger == "confirm_signatures" else t
            for t in roc_bpv.transitions
        ],
    ),
    "a shortcut past the signatures": lambda: attrs.evolve(
        roc_bpv,
        transitions=[
            *roc_bpv.transitions,
            Transition("fast_track", ["agreement_pending"], "ready_to_start", ["placement_office"]),
        ],
    ),
    "a state nobody reaches": lambda: attrs.evolve(roc_bpv, states=[*roc_bpv.states, "limbo"]),
    "a way out of a final state": lambda: attrs.evolve(
        roc_bpv,
        transitions=[
            *roc_bpv.transitions,
            Transition("reopen", ["completed"], "searching", ["coach"]),
        ],
    ),
    "an unknown role": lambda: attrs.evolve(
        roc_bpv,
        transitions=[
            *roc_bpv.transitions,
            Transition("nudge", ["searching"], "searching", ["dean"]),
        ],
    ),
}
for what, attempt in attempts.items():
    try:
        attempt()
    except DefinitionError as error:
        print(f"{what}: {error}")

student = Actor("stu-4711", "student")
coach = Actor("coach-3", "coach")
with (
    tempfile.TemporaryDirectory() as tmp,
    Engine(Path(tmp) / "roc.db", lifecycles=[roc_bpv]) as engine,
):
    details = {
        "student": "stu-4711",
        "programme": "ict-25604",
        "qualification": "25604",
        "level": 3,
        "track": "BBL",
        "planned_start": "2027-02-01",
        "planned_end": "2027-06-30",
        "planned_hours": 640,
        "turns_18_on": "2025-09-01",
    }
    sid = engine.open("roc_bpv", actor=coach, data=details).stream_id
    engine.fire(sid, "begin_search", actor=student)
    event = engine.fire(sid, "pause_search", actor=student, data={"reason": "exams"})
    print(f"{event.name}: {event.from_state} -> {event.to_state}")
    print(f"digest stamped on the event: {event.definition == roc_bpv.digest}")
    print(f"built-in mbo_bpv unchanged: {engine.lifecycle('mbo_bpv').digest == base.digest}")
