"""What a recognition verifier may answer about an employer (a leerbedrijf)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Recognition"]


class Recognition(StrEnum):
    """A recognition verifier's answer (``stageborging_verify_recognition``), besides a
    plain ``True`` or ``False``: why an employer is not recognised, or that SBB has not
    decided yet. Each but ``recognised`` refuses ``verify_employer`` with a finding that
    names it (``recognition.<value>``; ``recognition.not_recognised`` for ``False``).
    """

    #: Recognised for the qualification on the day asked.
    RECOGNISED = "recognised"
    #: Not recognised (no more is known).
    NOT_RECOGNISED = "not_recognised"
    #: The register does not list the employer for the qualification.
    NOT_LISTED = "not_listed"
    #: The recognition ended before the day asked.
    EXPIRED = "expired"
    #: The recognition starts after the day asked.
    NOT_YET_VALID = "not_yet_valid"
    #: SBB suspended the recognition (schorsing).
    SUSPENDED = "suspended"
    #: Applied for, not decided yet: the placement waits (and its deadlines pause).
    PENDING = "pending"
