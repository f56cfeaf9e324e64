"""The privacy side of :class:`~stageborging.Engine`: sealed fields read by role (every
read in the access log), subjects erased, retention, access requests, key rotation."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from ..audit import SealedEvent
from ..core import (
    ERASE_ROLES,
    ERASURE_BASES,
    AccessRefused,
    Actor,
    Erasure,
    EventType,
    InvalidInput,
    KeyProvider,
    Refused,
    Revealed,
    Role,
    check_identifier,
    finding,
    rfc3339,
)
from ..lifecycles import FieldKind, FieldSpec, Kind, LifecycleDefinition, command_fields
from ..privacy import EXPORT_ROLES, may_read, subject_of
from ..rules import check_actor
from ..store import AccessEntry, Store, StreamRow, Transaction
from ._keyring import RESERVED, typed
from ._pipeline import Pipeline
from ._records import stream_of

__all__ = ["Privacy"]

#: The most access log entries one page holds.
ACCESS_PAGE = 10_000
#: The subjects one page of a retention scan reads.
_SUBJECT_PAGE = 500


class _Sealed(NamedTuple):
    """One sealed field of a stored event, with what the reading rule needs."""

    event: SealedEvent
    name: str
    text: str
    key_id: str
    spec: FieldSpec | None

    @property
    def label(self) -> str:
        return f"{self.event.seq}.{self.name}"


class Privacy:
    """Reading sealed fields, erasing subjects, access requests and key rotation."""

    store: Store
    _pipeline: Pipeline
    _log: Any
    _stdlog: logging.Logger
    _log_command: Callable[..., None]

    # -- reads -------------------------------------------------------------

    def reveal(
        self, stream_id: str, *, actor: Actor, seq: int | None = None
    ) -> tuple[Revealed, ...]:
        """The sealed fields of a stream (of its event *seq*, when given), in the clear.

        Free text and sealed codes are read by whoever wrote them, by the stream's
        subject, and by the roles each field names as its readers (a report's
        description: the confidential advisor); never by an auditor or the system.
        Every read is recorded in the access log, granted or refused
        (``stageborging audit access``); a stream without sealed fields records
        nothing.

        Returns:
            Each sealed field, in event order; its ``value`` is None once the subject
            was erased.

        Raises:
            StreamNotFound: no stream has this id (for this engine).
            InvalidInput: *seq* names no event of the stream.
            AccessRefused: a field read is beyond the actor's role: nothing is
                returned, and the refusal is in the access log.
            KeyUnavailable: the engine has no master key, or not the one that
                wrapped the subject's key; or a ciphertext was altered (moved from
                another place, or changed and the chain recomputed).
        """
        actor = check_actor(actor)
        check_identifier("stream_id", stream_id)
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 1):
            raise InvalidInput("seq", seq, "must be an event's seq: a whole number from 1")
        pipeline = self._pipeline

        def work(tx: Transaction) -> tuple[list[Revealed], tuple[str, ...]]:
            row = pipeline.load(tx, stream_id, None)
            events = tx.read_events(stream_id)
            if seq is not None and seq > len(events):
                raise InvalidInput("seq", seq, f"the stream has {len(events)} events")
            chosen = events if seq is None else [events[seq - 1]]
            subject = _subject(events, row.kind)
            items = list(self._sealed(chosen))
            if not items:
                return [], ()
            denied = tuple(
                item.label
                for item in items
                if not may_read(actor, item.spec, _author(item.event), subject)
            )
            outcome = "refused" if denied else "granted"
            at = pipeline.moment().utc
            tx.log_access(at, actor.id, actor.role, stream_id, [i.label for i in items], outcome)
            if denied:
                return [], denied
            return self._opened(tx, stream_id, items), ()

        revealed, denied = pipeline.run(work)
        self._log_read("reveal", stream_id, "refused" if denied else "granted")
        if denied:
            raise AccessRefused(stream_id, actor.role, denied)
        return tuple(revealed)

    def _sealed(self, events: list[SealedEvent]) -> Iterator[_Sealed]:
        """Every sealed field of *events*, with its field spec (None: unknown version)."""
        pipeline = self._pipeline
        for event in events:
            body = json.loads(event.body) if event.body is not None else {}
            part = body.get("sealed")
            if not part:
                continue
            definition = pipeline.versions.get(event.definition)
            specs = {s.name: s for s in _fields(pipeline, definition, event)}
            for name, text in part["fields"].items():
                yield _Sealed(event, name, text, part["key"], specs.get(name))

    def _opened(self, tx: Transaction, stream_id: str, items: list[_Sealed]) -> list[Revealed]:
        """The values of *items*, each None when its subject's key was erased."""
        keys: dict[str, bytes | None] = {}
        keyring = self._pipeline.keyring
        result = []
        for item in items:
            if item.key_id not in keys:
                keys[item.key_id] = keyring.for_reading(tx, item.key_id)
            key = keys[item.key_id]
            value: str | tuple[str, ...] | None = None
            if key is not None:
                text = keyring.open(key, item.key_id, stream_id, item.event.seq, item.name,
                                    item.text)  # fmt: skip
                many = item.spec is not None and item.spec.kind is FieldKind.CODES
                value = typed(text, many)
            result.append(Revealed(item.event.seq, item.name, value))
        return result

    def access_log(self, *, after: int = 0, limit: int = 1000) -> list[AccessEntry]:
        """The access log: every read of sealed fields through an engine, oldest first, a
        page of at most *limit* entries after the position *after*."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= ACCESS_PAGE:
            raise InvalidInput("limit", limit, f"must be a whole number from 1 to {ACCESS_PAGE}")
        return self.store.access_log(after, limit)

    # -- erasure -----------------------------------------------------------

    def erase(self, subject: str, *, actor: Actor, basis: str, scrub: bool = True) -> Erasure:
        """Erase a subject: destroy their key and record an ``erased`` event on each of
        their streams (who, when, the legal *basis*), in one transaction.

        From then on the free text and sealed codes sealed under their key are
        unreadable for everyone, everywhere (``reveal`` gives None), and nothing is
        recorded about them again (a new stream of theirs is refused); the audit log
        still verifies, and says how many bodies are erased. Afterwards the database
        removes the key's bytes from its files (``Erasure.scrubbed`` says how;
        backups taken before keep them: see :doc:`privacy`).

        Args:
            subject: The pseudonymous id: a student, or the reporter of a report that
                names no student.
            actor: The data-protection officer (``privacy_officer``) or the
                ``system`` (a retention job).
            basis: The legal basis code (:data:`~stageborging.core.ERASURE_BASES`).
            scrub: Remove the key's bytes from the database files at once (default).
                Erasing many subjects in a row, pass False and call
                ``engine.store.scrub()`` once after the last.

        Raises:
            InvalidInput: a malformed subject or basis; a subject erased already, or
                one the database holds nothing of; on an engine bound to an
                institution, a subject with streams in another.
            Refused: the actor may not erase (``role.not_allowed``), a case about
                the subject is still open (``erasure.open_case``: close it first), or
                an internship of theirs still runs (``erasure.running``: it ends
                first); nothing is written.
        """
        started = time.perf_counter()
        actor = check_actor(actor)
        check_identifier("subject", subject)
        if not isinstance(scrub, bool):
            raise InvalidInput("scrub", scrub, "must be True or False")
        if subject.startswith(RESERVED):
            raise InvalidInput("subject", subject, f"ids that start with {RESERVED!r} are reserved")
        if basis not in ERASURE_BASES:
            raise InvalidInput("basis", basis, f"unknown basis; known: {', '.join(ERASURE_BASES)}")
        if actor.role not in ERASE_ROLES:
            allowed = ", ".join(ERASE_ROLES)
            found = finding("role.not_allowed", role=actor.role, command="erase", allowed=allowed)
            raise Refused("-", "erase", [found], None, subject=subject)
        pipeline = self._pipeline

        def work(tx: Transaction) -> Erasure | Refused:
            key = tx.subject_key(subject)
            if key is not None and key.erased_at is not None:
                raise InvalidInput("subject", subject, f"was erased on {key.erased_at}")
            ids = tx.subject_streams(subject)
            if not ids and key is None:  # a typo must not erase nobody in silence
                raise InvalidInput("subject", subject, "holds nothing here: no stream, no key")
            rows = [row for row in map(tx.load, ids) if row is not None]
            if any(pipeline.visible(row) is None for row in rows):
                raise InvalidInput(
                    "subject", subject, "has streams in another institution: erase unbound"
                )
            running = [row for row in rows if not _ended(pipeline, row)]
            if running:
                row = running[0]
                blocked = (
                    finding("erasure.open_case", case=row.id)
                    if row.kind == Kind.CASE
                    else finding("erasure.running", stream=row.id)
                )
                return Refused(row.id, "erase", [blocked], None, subject=subject)
            moment = pipeline.moment()
            for row in rows:
                pipeline.note(tx, row, EventType.ERASED, "erasure", actor, {"basis": basis},
                              moment)  # fmt: skip
            tx.erase_key(subject, moment.utc)
            return Erasure(subject, [row.id for row in rows], rfc3339(moment.utc))

        done = pipeline.run(work)
        if isinstance(done, Refused):
            self._log_command("-", "erase", "refused", started)
            raise done
        scrubbed = self.store.scrub() if scrub else ()
        erasure = Erasure(done.subject, done.streams, done.at, scrubbed)
        self._log_command("-", "erase", "ok", started)
        return erasure

    def erasure_due(self, retention: Mapping[str, int]) -> tuple[str, ...]:
        """The subjects past their retention: every stream of theirs ended (a final
        state) at least the number of days *retention* gives for its kind ago.

        Args:
            retention: Days to keep, by kind of stream (``internship``, ``case``); a
                subject with a stream of a kind not named is kept.

        Returns:
            The subjects due for erasure, in id order (those erased already left out).
        """
        limits = _retention(retention)
        now = self._pipeline.moment().utc
        erased = self.store.erased_subjects()
        due: list[str] = []
        after = ""
        while page := self.store.subjects(after, _SUBJECT_PAGE):
            for subject, rows in page:
                if subject not in erased and self._expired(rows, limits, now):
                    due.append(subject)
            after = page[-1][0]
        return tuple(due)

    def _expired(
        self, rows: tuple[StreamRow, ...], limits: Mapping[str, timedelta], now: datetime
    ) -> bool:
        pipeline = self._pipeline
        for stream in rows:
            row = pipeline.visible(stream)
            if row is None or row.kind not in limits:
                return False
            definition = pipeline.versions.get(row.definition)
            if definition is None or row.state not in definition.final:
                return False
            if datetime.fromisoformat(row.updated_at) + limits[row.kind] > now:
                return False
        return bool(rows)

    # -- access requests -----------------------------------------------------

    def subject_export(self, subject: str, *, actor: Actor) -> dict[str, Any]:
        """Everything held about *subject*, for an access request (GDPR art. 15): each
        of their streams with its state, facts and events, the sealed fields in the
        clear (None once erased). For the data-protection officer, or the student
        themselves (as a ``student``).

        Each stream read is recorded in the access log. Review the export before
        handing it out: a report's description may name other people.

        Raises:
            Refused: the actor is neither (``role.not_allowed``); nothing is read.
            KeyUnavailable: sealed fields exist and the engine has no master key.
        """
        actor = check_actor(actor)
        check_identifier("subject", subject)
        if actor.role not in EXPORT_ROLES and actor != Actor(subject, Role.STUDENT):
            allowed = ", ".join(sorted(EXPORT_ROLES)) + ", the subject"
            found = finding("role.not_allowed", role=actor.role, command="export", allowed=allowed)
            raise Refused("-", "export", [found], None, subject=subject)
        pipeline = self._pipeline

        def work(tx: Transaction) -> dict[str, Any]:
            streams = []
            for stream_id in tx.subject_streams(subject):
                row = pipeline.visible(tx.load(stream_id))
                if row is None:
                    continue
                events = tx.read_events(stream_id)
                items = list(self._sealed(events))
                revealed: dict[int, dict[str, Any]] = {}
                if items:
                    at = pipeline.moment().utc
                    labels = [i.label for i in items]
                    tx.log_access(at, actor.id, actor.role, stream_id, labels, "granted")
                    for value in self._opened(tx, stream_id, items):
                        revealed.setdefault(value.seq, {})[value.field] = _jsonable(value.value)
                streams.append(_exported(row, events, revealed))
            key = tx.subject_key(subject)
            return {
                "subject": subject,
                "exported_at": rfc3339(pipeline.moment().utc),
                "erased_at": None if key is None else key.erased_at,
                "streams": streams,
            }

        export = pipeline.run(work)
        self._log_read("subject_export", "-", "granted")
        return export

    # -- pseudonyms ------------------------------------------------------------

    def pseudonym(self, kind: str, value: str) -> str:
        """The installation's pseudonym of the id *value* of *kind*: an HMAC-SHA-256 under
        a secret of the installation (``p1:`` and 64 hex digits), the same every time, so
        an id that must be matched later (a reporter's, an employer's) is stored as this,
        never as a bare hash. The secret is made on first use and kept wrapped by the
        master key beside the subject keys.

        Raises:
            InvalidInput: *kind* or *value* is no identifier.
            KeyUnavailable: the engine has no master key.
        """
        check_identifier("kind", kind)
        check_identifier("value", value)
        pipeline = self._pipeline
        at = pipeline.moment().utc
        names = pipeline.run(lambda tx: pipeline.keyring.pseudonyms(tx, at))
        return names.of(kind, value)

    # -- master key ----------------------------------------------------------

    def rotate_master_key(self, new: KeyProvider) -> int:
        """Re-wrap every subject key under *new* (a new master key), in one transaction,
        and use it from now on; return how many keys were re-wrapped.

        Stop every other engine on the database first: one still holding the old key
        refuses to wrap a new subject key (``KeyUnavailable``) until it is given the new
        one. Keep the old master key until this returned; then destroy it (and with it
        the wrapped keys in backups taken before, see :doc:`privacy`).

        Raises:
            InvalidInput: *new* is no key provider, or the current master key itself.
            KeyUnavailable: the engine has no master key, or not the one that wrapped
                a key: nothing is changed.
        """
        if not isinstance(new, KeyProvider):
            raise InvalidInput("new", new, "must be a MasterKey (wrap and unwrap)")
        keyring = self._pipeline.keyring
        old = keyring.required("rotation")
        if new is old or new == old:
            raise InvalidInput("new", "<key>", "is the current master key: make a new one")

        def work(tx: Transaction) -> int:
            count, after = 0, ""
            while page := tx.live_keys(after, 1000):
                for row in page:
                    assert row.wrapped is not None  # live keys have their bytes
                    key = old.unwrap(row.key_id, row.wrapped)
                    tx.rewrap_key(row.key_id, new.wrap(row.key_id, key))
                    count += not row.key_id.startswith(RESERVED)  # subjects' keys only
                after = page[-1].key_id
            return count

        count = self._pipeline.run(work)
        keyring.provider = new
        return count

    def _log_read(self, read: str, stream_id: str, outcome: str) -> None:
        """One line per read of sealed fields: ids and outcomes, never a value."""
        if self._stdlog.isEnabledFor(logging.INFO):
            self._log.info("read", read=read, stream=stream_id, outcome=outcome)


def _subject(events: list[SealedEvent], kind: str) -> Actor:
    """The stream's subject as a reader, by the rule its opening recorded it by."""
    opened = events[0]
    body = json.loads(opened.body) if opened.body is not None else {"data": {}}
    return subject_of(body["data"], _author(opened), kind, opened.stream_id)


