"""The PostgreSQL store: many processes on many hosts share one database.

psycopg 3 with a connection pool (psycopg_pool). Each command is one transaction
at READ COMMITTED that locks its stream's projection row (``SELECT … FOR
UPDATE``), so commands on one stream serialise and commands on different streams
run side by side. Transient failures before the commit (a serialisation
failure, a deadlock, a lost connection, a concurrent insert of the same new
stream) are retried a bounded number of times; a connection lost *during* the
commit leaves the outcome unknown and raises :class:`~stageborging.OutcomeUnknown`,
never a blind retry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from ..audit import OrderedHeads, SealedEvent, StreamRow, VerifyPart, VerifyReport, verify_part
from ..core import (
    ConcurrencyConflict,
    DeliveryAttempt,
    InvalidInput,
    OutboxEntry,
    OutcomeUnknown,
    SchemaVersionError,
    Statistics,
    StoreError,
    check_identifier,
)
from ..lifecycles import LifecycleDefinition
from ._checkpoints import HASHES_AFTER, LAST_POSITION
from ._deliveries import FIND_ENTRY, attempts_query, delivery_attempt, replaying, settlement
from ._keys import (
    ADD_KEY,
    ERASE_KEY,
    ERASED_KEYS,
    LIVE_KEYS,
    READ_KEY,
    REWRAP_KEY,
    check_key_row,
    erase_params,
    rewrap_params,
)
from ._parallel import Range, only, range_where, ranges_of, run_ranges, worker_count
from ._pg_schema import (
    FOLLOW_LIMIT,
    LOG_POSITION,
    MIGRATION_LOCK,
    PG_MIGRATIONS,
    PG_TRIGGERS,
    TX_BITS,
)
from ._protocol import (
    AccessEntry,
    ApplicationCount,
    Closing,
    DeadlineRow,
    DefinitionRow,
    JobRow,
    KeyRow,
    StreamQuery,
    VersionCount,
)
from ._queries import (
    event_kinds,
    pg_fact,
    stream_query,
)
from ._queues import (
    INSERT_DEADLINE,
    LIVE_DEADLINES,
    POSTPONE_DEADLINE,
    check_deadlines,
    check_key,
    check_keys,
    claim_statement,
    close_statement,
    deadline_query,
    due_query,
    lease_statement,
)
from ._rows import (
    ENDED,
    EVENT_COLUMNS,
    FORKED,
    STREAM_COLUMNS,
    Columns,
    check_flag,
    check_id_page,
    check_moment,
    check_page,
    check_work,
    checked_stream,
    outbox_entry,
    outbox_query,
    outbox_row,
    owned,
    pg_style,
    verify_snapshot,
)
from ._safeguarding import (
    ADD_APPLICATION,
    ADD_JOB,
    APPLICATION_COUNTS,
    CLAIM_JOBS,
    FINISH_JOB,
    LEASE_JOB,
    READ_JOBS,
    SET_OUTCOME,
    application_params,
    claim_params,
    count_params,
    job_params,
    outcome_params,
)
from ._subjects import (
    ADD_ACCESS,
    LINK_SUBJECT,
    READ_ACCESS,
    STREAM_SUBJECT,
    SUBJECT_STREAMS,
    SUBJECTS_PAGE,
    access_entry,
    access_row,
    grouped_subjects,
    link_params,
)
from ._subjects import (
    qualified_streams as _qualified,
)

__all__ = ["PostgresStore"]

T = TypeVar("T")

SCHEMA_VERSION = len(PG_MIGRATIONS)
#: The longest wait for a connection, in seconds (a day).
_MAX_TIMEOUT = 86_400
_INSERT_EVENT = (
    f"INSERT INTO events (position, {EVENT_COLUMNS}) "
    f"VALUES ({LOG_POSITION} + %s, {', '.join(['%s'] * len(SealedEvent._fields))})"
)
_INSERT_STREAM = (
    f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join(['%s'] * len(StreamRow._fields))})"
)
_FIND_COMMAND = f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = %s AND command_id = %s"
_UPDATE_STREAM = (
    "UPDATE streams SET state = %s, version = %s, head_hash = %s, facts = %s, "
    "definition = %s, updated_at = %s WHERE id = %s AND version = %s"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (key, stream_id, seq, plugin, channel, recipient_role, template, "
    "params, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_INSERT_DEFINITION = (
    "INSERT INTO definitions (digest, lifecycle, data, stored_at) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (digest) DO NOTHING"
)
_INSERT_DEADLINE = pg_style(INSERT_DEADLINE)
_LIVE_DEADLINES = pg_style(LIVE_DEADLINES)
_ADD_KEY, _READ_KEY, _ERASE_KEY = pg_style(ADD_KEY), pg_style(READ_KEY), pg_style(ERASE_KEY)
_LIVE_KEYS, _REWRAP_KEY = pg_style(LIVE_KEYS), pg_style(REWRAP_KEY)
_LINK_SUBJECT, _STREAM_SUBJECT = pg_style(LINK_SUBJECT), pg_style(STREAM_SUBJECT)
_SUBJECT_STREAMS = pg_style(SUBJECT_STREAMS)
_ADD_ACCESS, _READ_ACCESS = pg_style(ADD_ACCESS), pg_style(READ_ACCESS)
_ADD_JOB, _LEASE_JOB, _FINISH_JOB = pg_style(ADD_JOB), pg_style(LEASE_JOB), pg_style(FINISH_JOB)
_ADD_APPLICATION, _SET_OUTCOME = pg_style(ADD_APPLICATION), pg_style(SET_OUTCOME)
#: How long a scrub waits for transactions older than an erasure, in seconds.
_SCRUB_WAIT = 10.0
#: Failures after which the whole command may run again: nothing of it was committed.
_TRANSIENT = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
    pg_errors.UniqueViolation,  # two commands opened the same new stream at once
)


def _shown(url: str) -> str:
    """The database URL without a password, for messages (its schema option included)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host, db = info.get("host", "localhost"), info.get("dbname", "")
    shown = f"postgresql://{info.get('user', '')}@{host}:{info.get('port', 5432)}/{db}"
    options = str(info.get("options", ""))
    return f"{shown} ({options.strip()})" if options else shown


