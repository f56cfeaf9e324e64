"""Whose data a stream holds: the subject its free text is sealed for and erasure finds.

The subject of a stream is the student it names (``student`` among its opening data),
else whoever opened it: the reporter of a report that names no student.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import Actor, Role

__all__ = ["subject_of"]


def subject_of(data: Mapping[str, Any], opener: Actor) -> Actor:
    """The subject of a stream opened by *opener* with *data* (its validated opening
    data), as a reader: the student it names, as a ``student``; else the opener, in the
    role they opened it in. Its ``id`` is the key id their text is sealed under."""
    student = data.get("student")
    return Actor(student, Role.STUDENT) if isinstance(student, str) else opener
