"""Many commands in one transaction: bulk work such as a SIS sync at the start of a year."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core import (
    Actor,
    BatchResult,
    ConcurrencyConflict,
    DefinitionMismatch,
    EventType,
    InvalidInput,
    Refused,
    StageborgingError,
)
from ..store import Transaction

if TYPE_CHECKING:
    from ._engine import Engine, Work

__all__ = ["MAX_BATCH", "Batch"]

#: The most commands one batch takes: one transaction should stay a bounded piece of work.
MAX_BATCH = 100_000
#: The errors a command can meet on the database's state: its own, not the batch's.
#: A command's own failures, raised before it wrote anything (a refusal that writes
#: nothing: an institution fact recorded by a role it does not name).
_OWN_ERRORS = (InvalidInput, ConcurrencyConflict, DefinitionMismatch, Refused)


class _Queued(NamedTuple):
    stream_id: str
    command: str
    work: Work


class Batch:
    """Commands queued to run in order in one transaction (``Engine.batch()``).

    Each command runs exactly as it would on its own: the same arguments, rules,
    plugin checks, events and notifications; a later command sees what earlier
    ones wrote (a fire after the open of the same stream, ``expected_version``
    against the stream as the batch left it).

    **The rule for a failing command.** Arguments are checked as they are queued:
    a malformed one raises :class:`InvalidInput` from :meth:`open`, :meth:`fire`
    or :meth:`record`, and nothing is queued. What depends on the database's
    state is found when the batch runs, and is the command's own: a refusal
    records its ``refused`` event, as it always does; an invalid trigger or
    state, a missing stream, a stale ``expected_version`` or a version that takes
    no commands writes nothing of that command. Either way the error is in its
    :class:`BatchResult` (never raised) and the other commands go on. A database
    failure (:class:`StoreError`) is the batch's: the whole transaction rolls
    back, nothing of the batch is written, and the error is raised (transient
    failures are first retried, as for single commands, by running the whole
    batch again).

    Use it as a context manager: leaving the ``with`` block runs the batch
    (unless the block raised: then nothing runs), after which :attr:`results`
    holds one result per command. :meth:`run` does the same by hand.
    """

    def __init__(self, engine: Engine) -> None:
        if not hasattr(engine, "_pipeline"):
            raise InvalidInput("engine", engine, "must be an Engine (use engine.batch())")
        self._engine = engine
        self._queued: list[_Queued] = []
        self._results: list[BatchResult] | None = None
        self._abandoned = False

    def __len__(self) -> int:
        return len(self._queued)

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.run()
        else:  # the block failed: what it queued must not run later by accident
            self._abandoned = True

    def open(
        self,
        lifecycle: str,
        *,
        actor: Actor,
        data: Mapping[str, Any],
        stream_id: str | None = None,
        command_id: str | None = None,
        institution: str | None = None,
    ) -> str:
        """Queue :meth:`Engine.open`; the new stream's id, to fire on in the same batch.

        Raises:
            InvalidInput: as :meth:`Engine.open` (unknown lifecycle, malformed data
                or id); nothing is queued.
            Refused: the actor's role may not open this lifecycle (nothing queued).
        """
        self._check_open()
        sid, work = self._engine._open_work(
            lifecycle, actor, data, stream_id, command_id, institution, time.perf_counter()
        )
        self._queued.append(_Queued(sid, "open", work))
        return sid

    def import_stream(
        self,
        lifecycle: str,
        *,
        state: str,
        actor: Actor,
        data: Mapping[str, Any],
        evidence: Mapping[str, Any],
        stream_id: str | None = None,
        command_id: str | None = None,
        institution: str | None = None,
    ) -> str:
        """Queue :meth:`Engine.import_stream`; the new stream's id.

        Raises:
            InvalidInput: as :meth:`Engine.import_stream`; nothing is queued.
            Refused: the evidence does not satisfy the state's hard rules (it is judged
                as it is queued: it depends on nothing in the database); nothing queued.
        """
        self._check_open()
        sid, work = self._engine._import_work(
            lifecycle, state, actor, data, evidence, stream_id, command_id, institution,
            time.perf_counter(),
        )  # fmt: skip
        self._queued.append(_Queued(sid, "import", work))
        return sid

    def fire(
        self,
        stream_id: str,
        trigger: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        command_id: str | None = None,
    ) -> None:
        """Queue :meth:`Engine.fire`.

        Raises:
            InvalidInput: a malformed stream id, actor, ``expected_version`` or
                ``command_id``, a trigger that is no string, data that is no
                mapping; nothing is queued.
        """
        self._queue_command(stream_id, EventType.TRANSITIONED, trigger, actor, data,
                            expected_version, command_id)  # fmt: skip

    def record(
        self,
        stream_id: str,
        fact: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        command_id: str | None = None,
    ) -> None:
        """Queue :meth:`Engine.record`.

        Raises:
            InvalidInput: a malformed stream id, actor, ``expected_version`` or
                ``command_id``, a fact that is no string, data that is no mapping;
                nothing is queued.
        """
        self._queue_command(stream_id, EventType.RECORDED, fact, actor, data,
                            expected_version, command_id)  # fmt: skip

    def _queue_command(
        self,
        stream_id: str,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        expected_version: int | None,
        command_id: str | None,
    ) -> None:
        self._check_open()
        work = self._engine._command_work(
            stream_id, type, name, actor, data, expected_version, command_id, time.perf_counter()
        )
        self._queued.append(_Queued(stream_id, name, work))

    def _check_runnable(self) -> None:
        if self._abandoned:
            raise InvalidInput("batch", len(self._queued), "was abandoned: its block raised")
        if self._results is not None:
            raise InvalidInput("batch", len(self._queued), "has run: start a new batch")

    def _check_open(self) -> None:
        """InvalidInput when the batch ran already, was abandoned or is full."""
        self._check_runnable()
        if len(self._queued) >= MAX_BATCH:
            raise InvalidInput("batch", len(self._queued), f"takes at most {MAX_BATCH} commands")

    @property
    def results(self) -> list[BatchResult]:
        """One result per command, in queue order.

        Raises:
            InvalidInput: the batch has not run yet.
        """
        if self._results is None:
            raise InvalidInput("batch", len(self._queued), "has not run yet")
        return list(self._results)

    @property
    def failed(self) -> list[BatchResult]:
        """The results of the commands that did not apply."""
        return [result for result in self.results if not result.ok]

    def run(self) -> list[BatchResult]:
        """Run the queued commands in one transaction; one result per command.

        Raises:
            StoreError: the database failed; nothing of the batch was written.
            InvalidInput: the batch has run already.
        """
        self._check_runnable()
        engine = self._engine
        started = time.perf_counter()
        queued = tuple(self._queued)

        def work(tx: Transaction) -> list[BatchResult]:
            tx.lock([step.stream_id for step in queued])  # one round trip, not one each
            results = []  # built afresh when a transient failure runs the batch again
            for index, (sid, command, step) in enumerate(queued):
                try:
                    outcome = step(tx)
                except _OWN_ERRORS as exc:
                    results.append(BatchResult(index, command, sid, None, exc))
                    continue
                error: StageborgingError | None = None
                if outcome.refused:
                    error = Refused(sid, command, outcome.event.findings, outcome.event)
                results.append(
                    BatchResult(index, command, sid, outcome.event, error, outcome.repeated)
                )
            return results

        self._results = engine._pipeline.run(work) if queued else []
        for result in self._results:
            engine._log_command(result.stream_id, result.command, _outcome(result), started,
                                **_field(result))  # fmt: skip
        failed = sum(not result.ok for result in self._results)
        engine._log.info(  # the fields of a command line too, so one log format fits both
            "batch",
            stream="-",
            command="batch",
            outcome="ok" if not failed else "partly",
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            commands=len(self._results),
            failed=failed,
        )
        return list(self._results)


def _outcome(result: BatchResult) -> str:
    """How the command log names a batch command's outcome (as for single commands)."""
    if result.error is None:
        return "ok"
    if isinstance(result.error, Refused):
        return "refused"
    if isinstance(result.error, ConcurrencyConflict):
        return "conflict"
    return "invalid"


def _field(result: BatchResult) -> dict[str, str]:
    return {"field": result.error.field} if isinstance(result.error, InvalidInput) else {}