def _line(exc: BaseException) -> str:
    """The first line of a driver's message (the server's detail lines stay out)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _check_arguments(
    url: object,
    min_size: object,
    max_size: object,
    timeout: object,
    retries: object,
    read_only: object,
) -> None:
    """InvalidInput naming the first argument of PostgresStore that cannot be used."""
    if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
        shown = url.split("://", 1)[0] + "://…" if isinstance(url, str) else url
        raise InvalidInput("url", shown, "must be a postgresql:// URL")
    if "\x00" in url:
        raise InvalidInput("url", _shown(url.replace("\x00", "")), "must not hold a NUL character")
    for field, value, low in (("min_size", min_size, 0), ("max_size", max_size, 1),
                              ("retries", retries, 0)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidInput(field, value, f"must be an integer of at least {low}")
    assert isinstance(min_size, int)
    assert isinstance(max_size, int)
    if min_size > max_size:
        raise InvalidInput("min_size", min_size, f"must not exceed max_size ({max_size})")
    if (
        not isinstance(timeout, (int, float))
        or isinstance(timeout, bool)
        or not 0 < timeout <= _MAX_TIMEOUT
    ):
        raise InvalidInput("timeout", timeout, f"must be seconds above 0, at most {_MAX_TIMEOUT}")
    if not isinstance(read_only, bool):
        raise InvalidInput("read_only", read_only, "must be True or False")


class _Transaction:
    __slots__ = ("_live", "_pipeline", "_rows", "_updates", "_written")

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._live: psycopg.Connection[Any] | None = conn
        self._written = 0  # events this transaction wrote: the next one's index in it
        #: Stream rows this transaction has locked (None: there was no such stream).
        self._rows: dict[str, StreamRow | None] = {}
        #: Held open from lock() to the end: the writes of a batch go in one round trip.
        self._pipeline: AbstractContextManager[Any] | None = None
        #: The projection updates sent in that pipeline, checked when it syncs.
        self._updates: list[tuple[psycopg.Cursor[Any], str, int]] = []

    def finish(self, failed: BaseException | None) -> None:
        """End the batch's pipeline (sending what it holds) before the commit or the
        rollback; after a failure its own errors give way to the first one."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            return
        if failed is not None:
            with suppress(psycopg.Error):
                pipeline.__exit__(type(failed), failed, failed.__traceback__)
            return
        pipeline.__exit__(None, None, None)
        self._check_updates()

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        if self._live is None:
            raise StoreError(ENDED)
        return self._live

    def _indexes(self, count: int) -> range:
        """The places in this transaction of its next *count* events (see LOG_POSITION)."""
        first = self._written
        self._written += count
        if self._written > 1 << TX_BITS:  # pragma: no cover - a million events at once
            raise StoreError(f"one transaction may write at most {1 << TX_BITS} events")
        return range(first, first + count)

    def load(self, stream_id: str) -> StreamRow | None:
        if stream_id in self._rows:
            return self._rows[stream_id]
        row = self._conn.execute(
            f"SELECT {STREAM_COLUMNS} FROM streams WHERE id = %s FOR UPDATE", (stream_id,)
        ).fetchone()
        return None if row is None else StreamRow._make(row)

    def lock(self, stream_ids: Sequence[str]) -> None:
        wanted = sorted(set(stream_ids) - self._rows.keys())  # in id order: no deadlock
        for first in range(0, len(wanted), 1000):
            chunk = wanted[first : first + 1000]
            rows = self._conn.execute(
                f"SELECT {STREAM_COLUMNS} FROM streams WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (chunk,),
            ).fetchall()
            found = {row[0]: StreamRow._make(row) for row in rows}
            # an absent stream cannot be locked: opening it meets a concurrent open of the
            # same id at the insert, which fails and runs the transaction again
            self._rows.update((sid, found.get(sid)) for sid in chunk)
        if self._pipeline is None:  # what follows reads locked rows: writes need not wait
            pipeline = self._conn.pipeline()
            pipeline.__enter__()
            self._pipeline = pipeline

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        rows = self._conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = %s ORDER BY seq", (stream_id,)
        ).fetchall()
        return [SealedEvent._make(row) for row in rows]

    def find_command(self, stream_id: str, command_id: str) -> SealedEvent | None:
        row = self._conn.execute(_FIND_COMMAND, (stream_id, command_id)).fetchone()
        return None if row is None else SealedEvent._make(row)

    def write(
        self,
        row: StreamRow,
        events: Sequence[SealedEvent],
        previous_version: int,
        outbox: Sequence[OutboxEntry] = (),
    ) -> None:
        # One round trip for every statement of the write (pipeline mode); in a batch the
        # pipeline stays open, and the writes of every command go together at its end.
        conn = self._conn
        with nullcontext() if self._pipeline else conn.pipeline():
            cursor = conn.cursor()
            if outbox:
                cursor.executemany(_INSERT_OUTBOX, [outbox_row(entry) for entry in outbox])
            values = [(i, *e) for i, e in zip(self._indexes(len(events)), events, strict=True)]
            if len(values) == 1:
                cursor.execute(_INSERT_EVENT, values[0])
            else:
                cursor.executemany(_INSERT_EVENT, values)
            if previous_version == 0:
                cursor.execute(_INSERT_STREAM, tuple(row))
            else:
                update = conn.execute(
                    _UPDATE_STREAM,
                    (
                        row.state, row.version, row.head_hash, row.facts, row.definition,
                        row.updated_at, row.id, previous_version,
                    ),
                )  # fmt: skip
                self._updates.append((update, row.id, previous_version))
        if self._pipeline is None:
            self._check_updates()
        if row.id in self._rows:
            self._rows[row.id] = row

    def _check_updates(self) -> None:
        updates, self._updates = self._updates, []
        for update, stream_id, previous in updates:
            if update.rowcount != 1:  # pragma: no cover - the row locks make this unreachable
                raise ConcurrencyConflict(stream_id, previous, -1)

    def add_definitions(self, rows: Sequence[DefinitionRow]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_INSERT_DEFINITION, [tuple(row) for row in rows])

    def definitions(self) -> list[DefinitionRow]:
        return PostgresStore._definitions(self._conn)

    def schedule(self, deadlines: Sequence[DeadlineRow]) -> None:
        rows = check_deadlines(deadlines)
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(_INSERT_DEADLINE, rows)

    def claim_due(
        self, now: datetime, limit: int, institution: str | None = None
    ) -> list[DeadlineRow]:
        statement, params = claim_statement(now, limit, institution)
        # rows another transaction claimed are skipped, not waited for: claimers run
        # side by side
        rows = self._conn.execute(
            pg_style(statement) + " FOR UPDATE SKIP LOCKED", params
        ).fetchall()
        return [DeadlineRow._make(row) for row in rows]

    def close_deadlines(self, keys: Sequence[str], status: Closing, at: datetime) -> int:
        statement, stamp = pg_style(close_statement(status)), check_moment("at", at)
        closed = 0
        with self._conn.cursor() as cursor:
            for key in check_keys(keys):
                cursor.execute(statement, (status, stamp, key))
                closed += cursor.rowcount
        return closed

    def live_deadlines(self, stream_id: str) -> list[DeadlineRow]:
        rows = self._conn.execute(
            _LIVE_DEADLINES, (check_identifier("stream_id", stream_id),)
        ).fetchall()
        return [DeadlineRow._make(row) for row in rows]

    def postpone(self, keys: Sequence[str], due_at: datetime) -> int:
        statement, stamp = pg_style(POSTPONE_DEADLINE), check_moment("due_at", due_at)
        moved = 0
        with self._conn.cursor() as cursor:
            for key in check_keys(keys):
                cursor.execute(statement, (stamp, key))
                moved += cursor.rowcount
        return moved

    def add_key(self, key_id: str, wrapped: bytes, at: datetime) -> bool:
        cursor = self._conn.execute(_ADD_KEY, check_key_row(key_id, wrapped, at))
        return cursor.rowcount == 1

    def subject_key(self, key_id: str) -> KeyRow | None:
        row = self._conn.execute(_READ_KEY, (check_identifier("key_id", key_id),)).fetchone()
        return None if row is None else KeyRow.of(row)

    def erase_key(self, key_id: str, at: datetime) -> bool:
        return self._conn.execute(_ERASE_KEY, erase_params(key_id, at)).rowcount == 1

    def live_keys(self, after: str, limit: int) -> list[KeyRow]:
        rows = self._conn.execute(_LIVE_KEYS, check_id_page(after, limit, "key id")).fetchall()
        return list(map(KeyRow.of, rows))

    def rewrap_key(self, key_id: str, wrapped: bytes) -> bool:
        params = rewrap_params(key_id, wrapped)
        return self._conn.execute(_REWRAP_KEY, params).rowcount == 1

    def link_subject(self, stream_id: str, subject: str) -> None:
        params = link_params(stream_id, subject)
        self._conn.execute(_LINK_SUBJECT, params)

    def stream_subject(self, stream_id: str) -> str | None:
        params = (check_identifier("stream_id", stream_id),)
        row = self._conn.execute(_STREAM_SUBJECT, params).fetchone()
        return None if row is None else str(row[0])

    def subject_streams(self, subject: str) -> list[str]:
        rows = self._conn.execute(_SUBJECT_STREAMS, (check_identifier("subject", subject),))
        return [row[0] for row in rows.fetchall()]

    def log_access(
        self,
        at: datetime,
        actor_id: str,
        actor_role: str,
        stream_id: str,
        fields: Sequence[str],
        outcome: str,
    ) -> None:
        self._conn.execute(
            _ADD_ACCESS, access_row(at, actor_id, actor_role, stream_id, fields, outcome)
        )

    def add_job(
        self,
        key: str,
        kind: str,
        stream_id: str,
        institution: str,
        data: Mapping[str, Any],
        due_at: datetime,
        at: datetime,
    ) -> bool:
        params = job_params(key, kind, stream_id, institution, data, due_at, at)
        return self._conn.execute(_ADD_JOB, params).rowcount == 1

    def claim_jobs(
        self,
        kind: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        institution: str | None = None,
    ) -> list[JobRow]:
        until = check_moment("lease_until", lease_until)
        where, params = claim_params(kind, now, limit, institution)
        # rows another claim holds are skipped, not waited for: workers run side by side
        statement = pg_style(CLAIM_JOBS.format(institution=where, lock=" FOR UPDATE SKIP LOCKED"))
        jobs = [JobRow._make(row) for row in self._conn.execute(statement, params).fetchall()]
        if jobs:
            with self._conn.cursor() as cursor:
                cursor.executemany(_LEASE_JOB, [(until, job.key) for job in jobs])
        return [job._replace(leased_until=until) for job in jobs]

    def finish_job(self, key: str, at: datetime) -> bool:
        params = (check_moment("at", at), check_key("key", key))
        return self._conn.execute(_FINISH_JOB, params).rowcount == 1

    def add_application(
        self,
        stream_id: str,
        application: str,
        employer: str,
        institution: str,
        programme: str | None,
        level: int | None,
        sent_on: str,
    ) -> None:
        params = application_params(
            stream_id, application, employer, institution, programme, level, sent_on
        )
        self._conn.execute(_ADD_APPLICATION, params)

    def application_outcome(self, stream_id: str, application: str, outcome: str | None) -> None:
        self._conn.execute(_SET_OUTCOME, outcome_params(stream_id, application, outcome))


