"""What an engine corrects: a recorded fact a person got wrong, taken back by an event.

A correction is a command of its own on the stream: a ``corrected`` event naming the
recorded event it takes back (its ``seq``) and why; the facts become what the events
make without it, and the original stays in the log (see
:mod:`stageborging.lifecycles._corrections` for which facts are corrected, and when).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..core import (
    Actor,
    Event,
    Finding,
    FrozenMap,
    InvalidInput,
    Refused,
    check_identifier,
)
from ..lifecycles import CORRECTION_REASONS
from ..rules import check_actor, check_expected_version
from ..store import Transaction
from ._pipeline import Outcome, Pipeline

__all__ = ["Corrections"]


class _Refusal(Exception):
    """The correction was refused inside its transaction: nothing is written."""


class Corrections:
    """The correction command of :class:`~stageborging.Engine`."""

    _pipeline: Pipeline
    _run: Callable[[str, str, Callable[[Transaction], Outcome], float], Outcome]
    _log_command: Callable[..., None]

    def correct(
        self,
        stream_id: str,
        seq: int,
        *,
        actor: Actor,
        reason: str,
        expected_version: int | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Take back the fact recorded by event *seq* of the stream: a mistyped hours
        entry, a guidance contact on the wrong stream, a signature recorded by mistake.

        The correction is an event of its own (``corrected``, naming *seq* and the
        reason); the stream's facts become what its events make without the
        corrected one, and the original stays in the log. Record the right value
        afterwards, as a new fact. Corrected are the facts ``hours``,
        ``guidance_contact``, ``application_outcome``, ``midterm_review``, and a
        ``signature`` while its agreement is pending (a confirmed agreement is
        amended instead); what a transition did is undone by another transition.

        Args:
            stream_id: The stream.
            seq: The ``seq`` of the ``recorded`` event to take back.
            actor: Who corrects: a role that may record the fact, or the placement
                office.
            reason: ``mistyped``, ``duplicate``, ``wrong_stream``, ``wrong_party``
                or ``other``.
            expected_version, command_id: As for :meth:`fire`.

        Returns:
            The ``corrected`` event.

        Raises:
            InvalidInput: no event *seq*, one that is not a correctable fact, one
                corrected already, a stream that has ended, a malformed argument.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: the actor's role may not correct the fact (``event`` is None:
                nothing was written).
        """
        started = time.perf_counter()
        try:
            check_identifier("stream_id", stream_id)
            actor = check_actor(actor)
            if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**31:
                raise InvalidInput("seq", seq, "must be the seq of an event of the stream")
            if reason not in CORRECTION_REASONS:
                raise InvalidInput(
                    "reason", reason, f"must be one of {', '.join(CORRECTION_REASONS)}"
                )
            check_expected_version(expected_version)
            if command_id is not None:
                check_identifier("command_id", command_id)
        except InvalidInput as exc:
            self._log_command("-", "correct", "invalid", started, field=exc.field)
            raise
        data = FrozenMap({"seq": seq, "reason": reason})
        refusal: list[Finding] = []
        pipeline = self._pipeline

        def work(tx: Transaction) -> Outcome:
            outcome, findings = pipeline.correct(
                tx, stream_id, data, actor, expected_version, command_id
            )
            if outcome is None:
                refusal.extend(findings)
                raise _Refusal
            return outcome

        try:
            return self._run(stream_id, "correct", work, started).event
        except _Refusal:
            self._log_command(stream_id, "correct", "refused", started)
            raise Refused(stream_id, "correct", refusal, None) from None
