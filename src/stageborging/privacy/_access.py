"""Who may read a sealed field: the reading rule of every engine read.

A sealed field (free text, a sealed code) is read by whoever wrote it, by its subject
(the student it is about, the reporter of a report that names no student), and by the
roles its field names as readers; never by an auditor or the system, who see metadata,
hashes and outcomes only. A read of a subject's data for an access request (GDPR art.
15) is the data-protection officer's.
"""

from __future__ import annotations

from ..core import Actor, Role
from ..lifecycles import FieldSpec

__all__ = ["EXPORT_ROLES", "may_read"]

#: Who exports everything held about a subject (an access request), besides the subject.
EXPORT_ROLES = frozenset({Role.PRIVACY_OFFICER})
_NEVER = frozenset({Role.AUDITOR, Role.SYSTEM})


def may_read(reader: Actor, spec: FieldSpec | None, author: Actor, subject: Actor) -> bool:
    """Whether *reader* may read a sealed field of *spec* (None: its version is unknown)
    that *author* wrote on a stream about *subject* (an id and a role: a student as a
    ``student``, a reporter in the role they reported in)."""
    if reader.role in _NEVER:
        return False
    if reader in (author, subject):
        return True
    return spec is not None and reader.role in spec.readers
