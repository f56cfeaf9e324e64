"""The facts projection: what a stream knows besides its state.

Facts are a plain JSON-compatible mapping folded from the stream's events by
:func:`apply`. The engine applies each new event to the stored facts; replaying
every event from the start must give the same result (the test suite checks
this after every step of random command sequences).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..core import EventType
from ._corrections import corrected_seqs
from ._definition import LifecycleDefinition
from ._imports import imported_facts
from ._institution import noted
from ._model import Effect
from ._standing import EMPLOYER_EFFECTS, employer_effect

__all__ = ["PLAN", "advance", "apply", "effects_of", "fold", "initial_facts"]

#: The planned dates and hours of an internship, which a reschedule changes.
PLAN = ("planned_start", "planned_end", "planned_hours")

Facts = dict[str, Any]


def initial_facts(details: Mapping[str, Any]) -> Facts:
    """The facts of a stream just opened with *details* (its validated open data)."""
    return {"details": dict(details)}


def fold(
    events: Iterable[Mapping[str, Any]], definition_of: Callable[[str], LifecycleDefinition]
) -> Facts:
    """The facts after *events*: mappings of ``type``, ``name``, ``definition`` and ``body``.

    ``definition`` is the digest the event was stamped with: *definition_of* gives
    the definition that says what the event's effects are, so a stream that was
    migrated is folded event by event under the version in force at the time.
    ``body`` is the decoded event body: ``data`` and ``date`` (the institution's
    calendar date of the event) are what effects read, with ``seq`` and the actor's
    ``role``. The first event must be
    the ``opened`` one. An event whose ``seq`` a ``corrected`` event names is left out.
    """
    listed = list(events)
    corrected = corrected_seqs(listed)
    iterator = iter(listed)
    facts = initial_facts(next(iterator)["body"]["data"])
    for event in iterator:
        if event.get("seq") in corrected:
            continue  # its effect is taken back: the facts are as if it was never recorded
        facts = advance(facts, event, definition_of)
    return facts


def advance(
    facts: Facts,
    event: Mapping[str, Any],
    definition_of: Callable[[str], LifecycleDefinition],
) -> Facts:
    """The facts after one more *event* (as :func:`fold` reads them) that is no opening
    and no correction."""
    body = event["body"]
    if event["type"] == EventType.IMPORTED:
        return imported_facts(facts, body["data"])
    if event["type"] == EventType.NOTED:
        return noted(facts, event["name"], body["data"])
    effects = effects_of(definition_of(event["definition"]), event["type"], event["name"])
    if not effects:
        return facts
    return apply(facts, effects, body["data"], body["date"], event["seq"], event["role"])


def effects_of(definition: LifecycleDefinition, event_type: str, name: str) -> tuple[Effect, ...]:
    """The effects an event of *event_type* named *name* has under *definition*."""
    if event_type == EventType.TRANSITIONED:
        return definition.transitions_by_trigger[name].effects
    if event_type == EventType.RECORDED:
        return (definition.facts_by_name[name].effect,)
    return ()


def _clear_agreement(facts: Facts) -> None:
    facts["signatures"] = []
    facts["agreement_confirmed_on"] = None


def _new_employer(facts: Facts) -> None:
    """What a new or cleared employer takes away: the approvals, reviews and notices of
    the last one."""
    facts["assignment_approved"] = False
    facts.pop("placement_review", None)
    facts.pop("employer_notices", None)


def apply(
    facts: Mapping[str, Any],
    effects: Iterable[Effect],
    data: Mapping[str, Any],
    day: str,
    seq: int = 0,
    role: str = "",
) -> Facts:
    """Return new facts after *effects* with the command's *data* on *day* (ISO date), as
    event *seq* of its stream by an actor in *role*.

    *facts* itself is not changed.
    """
    new: Facts = dict(facts)
    for effect in effects:
        if effect in EMPLOYER_EFFECTS:
            employer_effect(new, effect, data, day, seq, role)
        elif effect is Effect.SET_EMPLOYER:
            new["employer"] = data["employer"]
            _new_employer(new)
        elif effect is Effect.CLEAR_PLACEMENT:
            new["employer"] = None
            _new_employer(new)
            _clear_agreement(new)
        elif effect is Effect.NEW_AGREEMENT:
            new["agreement_version"] = new.get("agreement_version", 0) + 1
            new["hours_per_week"] = data.get("hours_per_week")
            _clear_agreement(new)
        elif effect is Effect.REPEAT_PERIOD:
            # a new placement period after a failed assessment: new dates, no decision yet;
            # the hours worked stay on record
            new["details"] = {
                **new["details"],
                **{k: data[k] for k in ("planned_start", "planned_end") if k in data},
            }
            new["assessment"] = None
            new["repeats"] = new.get("repeats", 0) + 1
        elif effect is Effect.RESCHEDULE:
            # a change of plan: the dates and hours given replace the planned ones; after a
            # termination the hours worked count for the replacement unless the coach says
            changed = {k: data[k] for k in PLAN if k in data}
            if changed:
                new["details"] = {**new["details"], **changed}
            if "hours_credited" in data:
                new["hours_credited"] = data["hours_credited"]
            elif data.get("reason") == "replacement" and "hours_credited" not in new:
                new["hours_credited"] = new.get("hours", 0)  # a coach's credit stays
        elif effect is Effect.EMPLOYMENT_CONTRACT:
            new["employment_contract"] = data["employer"]
        elif effect is Effect.CONFIRM_AGREEMENT:
            new["agreement_confirmed_on"] = day
        elif effect is Effect.GIVE_CONSENT:
            new["consent"] = True
        elif effect is Effect.WITHDRAW_CONSENT:
            new["consent"] = False
        elif effect is Effect.APPLICATION_SENT:
            new["applications"] = {**new.get("applications", {}), data["application"]: None}
        elif effect is Effect.APPLICATION_OUTCOME:
            new["applications"] = {
                **new.get("applications", {}),
                data["application"]: data["outcome"],
            }
        elif effect is Effect.GUIDANCE_CONTACT:
            new["contacts"] = [*new.get("contacts", []), data["moment"]]
            if data.get("location") == "on_site":
                new["on_site_contacts"] = new.get("on_site_contacts", 0) + 1
        elif effect is Effect.SIGNATURE:
            new["signatures"] = sorted({*new.get("signatures", []), data["party"]})
        elif effect is Effect.HOURS:
            new["hours"] = new.get("hours", 0) + data["hours"]
        elif effect is Effect.MIDTERM_REVIEW:
            new["midterm_review"] = data["social_safety"]
        elif effect is Effect.ASSESSMENT_DECISION:
            new["assessment"] = data["outcome"]
        elif effect is Effect.ASSIGNMENT_DECISION:
            new["assignment_approved"] = data["outcome"] == "approved"
        elif effect is Effect.EMPLOYER_HEARING:
            new["hearings"] = new.get("hearings", 0) + 1
        elif effect is Effect.EXTERNAL_REFERRAL:
            new["referrals"] = [*new.get("referrals", []), data["to"]]
        elif effect is Effect.REPORTER_FEEDBACK:
            new["feedback_given"] = True
        elif effect is Effect.EVIDENCE:
            new["evidence"] = new.get("evidence", 0) + 1  # its note is sealed: only a count
        elif effect is Effect.SIGNPOSTING:
            new["signposted"] = sorted({*new.get("signposted", []), *data["signposted"]})
        elif effect is Effect.EXTERNAL_OUTCOME:
            new["external_outcome"] = data["outcome"]
        elif effect is Effect.OUTCOME:
            new["outcome"] = data["outcome"]
        elif effect is Effect.PLACEMENT_REVIEW:
            new["placement_review"] = {"employer": new.get("employer"),
                                       "decision": data["decision"], "role": role}  # fmt: skip
        elif effect is Effect.EMPLOYER_NOTICE:
            notice = {"notice": data["notice"], "since": data["since"]}
            new["employer_notices"] = [*new.get("employer_notices", []), notice]
    return new
