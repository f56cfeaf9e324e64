"""Guidance steps an institution registers: when each is due, who acts, what completes
it, and what happens when it is missed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from ._actors import Role, check_identifier, check_identifiers, parse_role
from ._canonical import canonical_bytes
from ._errors import InvalidInput
from ._frozen import FrozenMap

__all__ = [
    "ACTIONS",
    "DISMISS_REASONS",
    "HELPFUL_TRIGGERS",
    "STEP_KINDS",
    "UNITS",
    "GuidanceStep",
]

#: What counts the offset and the repeat: calendar days, working days or weeks.
UNITS = ("days", "working_days", "weeks")
#: What happens when a step is missed: a notification to a role, a proposed
#: transition (an item in ``due``), or a transition fired as the ``system`` actor.
ACTIONS = ("notify", "propose", "fire")
#: The only triggers a missed step may fire by itself: those that help the student.
HELPFUL_TRIGGERS = ("request_assistance", "seek_replacement")
#: Why a proposed transition is dismissed (``Engine.dismiss``): the student is making
#: progress, help was arranged another way, it does not apply, or another reason.
DISMISS_REASONS = ("student_progressing", "arranged_otherwise", "not_applicable", "other")
#: The kinds of lifecycle a step may apply to by kind (an employer has no deadlines).
STEP_KINDS = ("internship", "case")
#: The anchors that are no ``entered:STATE``.
_ANCHORS = ("planned_start", "planned_end", "planned_hours")
_LONGEST = 10_000  # days, working days or weeks: far beyond any programme


def _name(value: object) -> str:
    return check_identifier("name", value)


def _person_role(name: str, value: object) -> Role:
    """A role people hold: the system acts by itself and auditors only read."""
    role = parse_role(name, value)
    if role in (Role.SYSTEM, Role.AUDITOR):
        raise InvalidInput(name, value, "must be a role people act in (coach, placement_office …)")
    return role


def _role(value: object) -> Role:
    return _person_role("role", value)


def _escalate_to(value: object) -> Role | None:
    return None if value is None else _person_role("escalate_to", value)


def _channel(value: object) -> str:
    return check_identifier("channel", value)


def _states(values: object) -> tuple[str, ...]:
    return check_identifiers("states", values)


def _done_by(values: object) -> tuple[str, ...]:
    return check_identifiers("done_by", values)


def _lifecycles(values: object) -> tuple[str, ...]:
    return check_identifiers("lifecycles", values)


def _done_with(values: object) -> Mapping[str, str]:
    if not isinstance(values, Mapping):
        raise InvalidInput("done_with", values, "must map field names to codes")
    return FrozenMap(
        {
            check_identifier("done_with", key): check_identifier("done_with", value)
            for key, value in values.items()
        }
    )


def _programmes(values: object) -> tuple[str, ...]:
    return check_identifiers("programmes", values)


def _excluded_programmes(values: object) -> tuple[str, ...]:
    return check_identifiers("excluded_programmes", values)


def _anchor(value: object) -> str:
    if isinstance(value, str):
        state = value.removeprefix("entered:")
        if value in _ANCHORS or (state != value and _is_identifier(state)):
            return value
        count = value.removeprefix("applications:")
        if count != value and count.isdigit() and count.isascii() and 1 <= int(count) <= 100:
            return f"applications:{int(count)}"
    raise InvalidInput(
        "anchor",
        value,
        "must be entered:STATE, planned_start, planned_end, planned_hours or applications:N "
        "(N from 1 to 100)",
    )


def _is_identifier(value: str) -> bool:
    try:
        check_identifier("anchor", value)
    except InvalidInput:
        return False
    return True


def _choice(name: str, choices: tuple[str, ...]) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value not in choices:
            raise InvalidInput(name, value, f"must be one of {', '.join(choices)}")

    return check


def _whole(name: str, lowest: int, optional: bool = False) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and optional:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not lowest <= abs(value) <= _LONGEST
            or (lowest and value < 0)
        ):
            least = f"from {lowest} to {_LONGEST}" if lowest else f"within ±{_LONGEST}"
            raise InvalidInput(name, value, f"must be a whole number {least}")

    return check


def _share(name: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100
        ):
            raise InvalidInput(name, value, "must be a whole number from 1 to 100")

    return check


@frozen(kw_only=True)
class GuidanceStep:
    """A guidance step an institution registers (``stageborging_guidance_steps``).

    Entering a state where the step applies schedules a deadline in the command's own
    transaction; leaving every such state cancels it; recording what completes it
    closes it. A deadline that :meth:`Engine.tick <stageborging.Engine.tick>` finds
    missed is recorded as a guidance gap (an ``escalated`` event) and escalated by
    *action*. A missed step never blocks the student's own progress.

    Attributes:
        name: A unique code (``search_check_in``).
        anchor: What the deadline counts from: ``entered:STATE`` (the day the
            stream entered a state), ``planned_start``, ``planned_end``, or
            ``planned_hours`` (the day *percent* of the planned hours would be
            worked, hours accruing evenly from the planned start to the end), or
            ``applications:N`` (the day the Nth application is sent while none
            brought an invitation: a stalled search).
        role: Who must act (listed for this role by ``due``).
        offset: How many *unit* after the anchor (negative: before it); the
            anchor day is day 0, and the deadline falls at the end of the day.
        unit: ``days`` (calendar), ``working_days`` (no weekends, public holidays
            or closure days) or ``weeks``.
        percent: With ``planned_hours``: the share of the hours, 1-100.
        every: Repeat every so many *unit* while the step applies (the next
            deadline follows the one before it, met or missed).
        states: The states in which the step applies; by default the anchor's
            state for ``entered:STATE`` (required for the other anchors).
        done_by: Triggers or facts that complete it (``guidance_contact``).
        done_with: The values their data must hold to count (``{"location":
            "on_site"}``: a contact at the leerbedrijf); empty: any.
        count: How many of them complete it (3 contacts: ``count=3``).
        action: What a miss does: ``notify`` *escalate_to*; ``propose`` *trigger*
            to *escalate_to* (an item in ``due`` until someone fires it or
            dismisses it); ``fire`` *trigger* as the ``system`` actor, only for
            ``request_assistance`` or ``seek_replacement``.
        escalate_to: The role told of a miss (by default *role*).
        trigger: The transition ``propose`` or ``fire`` suggests.
        channel: The channel of the notifications (``email``).
        lifecycles: The lifecycles it applies to; empty means every lifecycle of *kind*.
        kind: With no *lifecycles*: the kind of lifecycle it applies to, ``internship``
            (the default) or ``case`` (a report's deadlines).
        hours_below: Makes the step an **hours check**: at each deadline it is met
            when the hours recorded reach this share (1-100) of the hours planned
            for the days the internship was active so far (pro rata over the
            planned period; days suspended, for illness or otherwise, left out),
            and missed when they fall short. Use it with ``every``.
        programmes: Only the streams of these programmes (``details["programme"]``);
            empty means every programme.
        excluded_programmes: Not the streams of these programmes (a step that
            differs for some: a VOG programme's earlier deadline).
        description: What the step is, in English.
        description_nl: The same in Dutch.

    Raises:
        InvalidInput: a field is off, naming it: an unknown unit or action, a
            ``fire`` of a trigger that does not help the student …
    """

    name: str = field(converter=_name)
    anchor: str = field(converter=_anchor)
    role: Role = field(converter=_role)
    offset: int = field(default=0, validator=_whole("offset", 0))
    unit: str = field(default="days", validator=_choice("unit", UNITS))
    percent: int | None = field(default=None, validator=_share("percent"))
    every: int | None = field(default=None, validator=_whole("every", 1, optional=True))
    states: tuple[str, ...] = field(default=(), converter=_states)
    done_by: tuple[str, ...] = field(default=(), converter=_done_by)
    done_with: Mapping[str, str] = field(factory=FrozenMap, converter=_done_with)
    count: int = field(default=1, validator=_whole("count", 1))
    action: str = field(default="notify", validator=_choice("action", ACTIONS))
    escalate_to: Role | None = field(default=None, converter=_escalate_to)
    trigger: str | None = None
    channel: str = field(default="email", converter=_channel)
    lifecycles: tuple[str, ...] = field(default=(), converter=_lifecycles)
    kind: str = field(default="internship", validator=_choice("kind", STEP_KINDS))
    hours_below: int | None = field(default=None, validator=_share("hours_below"))
    programmes: tuple[str, ...] = field(default=(), converter=_programmes)
    excluded_programmes: tuple[str, ...] = field(default=(), converter=_excluded_programmes)
    description: str = ""
    description_nl: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.anchor == "planned_hours") != (self.percent is not None):
            raise InvalidInput(
                "percent", self.percent, "must be given with anchor planned_hours, and only then"
            )
        entered = self.anchor.removeprefix("entered:")
        both = set(self.programmes) & set(self.excluded_programmes)
        if both:
            raise InvalidInput(
                "excluded_programmes", self.excluded_programmes, f"also in programmes: {min(both)}"
            )
        if entered == self.anchor and not self.states:
            raise InvalidInput("states", self.states, f"are required with {self.anchor}")
        if entered != self.anchor and self.states and entered not in self.states:
            raise InvalidInput(
                "states", self.states, f"must hold {entered}, the state the anchor counts from"
            )
        if self.count > 1 and not self.done_by:
            raise InvalidInput("count", self.count, "counts done_by: name what completes it")
        if self.hours_below is not None and self.done_by:
            raise InvalidInput("hours_below", self.hours_below, "is met by the hours, not done_by")
        if self.done_with and not self.done_by:
            raise InvalidInput("done_with", dict(self.done_with), "qualifies done_by: name it")
        if self.action == "notify":
            if self.trigger is not None:
                raise InvalidInput("trigger", self.trigger, "is for propose or fire")
        elif self.trigger is None:
            raise InvalidInput("trigger", None, f"is required with action {self.action}")
        else:
            check_identifier("trigger", self.trigger)
        if self.action == "fire" and self.trigger not in HELPFUL_TRIGGERS:
            raise InvalidInput(
                "trigger",
                self.trigger,
                f"a missed step fires only {' or '.join(HELPFUL_TRIGGERS)} (never "
                "withdraw, terminate or cancel_placement): propose it instead",
            )
        for text in ("description", "description_nl"):
            if not isinstance(getattr(self, text), str):
                raise InvalidInput(text, getattr(self, text), "must be a string")

    @property
    def applies_in(self) -> tuple[str, ...]:
        """The states where the step applies."""
        return self.states or (self.anchor.removeprefix("entered:"),)

    def applies_to(self, lifecycle: str, kind: str) -> bool:
        """Whether the step applies to the streams of the lifecycle *lifecycle* of *kind*."""
        return lifecycle in self.lifecycles if self.lifecycles else kind == self.kind

    def serves(self, programme: object) -> bool:
        """Whether the step applies to a stream of *programme*."""
        if self.programmes and programme not in self.programmes:
            return False
        return programme not in self.excluded_programmes

    @property
    def notifies(self) -> Role:
        """The role told of a miss."""
        return self.escalate_to or self.role

    def settings(self) -> dict[str, Any]:
        """What a deadline keeps of the step it was scheduled under (codes only), with the
        step's ``version``: a deadline follows these even when the step changes later."""
        kept: dict[str, Any] = {
            "step": self.name,
            "role": str(self.role),
            "unit": self.unit,
            "every": self.every,
            "states": list(self.applies_in),
            "done_by": list(self.done_by),
            "count": self.count,
            "action": self.action,
            "escalate_to": str(self.notifies),
            "trigger": self.trigger,
            "channel": self.channel,
            "anchor": self.anchor,
            "offset": self.offset,
            "percent": self.percent,
        }
        if self.done_with:  # only when given: the versions of steps without it stay
            kept["done_with"] = dict(sorted(self.done_with.items()))
        if self.hours_below is not None:
            kept["hours_below"] = self.hours_below
        kept["version"] = hashlib.sha256(canonical_bytes(kept)).hexdigest()[:16]
        return kept
