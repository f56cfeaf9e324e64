"""Converters for attrs fields: one per concept, shared by every value type."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from ._errors import InvalidInput

__all__ = ["as_tuple", "parse_enum"]

E = TypeVar("E", bound=StrEnum)


def as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """*values* as a tuple (a value type never holds a list someone else can change)."""
    return tuple(values)


def parse_enum(kind: type[E], field_name: str, value: object, noun: str = "") -> E:
    """*value* as a member of *kind*, else InvalidInput naming *field_name* and the members.

    *noun* names what is unknown in the message (``unknown role; known: …``).
    """
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    known = ", ".join(member.value for member in kind)
    what = f"unknown {noun}" if noun else "unknown"
    raise InvalidInput(field_name, value, f"{what}; known: {known}")
