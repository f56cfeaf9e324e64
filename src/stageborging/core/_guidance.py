"""Guidance steps an institution registers: deadlines, who acts, and escalation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from attrs import field, frozen

from ._actors import Role, check_identifier, parse_role
from ._errors import InvalidInput

__all__ = ["GuidanceStep"]


def _escalate_to(value: str) -> Role:
    return parse_role("escalate_to", value)


def _step_name(value: str) -> str:
    return check_identifier("name", value)


def _names(values: Iterable[str] | str) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


def _whole(name: str, positive: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and positive:
            return
        if isinstance(value, bool) or not isinstance(value, int) or (positive and value < 1):
            kind = "a whole number of at least 1" if positive else "a whole number"
            raise InvalidInput(name, value, f"must be {kind} (days)")

    return check


@frozen
class GuidanceStep:
    """A guidance step an institution registers (``stageborging_guidance_steps``).

    The deadline mechanism that tracks these arrives in a later release; this
    release collects, validates and lists them (``Engine.guidance_steps``).

    Attributes:
        name: A unique code (``search_check_in``).
        anchor: What the deadline counts from: ``entered:STATE`` (the day the
            stream entered a state), ``planned_start`` or ``planned_end``.
        offset_days: Days after the anchor (negative: before it).
        done_by: Triggers or facts that complete the step (``guidance_contact``).
        escalate_to: The role notified when the step is missed.
        lifecycles: The lifecycles it applies to; empty means every internship.
        repeat_days: Repeat every so many days while the anchor state lasts.
        description: What the step is, in English.
        description_nl: The same in Dutch.
    """

    name: str = field(converter=_step_name)
    anchor: str
    offset_days: int = field(validator=_whole("offset_days"))
    done_by: tuple[str, ...] = field(converter=_names)
    escalate_to: Role = field(converter=_escalate_to)
    lifecycles: tuple[str, ...] = field(default=(), converter=_names)
    repeat_days: int | None = field(default=None, validator=_whole("repeat_days", positive=True))
    description: str = ""
    description_nl: str = ""