def _author(event: SealedEvent) -> Actor:
    return Actor(event.actor_id, Role(event.actor_role))


def _fields(
    pipeline: Pipeline, definition: LifecycleDefinition | None, event: SealedEvent
) -> tuple[FieldSpec, ...]:
    """The fields of the command that wrote *event*, under its version (none: unknown)."""
    if definition is None:
        return ()
    if event.type == EventType.NOTED:
        own = pipeline.institution_fact(definition, event.name)
        return () if own is None else own.fields
    return command_fields(definition, event.type, event.name) or ()


def _ended(pipeline: Pipeline, row: StreamRow) -> bool:
    """Whether the stream of *row* is in a final state of its version."""
    definition = pipeline.versions.get(row.definition)
    return definition is not None and row.state in definition.final


def _retention(retention: object) -> dict[str, timedelta]:
    """*retention* as a period by kind, else InvalidInput naming the kind."""
    if not isinstance(retention, Mapping):
        raise InvalidInput("retention", retention, "must map kinds of stream to days")
    limits = {}
    for kind, days in retention.items():
        if kind not in Kind._value2member_map_:
            known = ", ".join(k.value for k in Kind)
            raise InvalidInput("retention", kind, f"unknown kind of stream; known: {known}")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 36_500:
            raise InvalidInput(f"retention.{kind}", days, "must be days: 1 to 36500")
        limits[kind] = timedelta(days=days)
    return limits


def _jsonable(value: str | tuple[str, ...] | None) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def _exported(
    row: StreamRow, events: list[SealedEvent], revealed: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    """One stream of a subject export."""
    stream = stream_of(row)
    entries = []
    for event in events:
        body = json.loads(event.body) if event.body is not None else {"data": {}}
        entries.append(
            {
                "seq": event.seq,
                "type": event.type,
                "name": event.name,
                "occurred_at": event.occurred_at,
                "actor": {"id": event.actor_id, "role": event.actor_role},
                "from_state": event.from_state,
                "to_state": event.to_state,
                "data": body["data"],
                "sealed": dict(revealed.get(event.seq, {})),
            }
        )
    return {
        "id": stream.id,
        "lifecycle": stream.lifecycle,
        "state": stream.state,
        "institution": stream.institution,
        "facts": json.loads(row.facts),
        "events": entries,
    }
