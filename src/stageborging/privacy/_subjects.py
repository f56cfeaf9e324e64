"""Whose data a stream holds: the subject its free text is sealed for and erasure finds.

The subject of a stream is the student it names (``student`` among its opening data);
for an employer's stream, the employer (by its stream id: no person's id); else whoever
opened it: the reporter of a report that names no student.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import Actor, Role
from ..lifecycles import Kind

__all__ = ["subject_of"]


def subject_of(
    data: Mapping[str, Any], opener: Actor, kind: str = Kind.INTERNSHIP, stream_id: str = ""
) -> Actor:
    """The subject of the stream *stream_id* of *kind*, opened by *opener* with *data* (its
    validated opening data), as a reader: the student it names, as a ``student``; an
    employer's stream itself, as the ``employer``; else the opener, in the role they
    opened it in. Its ``id`` is the key id their text is sealed under."""
    student = data.get("student")
    if isinstance(student, str):
        return Actor(student, Role.STUDENT)
    if kind == Kind.EMPLOYER:
        return Actor(stream_id, Role.EMPLOYER)
    return opener