_COUNT_EVENTS = "SELECT count(*) FROM events"
#: The stream ids at the given fractions of the events in code point order: one sort.
_SPLIT_POINTS = (
    'SELECT percentile_disc(%s::float8[]) WITHIN GROUP (ORDER BY stream_id COLLATE "C") FROM events'
)


def _scalar(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    """The one value *query* selects."""
    row = conn.execute(query, params).fetchone()
    assert row is not None  # an aggregate or function: always one row
    return row[0]


class PostgresStore:
    """A store in a PostgreSQL database, shared by any number of processes and hosts.

    Args:
        url: A libpq connection URL, ``postgresql://user@host:5432/dbname``
            (parameters such as ``?options=-csearch_path%3Dschool`` choose a schema).
        min_size: Connections the pool keeps open.
        max_size: The most connections the pool opens (size it to the threads
            that run commands at once).
        timeout: Seconds to wait for a free connection, and to connect.
        retries: How many times a transient failure is retried.
        read_only: Connect for reading only (audit): every transaction is
            ``READ ONLY`` and the schema is never migrated.

    Raises:
        InvalidInput: an argument has the wrong kind or size (naming it).
        StoreError: the database cannot be reached, or is not a stageborging one.
        SchemaVersionError: the database is newer than this library.
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 4,
        timeout: float = 10.0,
        retries: int = 5,
        read_only: bool = False,
    ) -> None:
        _check_arguments(url, min_size, max_size, timeout, retries, read_only)
        self.url = url
        self.read_only = read_only
        self._pid = os.getpid()
        self._retries = retries
        self._shown = _shown(url)
        #: What the reads select: a read-only store of an older schema reads its defaults.
        self._columns = Columns.of(SCHEMA_VERSION)
        try:  # one connection first: a bad URL or server fails at once, with its reason
            psycopg.connect(url, connect_timeout=max(1, int(timeout))).close()
        except psycopg.ProgrammingError:
            raise InvalidInput("url", self._shown, "is not a valid connection URL") from None
        except psycopg.Error as exc:
            raise StoreError(f"{self._shown}: cannot connect ({_line(exc)})") from None
        try:
            self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=timeout,
                kwargs={"autocommit": False, "connect_timeout": max(1, int(timeout))},
                open=False,
            )
            self._pool.open(wait=True, timeout=timeout)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self._shown}: cannot connect ({_line(exc)})") from None
        try:
            if read_only:
                self._check_readable()
            else:
                self._migrate()
        except BaseException:
            self.close()
            raise

    # -- schema ------------------------------------------------------------

    def _version(self, conn: psycopg.Connection[Any]) -> int:
        exists = conn.execute("SELECT to_regclass('stageborging_schema')").fetchone()
        if exists is None or exists[0] is None:
            return 0
        rows = conn.execute("SELECT version FROM stageborging_schema").fetchall()
        if len(rows) != 1 or type(rows[0][0]) is not int:
            raise StoreError(f"{self._shown}: not a stageborging database (its schema version)")
        version = int(rows[0][0])
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self._shown}: schema version {version} is newer than this library "
                f"understands ({SCHEMA_VERSION}); upgrade stageborging"
            )
        return version

    def _migrate(self) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            # one process migrates; the others wait here, then find the schema current
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = self._version(conn)
            if version == 0:
                if conn.execute("SELECT to_regclass('events')").fetchone() not in (None, (None,)):
                    raise StoreError(f"{self._shown}: not a stageborging database")
                conn.execute("CREATE TABLE stageborging_schema (version integer NOT NULL)")
                conn.execute("INSERT INTO stageborging_schema VALUES (0)")
            for statements in PG_MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute("UPDATE stageborging_schema SET version = %s", (SCHEMA_VERSION,))

        self._in_transaction(work)

    def _check_readable(self) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            version = self._version(conn)
            if version < 1:
                raise StoreError(
                    f"{self._shown}: no stageborging tables on its search_path (an empty "
                    "schema, one that does not exist, or a role without USAGE on it)"
                )
            self._columns = Columns.of(version)

        self._read(work)

    # -- transactions ------------------------------------------------------

    def _check_process(self) -> None:
        """Refuse a pool inherited through fork(): its sockets belong to the parent."""
        if os.getpid() != self._pid:
            raise StoreError(f"{self._shown}: {FORKED}")

    def _in_transaction(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        self._check_process()
        attempt = 0
        while True:
            try:
                with self._pool.connection() as conn:
                    try:
                        result = work(conn)
                    except BaseException:
                        conn.rollback()
                        raise
                    try:
                        conn.commit()
                    except psycopg.OperationalError as exc:
                        raise OutcomeUnknown(
                            f"{self._shown}: the connection was lost while committing ({exc}); "
                            "the command may or may not have been written: read the stream "
                            "(its version and head hash) before you repeat it"
                        ) from None
                    return result
            except _TRANSIENT:
                if attempt >= self._retries:
                    raise StoreError(f"{self._shown}: gave up after {attempt} retries") from None
            except OutcomeUnknown:
                raise
            except PoolTimeout as exc:  # an OperationalError too, but waited for long enough
                raise StoreError(f"{self._shown}: no free connection ({_line(exc)})") from None
            except psycopg.OperationalError as exc:  # lost before the commit: nothing written
                if attempt >= self._retries:
                    raise StoreError(f"{self._shown}: {_line(exc)}") from None
            except psycopg.Error as exc:
                raise StoreError(f"{self._shown}: {_line(exc)}") from None
            attempt += 1
            time.sleep(0.005 * attempt)

    def _read(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run *work* in one read-only REPEATABLE READ transaction: one snapshot.

        A connection lost (a server restart) is retried: reading twice is harmless.
        """
        self._check_process()
        attempt = 0
        while True:
            try:
                with self._pool.connection() as conn:
                    try:
                        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        return work(conn)
                    finally:
                        if not conn.closed:
                            conn.rollback()
            except PoolTimeout as exc:
                raise StoreError(f"{self._shown}: no free connection ({_line(exc)})") from None
            except psycopg.OperationalError as exc:
                if attempt >= self._retries:
                    raise StoreError(f"{self._shown}: cannot read ({_line(exc)})") from None
            except psycopg.Error as exc:
                raise StoreError(
                    f"{self._shown}: cannot read the database ({_line(exc)})"
                ) from None
            attempt += 1
            time.sleep(0.005 * attempt)

    def run(self, work: Callable[[_Transaction], T]) -> T:
        """Run *work* in one transaction (see :class:`Store`)."""
        check_work(work)

        def within(conn: psycopg.Connection[Any]) -> T:
            tx = _Transaction(conn)
            try:
                result = work(tx)
            except BaseException as exc:
                tx.finish(exc)
                raise
            else:
                tx.finish(None)
                return result
            finally:
                tx._live = None  # kept beyond its transaction, it refuses to work

        return self._write(within)

    def _write(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        if self.read_only:
            raise StoreError(f"{self._shown}: opened read-only")
        return self._in_transaction(work)

    def scrub(self) -> tuple[str, ...]:
        """Leave no copy of erased keys' bytes in the table's files: an erasure's update
        leaves the old row version behind until a vacuum, and a vacuum keeps it while a
        transaction that began before the erasure may still see it. So this waits (a
        bounded time) for those transactions to end, then ``VACUUM FULL`` rewrites the
        (small) keys table into new files, and a checkpoint (when the role may run one)
        lets the server recycle the write-ahead log that held them. WAL segments already
        archived, and backups, keep them: see the privacy docs."""
        if self.read_only:
            raise StoreError(f"{self._shown}: opened read-only")
        done = []
        try:
            with self._pool.connection() as conn:
                conn.autocommit = True
                try:
                    older = self._older_transactions(conn)
                    if older:
                        done.append(f"{older} transaction(s) older than the erasure still "
                                    "ran: run VACUUM FULL subject_keys once they end")  # fmt: skip
                    conn.execute("VACUUM (FULL) subject_keys")
                    done.append("vacuum full subject_keys")
                    try:
                        conn.execute("CHECKPOINT")
                        done.append("checkpoint")
                    except pg_errors.InsufficientPrivilege:
                        done.append("checkpoint left to the server (this role may not run one)")
                finally:
                    conn.autocommit = False
        except psycopg.Error as exc:
            raise StoreError(f"{self._shown}: {_line(exc)}") from None
        return tuple(done)

    @staticmethod
    def _older_transactions(conn: psycopg.Connection[Any]) -> int:
        """How many transactions of this database that began before now still run after
        a bounded wait for them (those this role may see)."""
        (started,) = conn.execute("SELECT clock_timestamp()").fetchone() or (None,)
        deadline = time.monotonic() + _SCRUB_WAIT
        while True:
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND xact_start < %s",
                (started,),
            ).fetchone() or (0,)
            if not count or time.monotonic() > deadline:
                return int(count)
            time.sleep(0.05)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    # -- reads -------------------------------------------------------------

    def read_stream(self, stream_id: str) -> StreamRow | None:
        def work(conn: psycopg.Connection[Any]) -> StreamRow | None:
            row = conn.execute(
                f"SELECT {self._columns.streams} FROM streams WHERE id = %s", (stream_id,)
            ).fetchone()
            return None if row is None else StreamRow._make(row)

        return self._read(work)

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT {self._columns.events} FROM events WHERE stream_id = %s ORDER BY seq",
                (stream_id,),
            ).fetchall()
        )
        return [SealedEvent._make(row) for row in rows]

    def iter_events(self) -> Iterator[SealedEvent]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT {self._columns.events} FROM events ORDER BY stream_id, seq"
            ).fetchall()
        )
        return (SealedEvent._make(row) for row in rows)

    def events_after(
        self, position: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* events after *position* in the global order, never skipping one
        that commits later: only as far as the oldest transaction still running."""
        position, limit = check_page(position, limit)
        where, params = owned(self._columns, institution)

        def work(conn: psycopg.Connection[Any]) -> list[tuple[int, SealedEvent]]:
            rows = conn.execute(
                f"SELECT position, {self._columns.events} FROM events "
                f"WHERE position > %s AND position < {FOLLOW_LIMIT}{pg_style(where)} "
                "ORDER BY position LIMIT %s",
                (position, *params, limit),
            ).fetchall()
            return [(int(row[0]), SealedEvent._make(row[1:])) for row in rows]

        return self._read(work)

    def last_position(self) -> int:
        return int(self._read(lambda conn: _scalar(conn, LAST_POSITION)))

    def hashes_after(self, position: int, limit: int) -> list[tuple[int, str, int, str]]:
        """As :meth:`events_after`: only as far as the oldest transaction still running."""
        position, limit = check_page(position, limit)
        statement = pg_style(
            HASHES_AFTER.replace("ORDER BY", f"AND position < {FOLLOW_LIMIT} ORDER BY")
        )
        rows = self._read(lambda conn: conn.execute(statement, (position, limit)).fetchall())
        return [(int(p), s, int(q), h) for p, s, q, h in rows]

    def streams(self, query: StreamQuery, after: str | None, limit: int) -> list[StreamRow]:
        statement, params = stream_query(
            query, after, limit, pg_fact, as_text=True, columns=self._columns
        )
        rows = self._read(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return [StreamRow._make(row) for row in rows]

    def stream_heads(self) -> dict[str, StreamRow]:
        return self._read(self._heads)

    def _heads(self, conn: psycopg.Connection[Any]) -> dict[str, StreamRow]:
        rows = conn.execute(f"SELECT {self._columns.streams} FROM streams").fetchall()
        return {row[0]: StreamRow._make(row) for row in rows}

    def verify(
        self,
        definitions: Iterable[LifecycleDefinition] = (),
        progress: Callable[[int], None] | None = None,
        workers: int | str = 1,
        stream_id: str | None = None,
    ) -> VerifyReport:
        """Verify every stream (or the one *stream_id*) in one REPEATABLE READ snapshot of
        the database (with more than one worker, each process imports the snapshot: they
        read the same log)."""
        given = tuple(definitions)
        worker_count(workers, 0)  # bad input before any read
        if stream_id is not None:
            check_identifier("stream_id", stream_id)

        def work(conn: psycopg.Connection[Any]) -> VerifyReport:
            erased = self._erased(conn)
            tables = [t for t in PG_TRIGGERS if t != "access_log" or self._columns.subjects]
            guarded = {table: self._guarded(conn, table) for table in tables}

            def scan(known: tuple[LifecycleDefinition, ...]) -> list[VerifyPart]:
                if stream_id is not None:
                    return [self._range_part(conn, only(stream_id), known, progress)[0]]
                count = 0 if workers == 1 else _scalar(conn, _COUNT_EVENTS)
                split = worker_count(workers, count)
                if split == 1:
                    return [self._range_part(conn, (None, None), known, progress)[0]]
                fractions = [k / split for k in range(1, split)]
                points = _scalar(conn, _SPLIT_POINTS, (fractions,))
                snapshot = _scalar(conn, "SELECT pg_export_snapshot()")
                found = run_ranges(
                    self.url, snapshot, ranges_of(points), known,
                    lambda span, tell: self._range_part(conn, span, known, tell), progress,
                )  # fmt: skip
                return [part for part, _ in found]

            return verify_snapshot(given, self._definitions(conn), scan, guarded, erased)

        return checked_stream(self._read(work), stream_id)

    def verify_range(
        self,
        span: Range,
        definitions: Iterable[LifecycleDefinition],
        snapshot: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[VerifyPart, object]:
        """Verify the streams of one range of ids, in the exported *snapshot* (None: one
        of its own)."""
        known = tuple(definitions)

        def work(conn: psycopg.Connection[Any]) -> tuple[VerifyPart, object]:
            if snapshot is not None:
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            return self._range_part(conn, span, known, progress)

        return self._read(work)

    def _range_part(
        self,
        conn: psycopg.Connection[Any],
        span: Range,
        known: tuple[LifecycleDefinition, ...],
        progress: Callable[[int], None] | None,
    ) -> tuple[VerifyPart, object]:
        """Verify the streams of *span* in the open transaction (its mark: none, the
        snapshot is shared)."""
        # two server-side cursors, merged in code point order: streamed, never held
        with (
            conn.cursor(name="stageborging_verify") as events,
            conn.cursor(name="stageborging_heads") as heads,
        ):
            events.itersize = heads.itersize = 2000
            where, params = range_where("id", span, "%s", ' COLLATE "C"', nulls_first=False)
            heads.execute(
                f'SELECT {self._columns.streams} FROM streams{where} ORDER BY id COLLATE "C"',
                params,
            )
            where, params = range_where("stream_id", span, "%s", ' COLLATE "C"', nulls_first=False)
            events.execute(
                f"SELECT {self._columns.events} FROM events{where} "
                'ORDER BY stream_id COLLATE "C", seq',
                params,
            )
            part = verify_part(
                (SealedEvent._make(row) for row in events),
                OrderedHeads(StreamRow._make(row) for row in heads),
                known,
                progress,
            )
        return part, None

    @staticmethod
    def _guarded(conn: psycopg.Connection[Any], table: str) -> bool:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = to_regclass(%s) AND tgenabled <> 'D'",
                (table,),
            )
        }
        return names >= PG_TRIGGERS[table]

    def definitions(self) -> list[DefinitionRow]:
        return self._read(self._definitions)

    @staticmethod
    def _definitions(conn: psycopg.Connection[Any]) -> list[DefinitionRow]:
        rows = conn.execute(
            "SELECT digest, lifecycle, data, stored_at FROM definitions ORDER BY stored_at, digest"
        ).fetchall()
        return [DefinitionRow._make(row) for row in rows]

    def versions(self, institution: str | None = None) -> list[VersionCount]:
        where, params = owned(self._columns, institution, "WHERE")
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT lifecycle, definition, state, count(*) FROM streams{pg_style(where)} "
                "GROUP BY lifecycle, definition, state ORDER BY lifecycle, definition, state",
                params,
            ).fetchall()
        )
        return [VersionCount(lc, digest, state, int(n)) for lc, digest, state, n in rows]

    def streams_under(self, digest: str, institution: str | None = None) -> list[str]:
        where, params = owned(self._columns, institution)
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT id FROM streams WHERE definition = %s{pg_style(where)} ORDER BY id",
                (digest, *params),
            ).fetchall()
        )
        return [row[0] for row in rows]

    def outbox(
        self,
        stream_id: str | None = None,
        pending: bool = True,
        institution: str | None = None,
        dead: bool | None = None,
    ) -> list[OutboxEntry]:
        statement, params = outbox_query(stream_id, pending, self._columns, institution, dead)
        rows = self._read(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return [outbox_entry(row) for row in rows]

    def outbox_entry(self, key: str) -> OutboxEntry | None:
        statement = pg_style(FIND_ENTRY.replace("dead_at", f"{self._columns.dead} AS dead_at"))
        params = (check_key("key", key),)
        row = self._read(lambda conn: conn.execute(statement, params).fetchone())
        return None if row is None else outbox_entry(row)

    def deadlines(self, stream_id: str | None = None, open_only: bool = True) -> list[DeadlineRow]:
        statement, params = deadline_query(stream_id, open_only, self._columns.deadlines)
        rows = self._read(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return [DeadlineRow._make(row) for row in rows]

    def due(
        self,
        until: datetime,
        institution: str | None,
        role: str | None,
        after: tuple[str, int] | None,
        limit: int,
    ) -> list[tuple[int, DeadlineRow]]:
        statement, params = due_query(until, institution, role, after, limit)
        if not self._columns.guidance:
            return []  # a database from before guidance (read-only): nothing can be due
        rows = self._read(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return [(int(row[0]), DeadlineRow._make(row[1:])) for row in rows]

    def escalations(
        self, after: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        return self._events_of(("escalated",), (), after, limit, institution, follow=True)

    def events_of(
        self,
        types: Sequence[str],
        names: Sequence[str],
        after: int,
        limit: int,
        institution: str | None = None,
    ) -> list[tuple[int, SealedEvent]]:
        return self._events_of(types, names, after, limit, institution, follow=False)

    def _events_of(
        self,
        types: Sequence[str],
        names: Sequence[str],
        after: int,
        limit: int,
        institution: str | None,
        *,
        follow: bool,
    ) -> list[tuple[int, SealedEvent]]:
        """The events of *types* or *names* after *after*; when *follow*, only as far as
        the oldest transaction still running (a cursor that resumes never skips one)."""
        after, limit = check_page(after, limit)
        kinds, kind_params = event_kinds(types, names)
        where, params = owned(self._columns, institution)
        horizon = f" AND position < {FOLLOW_LIMIT}" if follow else ""

        def work(conn: psycopg.Connection[Any]) -> list[tuple[int, SealedEvent]]:
            rows = conn.execute(
                f"SELECT position, {self._columns.events} FROM events WHERE {pg_style(kinds)} "
                f"AND position > %s{horizon}{pg_style(where)} "
                "ORDER BY position LIMIT %s",
                (*kind_params, after, *params, limit),
            ).fetchall()
            return [(int(row[0]), SealedEvent._make(row[1:])) for row in rows]

        return self._read(work)

    def lease_outbox(
        self,
        owner: str,
        now: datetime,
        lease_for: timedelta,
        limit: int,
        channel: str | None = None,
        institution: str | None = None,
    ) -> list[OutboxEntry]:
        """Lease pending entries to *owner* (see :class:`Store`); concurrent leases skip
        the rows another lease is taking (``FOR UPDATE SKIP LOCKED``)."""
        statement, params = lease_statement(
            owner, now, lease_for, limit, channel, "FOR UPDATE SKIP LOCKED", institution
        )
        rows = self._write(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return [outbox_entry(row[1:]) for row in sorted(rows)]

    def settle_outbox(
        self,
        key: str,
        owner: str,
        at: datetime,
        *,
        delivered: bool,
        retry_at: datetime | None = None,
        error: str | None = None,
        dead: bool = False,
        outcomes: Sequence[tuple[str, str, str | None]] = (),
    ) -> bool:
        """End *owner*'s lease on entry *key* (see :class:`Store`)."""
        work = settlement(key, owner, at, delivered=delivered, retry_at=retry_at, error=error,
                          dead=dead, outcomes=outcomes, style=pg_style)  # fmt: skip
        return self._write(work)

    def replay_outbox(self, key: str, at: datetime, by: str) -> bool:
        """Make the dead letter *key* pending again (see :class:`Store`)."""
        return self._write(replaying(key, at, by, pg_style))

    def deliveries(
        self, key: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        statement, params = attempts_query(key, after, limit)
        if self._columns.dead == "NULL":
            return []  # a database from before the delivery attempts (read-only)
        rows = self._read(lambda conn: conn.execute(pg_style(statement), params).fetchall())
        return list(map(delivery_attempt, rows))

    def access_log(self, after: int, limit: int) -> list[AccessEntry]:
        after, limit = check_page(after, limit)
        if not self._columns.subjects:
            return []  # a database from before the access log (read-only)
        rows = self._read(lambda conn: conn.execute(_READ_ACCESS, (after, limit)).fetchall())
        return list(map(access_entry, rows))

    def subjects(self, after: str, limit: int) -> list[tuple[str, tuple[StreamRow, ...]]]:
        params = check_id_page(after, limit, "subject id")
        if not self._columns.subjects:
            return []
        statement = pg_style(SUBJECTS_PAGE.format(columns=_qualified(self._columns.streams)))
        rows = self._read(lambda conn: conn.execute(statement, params).fetchall())
        return grouped_subjects(rows)

    def erased_subjects(self) -> frozenset[str]:
        return self._read(self._erased)

    def jobs(self, open_only: bool = True) -> list[JobRow]:
        where = " WHERE done_at IS NULL" if check_flag("open_only", open_only) else ""
        if not self._columns.safeguarding:
            return []  # a database from before jobs (read-only)
        statement = READ_JOBS.format(where=where)
        rows = self._read(lambda conn: conn.execute(statement).fetchall())
        return [JobRow._make(row) for row in rows]

    def application_counts(
        self, since: str, until: str, institution: str | None = None
    ) -> list[ApplicationCount]:
        where, params = count_params(since, until, institution)
        if not self._columns.safeguarding:
            return []
        statement = pg_style(APPLICATION_COUNTS.format(institution=where))
        rows = self._read(lambda conn: conn.execute(statement, params).fetchall())
        return [ApplicationCount(*row) for row in rows]

    def _erased(self, conn: psycopg.Connection[Any]) -> frozenset[str]:
        if not self._columns.subjects:
            return frozenset()
        return frozenset(str(row[0]) for row in conn.execute(ERASED_KEYS).fetchall())

    def statistics(self, institution: str | None = None) -> Statistics:
        where, params = owned(self._columns, institution, "WHERE")
        where, also = pg_style(where), pg_style(owned(self._columns, institution)[0])

        def work(conn: psycopg.Connection[Any]) -> Statistics:
            states: dict[str, dict[str, int]] = {}
            for lifecycle, state, count in conn.execute(
                f"SELECT lifecycle, state, count(*) FROM streams{where} GROUP BY lifecycle, state",
                params,
            ):
                states.setdefault(lifecycle, {})[state] = int(count)
            by_type = {
                t: int(n)
                for t, n in conn.execute(
                    f"SELECT type, count(*) FROM events{where} GROUP BY type", params
                )
            }
            refusals = {
                code: int(n)
                for code, n in conn.execute(
                    f"""
                    SELECT f->>'code', count(*)
                    FROM events,
                         jsonb_array_elements(convert_from(body, 'UTF8')::jsonb->'findings') f
                    WHERE type = 'refused' AND f->>'severity' = 'block'{also}
                    GROUP BY 1 ORDER BY 2 DESC, 1
                    """,
                    params,
                )
            }
            return Statistics(
                states=states,
                events=sum(by_type.values()),
                events_by_type=by_type,
                refusals=refusals,
            )

        return self._read(work)
