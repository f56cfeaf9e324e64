"""The codes of an erasure: why a subject's data was erased, and who may erase."""

from __future__ import annotations

from ._actors import Role

__all__ = ["ERASE_ROLES", "ERASURE_BASES"]

#: The legal basis of an erasure (GDPR art. 17(1) and the retention period).
ERASURE_BASES = (
    "no_longer_needed",  # art. 17(1)(a): the purpose is served
    "consent_withdrawn",  # art. 17(1)(b)
    "objection",  # art. 17(1)(c)
    "unlawful_processing",  # art. 17(1)(d)
    "legal_obligation",  # art. 17(1)(e)
    "retention_expired",  # the institution's retention period ended
)
#: Who erases: the data-protection officer, or the system (a retention job).
ERASE_ROLES = (Role.PRIVACY_OFFICER, Role.SYSTEM)
