"""What one command of a batch did."""

from __future__ import annotations

from attrs import frozen

from ._errors import StageborgingError
from ._events import Event

__all__ = ["BatchResult"]


@frozen
class BatchResult:
    """The outcome of one command of a :class:`~stageborging.Batch`, in queue order.

    Attributes:
        index: Its place in the batch, from 0.
        command: ``open``, or the trigger or fact name.
        stream_id: The stream it ran on (for an open, the new stream's id).
        event: The event it wrote: the opened, transitioned or recorded event, or
            for a refusal the ``refused`` event; ``None`` when nothing was written.
        error: What a single command would have raised (:class:`Refused`,
            :class:`InvalidInput` and its kinds, :class:`ConcurrencyConflict`,
            :class:`DefinitionMismatch`); ``None`` when it applied.
        repeated: True when its ``command_id`` had written its event already (a
            repeat: ``event`` is the first attempt's, nothing new was written).
    """

    index: int
    command: str
    stream_id: str
    event: Event | None
    error: StageborgingError | None
    repeated: bool = False

    @property
    def ok(self) -> bool:
        """True when the command applied."""
        return self.error is None
