"""An employer's standing: the facts its stream folds, and what they mean on a given day.

The ``employer`` lifecycle's effects keep, in the stream's facts:

* ``flags``: the flags raised and not lifted, by flag, each with the day it was raised,
  the role that raised it, its reason, basis, review date and expiry (raising a flag
  again renews it); a flag counts until the day it expires;
* ``recommendations``: the confidential advisor's recommendations no flag answered yet
  (their seq and flag; the case stays sealed);
* ``alerts``: the pattern alerts by seq, ``open`` until a person accepts one (a
  ``watch`` raised on it) or dismisses it;
* ``recognitions``: SBB's last decision per qualification (``revoked``, ``suspended``
  or ``reinstated``) and the day it takes effect;
* ``listed``: the qualifications the last register import listed it as recognised for
  (a decision against one takes it off; the next import that lists it again reinstates);
* ``closed_on``: the day it closed down.

Pure functions: the rules read them through a lookup the engine gives, the reads to
show an employer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._model import Effect

__all__ = [
    "CASCADES",
    "EMPLOYER_EFFECTS",
    "EXTERNAL_EFFECTS",
    "active_flags",
    "cascade_holds",
    "cascade_job",
    "employer_effect",
    "recognition_in_effect",
]

Facts = dict[str, Any]

#: The effects of the employer lifecycle (:func:`employer_effect` applies them).
EMPLOYER_EFFECTS = frozenset(
    {
        Effect.RAISE_FLAG,
        Effect.LIFT_FLAG,
        Effect.RECOMMEND_FLAG,
        Effect.PATTERN_ALERT,
        Effect.DISMISS_ALERT,
        Effect.RECOGNITION_REVOKED,
        Effect.RECOGNITION_SUSPENDED,
        Effect.RECOGNITION_REINSTATED,
        Effect.RECOGNITION_LISTED,
        Effect.EMPLOYER_CLOSED,
    }
)

#: What the school records of the world outside it, not a decision of its own: SBB's
#: decisions, a register listing, a closure, the statistics' alert, the notice a
#: cascade leaves. No plugin check runs on them: a check that fails (closed) must not
#: switch a safeguard off; their roles are their only rule.
EXTERNAL_EFFECTS = frozenset(
    {
        Effect.RECOGNITION_REVOKED,
        Effect.RECOGNITION_SUSPENDED,
        Effect.RECOGNITION_REINSTATED,
        Effect.RECOGNITION_LISTED,
        Effect.EMPLOYER_CLOSED,
        Effect.PATTERN_ALERT,
        Effect.EMPLOYER_NOTICE,
    }
)

_RECOGNITION = {
    Effect.RECOGNITION_REVOKED: "revoked",
    Effect.RECOGNITION_SUSPENDED: "suspended",
    Effect.RECOGNITION_REINSTATED: "reinstated",
}


def employer_effect(
    new: Facts, effect: Effect, data: Mapping[str, Any], day: str, seq: int, role: str
) -> None:
    """Apply one employer *effect* of the event *seq* by *role* on *day* to *new*."""
    if effect is Effect.RAISE_FLAG:
        flag = data["flag"]
        new["flags"] = {
            **new.get("flags", {}),
            flag: {
                "raised_on": day,
                "seq": seq,
                "role": role,
                "reason": data["reason"],
                "basis": data["basis"],
                "review_on": data["review_on"],
                "expires_on": data["expires_on"],
            },
        }
        answered = data.get("recommendation")
        if answered is not None:
            new["recommendations"] = [
                r for r in new.get("recommendations", []) if r["seq"] != answered
            ]
        alert = data.get("alert")
        if alert is not None:
            _settle_alert(new, alert, "accepted")
    elif effect is Effect.LIFT_FLAG:
        new["flags"] = {k: v for k, v in new.get("flags", {}).items() if k != data["flag"]}
    elif effect is Effect.RECOMMEND_FLAG:
        recommendation = {"seq": seq, "flag": data["flag"], "on": day}
        new["recommendations"] = [*new.get("recommendations", []), recommendation]
    elif effect is Effect.PATTERN_ALERT:
        alert = {"status": "open", "raised_on": day, "programme": data["programme"]}
        if "level" in data:
            alert["level"] = data["level"]
        new["alerts"] = {**new.get("alerts", {}), str(seq): alert}
    elif effect is Effect.DISMISS_ALERT:
        _settle_alert(new, data["alert"], "dismissed")
    elif effect in _RECOGNITION:
        decision = {"status": _RECOGNITION[effect], "effective_on": data["effective_on"],
                    "seq": seq}  # fmt: skip
        new["recognitions"] = {**new.get("recognitions", {}), data["qualification"]: decision}
        if effect is not Effect.RECOGNITION_REINSTATED:  # off the list until listed again
            new["listed"] = [q for q in new.get("listed", []) if q != data["qualification"]]
    elif effect is Effect.RECOGNITION_LISTED:
        new["listed"] = sorted({*new.get("listed", []), data["qualification"]})
    elif effect is Effect.EMPLOYER_CLOSED:
        new["closed_on"] = data["effective_on"]


def _settle_alert(new: Facts, seq: int, status: str) -> None:
    alerts = dict(new.get("alerts", {}))
    key = str(seq)
    if key in alerts:
        alerts[key] = {**alerts[key], "status": status}
        new["alerts"] = alerts


#: What an employer's event does to the placements there, by its effect: a revocation
#: or a closure ends them (cancelled before the start, terminated after), a block or a
#: suspension asks each placement's coach to decide.
CASCADES = {
    Effect.RECOGNITION_REVOKED: "revoked",
    Effect.EMPLOYER_CLOSED: "closed",
    Effect.RECOGNITION_SUSPENDED: "suspended",
    Effect.RAISE_FLAG: "blocked",
}


def cascade_job(
    effects: Iterable[Effect], data: Mapping[str, Any], day: str
) -> dict[str, Any] | None:
    """What the placements at an employer must undergo after an event with *effects* and
    *data* on *day*: the job's action, the day it takes effect and the qualification it
    concerns (None: nothing; a flag other than a block changes no placement)."""
    for effect in effects:
        action = CASCADES.get(effect)
        if action is None or (action == "blocked" and data.get("flag") != "block"):
            continue
        job: dict[str, Any] = {"action": action, "since": data.get("effective_on", day)}
        if "qualification" in data:
            job["qualification"] = data["qualification"]
        return job
    return None


def cascade_holds(facts: Mapping[str, Any], job: Mapping[str, Any], day: str) -> bool:
    """Whether the employer's *facts* still call for the cascade *job* on *day*: the block
    not lifted, the decision not reinstated (nor replaced), the closure recorded."""
    action = job["action"]
    if action == "blocked":
        return "block" in active_flags(facts, day)
    if action == "closed":
        return "closed_on" in facts
    decision = recognition_in_effect(facts, job["qualification"], day)
    wanted = "revoked" if action == "revoked" else "suspended"
    return decision is not None and decision["status"] == wanted


def active_flags(facts: Mapping[str, Any], day: str) -> dict[str, Mapping[str, Any]]:
    """The employer's flags that count on *day* (ISO date): raised, not lifted, not expired."""
    return {
        flag: record
        for flag, record in facts.get("flags", {}).items()
        if day < record["expires_on"]
    }


def recognition_in_effect(
    facts: Mapping[str, Any], qualification: str, day: str
) -> Mapping[str, Any] | None:
    """SBB's revocation or suspension of the employer's recognition for *qualification*
    in effect on *day*, if any (a reinstatement ends it)."""
    decision = facts.get("recognitions", {}).get(qualification)
    if decision is None or decision["status"] == "reinstated":
        return None
    return decision if decision["effective_on"] <= day else None
