"""The records of privacy work: a sealed field read back, a subject erased."""

from __future__ import annotations

from attrs import field, frozen

from ._convert import as_tuple

__all__ = ["Erasure", "Revealed"]


@frozen
class Revealed:
    """One sealed field of an event, read back for a reader its role allows.

    Attributes:
        seq: The event's place in its stream.
        field: The field's name (``note``, ``description``, ``ground``).
        value: The text (a list of codes as a tuple); None once its subject was
            erased: then nobody can read it any more.
    """

    seq: int
    field: str
    value: str | tuple[str, ...] | None

    @property
    def erased(self) -> bool:
        """True when the subject was erased and the value is gone for good."""
        return self.value is None


@frozen
class Erasure:
    """What erasing one subject did.

    Attributes:
        subject: The pseudonymous id erased.
        streams: The streams that hold their data, each given an ``erased`` event.
        at: When (RFC 3339, UTC).
        scrubbed: What the database did to leave no copy of the key's bytes in its
            files (a checkpoint, a vacuum), in words; see :doc:`privacy`.
    """

    subject: str
    streams: tuple[str, ...] = field(converter=as_tuple)
    at: str
    scrubbed: tuple[str, ...] = field(default=(), converter=as_tuple)
