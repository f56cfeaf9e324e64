"""What guidance shows and decides: the items due, the gaps recorded, and proposals
dismissed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ..core import (
    DISMISS_REASONS,
    Actor,
    Event,
    EventType,
    Finding,
    InvalidInput,
    Refused,
    Role,
    check_identifier,
    finding,
    parse_role,
    rfc3339,
)
from ..guidance import DueItem, Gap, end_of_day, settings_of
from ..rules import check_actor
from ..store import Store, Transaction, check_moment
from ._pipeline import Outcome, Pipeline
from ._queries import scope

__all__ = ["GuidanceViews"]

_PAGE = 500


class GuidanceViews:
    """The guidance reads and the dismissal of :class:`~stageborging.Engine`."""

    _pipeline: Pipeline
    store: Store
    _run: Callable[[str, str, Callable[[Transaction], Outcome], float], Outcome]
    _log_command: Callable[..., None]

    recipients: Callable[[Role | str, str], tuple[str, ...]]

    def due(
        self,
        now: datetime | None = None,
        *,
        role: Role | str | None = None,
        person: str | None = None,
        within: int = 0,
        institution: str | None = None,
        limit: int = 1000,
    ) -> list[DueItem]:
        """What must be done: guidance deadlines overdue (missed, and not done since) or
        due by the end of the day *within* days after *now*'s, and proposed transitions
        waiting for a decision; most urgent (earliest due) first.

        Args:
            now: The moment to look from (default: the engine's clock).
            role: Only what this role must do.
            person: Only what this pseudonymous id must do: the items of the roles it
                holds on each stream, as the ``stageborging_recipients`` plugins say
                (this internship's coach …).
            within: Also what falls due in so many days, 0 to 366 (0: by the end of
                today).
            institution: Only this institution's streams (a bound engine: its own).
            limit: At most so many items.

        Raises:
            InvalidInput: an argument is off, naming it.
        """
        if now is None:
            now = self._pipeline.moment().utc
        check_moment("now", now)
        wanted = None if role is None else str(parse_role("role", role))
        if person is not None:
            check_identifier("person", person)
        if isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= 366:
            raise InvalidInput("within", within, "must be a whole number of days, 0 to 366")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("limit", limit, "must be a whole number of at least 1")
        tz = self._pipeline.scheduler.tz
        try:
            until = end_of_day(now.astimezone(tz).date() + timedelta(days=within), tz)
            rfc3339(until)  # as the store compares it
        except OverflowError:
            field, value = ("within", within) if within else ("now", now)
            raise InvalidInput(field, value, "reaches past the year 9999") from None
        owner = scope(self._pipeline.institution, institution)
        items: list[DueItem] = []
        after: tuple[str, int] | None = None
        while len(items) < limit:
            page = self.store.due(until, owner, wanted, after, _PAGE)
            for row_id, row in page:
                after = (row.due_at, row_id)
                item = DueItem.of(row)
                if person is None or person in self.recipients(item.role, item.stream_id):
                    items.append(item)
            if len(page) < _PAGE:
                break
        return items[:limit]

    def guidance_gaps(
        self,
        *,
        institution: str | None = None,
        programme: str | None = None,
        step: str | None = None,
        after: int = 0,
    ) -> Iterator[Gap]:
        """Every guidance step missed (a gap recorded by :meth:`tick`), in the order they
        were recorded: of one *institution* (a bound engine: its own), *programme* or
        *step* when given. *after* resumes after a gap's ``position``.

        Raises:
            InvalidInput: an argument is off, naming it.
        """
        for name, value in (("programme", programme), ("step", step)):
            if value is not None:
                check_identifier(name, value)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise InvalidInput("after", after, "must be a gap's position, 0 or more")
        owner = scope(self._pipeline.institution, institution)
        while True:
            page = self.store.escalations(after, _PAGE, owner)
            for position, event in page:
                after = position
                assert event.body is not None  # an escalation's body holds no free text
                gap = Gap.of(position, event, json.loads(event.body)["data"])
                if programme in (None, gap.programme) and step in (None, gap.step):
                    yield gap
            if len(page) < _PAGE:
                return

    def dismiss(self, stream_id: str, step: str, *, actor: Actor, reason: str) -> Event:
        """Turn down the transition a missed *step* proposed on the stream, with a reason
        code (``student_progressing``, ``arranged_otherwise``, ``not_applicable`` or
        ``other``): a ``dismissed`` event, and the
        proposal leaves :meth:`due`. The step's escalation role or the placement office
        may dismiss.

        Raises:
            InvalidInput: an argument is off, or the stream has no open proposal of *step*.
            StreamNotFound: no stream has this id (for this engine).
            Refused: the actor's role may not dismiss it (``event`` is None: nothing
                was written).
        """
        started = time.perf_counter()
        try:
            check_identifier("stream_id", stream_id)
            check_identifier("step", step)
            actor = check_actor(actor)
            if reason not in DISMISS_REASONS:
                raise InvalidInput("reason", reason, f"must be one of {', '.join(DISMISS_REASONS)}")
        except InvalidInput as exc:
            self._log_command("-", "dismiss", "invalid", started, field=exc.field)
            raise
        pipeline = self._pipeline
        refusal: list[Finding] = []

        def work(tx: Transaction) -> Outcome:
            row = pipeline.load(tx, stream_id, None)
            open_ = [d for d in tx.live_deadlines(stream_id) if d.kind == "proposal"]
            found = [d for d in open_ if d.step == step]
            if not found:
                raise InvalidInput("step", step, "the stream has no open proposal of this step")
            proposal = found[0]
            allowed = sorted({settings_of(proposal)["escalate_to"], str(Role.PLACEMENT_OFFICE)})
            if str(actor.role) not in allowed:
                refusal.append(finding("role.not_allowed", role=actor.role, command="dismiss",
                                       allowed=", ".join(allowed)))  # fmt: skip
                raise _Refusal
            data = {"deadline": proposal.key, "reason": reason}
            moment = pipeline.moment()
            outcome = pipeline.note(tx, row, EventType.DISMISSED, step, actor, data, moment)
            tx.close_deadlines([proposal.key], "dismissed", moment.utc)
            return outcome

        try:
            return self._run(stream_id, "dismiss", work, started).event
        except _Refusal:
            self._log_command(stream_id, "dismiss", "refused", started)
            raise Refused(stream_id, "dismiss", refusal, None) from None


class _Refusal(Exception):
    """The dismissal was refused inside its transaction: nothing is written."""
