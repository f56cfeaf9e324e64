"""The embedded default store: one SQLite file in WAL mode.

Each command runs in ``BEGIN IMMEDIATE``, so commands on the database (and so
on one stream) serialise across threads and processes; ``synchronous=FULL``
by default makes every committed command survive a power cut.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

from ..audit import OrderedHeads, SealedEvent, StreamRow, VerifyPart, VerifyReport, verify_part
from ..core import (
    ConcurrencyConflict,
    DeliveryAttempt,
    InvalidInput,
    OutboxEntry,
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
    sqlite_fact,
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
    check_count,
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
from ._schema import (
    ACCESS_TRIGGERS,
    APPEND_ONLY_TRIGGERS,
    DEFINITION_TRIGGERS,
    DEFINITIONS_SINCE,
    INSTITUTIONS_SINCE,
    MIGRATIONS,
    SCHEMA_VERSION,
    VERIFIED_COLUMNS,
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

__all__ = ["SQLiteStore", "Synchronous"]

T = TypeVar("T")
P = ParamSpec("P")
Synchronous = Literal["FULL", "NORMAL", "EXTRA"]

_INSERT_EVENT = (
    f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * len(SealedEvent._fields))})"
)
_INSERT_STREAM = (
    f"INSERT INTO streams ({STREAM_COLUMNS}) VALUES ({', '.join('?' * len(StreamRow._fields))})"
)
_FIND_COMMAND = f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND command_id = ?"
_UPDATE_STREAM = (
    "UPDATE streams SET state = ?, version = ?, head_hash = ?, facts = ?, definition = ?, "
    "updated_at = ? WHERE id = ? AND version = ?"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (key, stream_id, seq, plugin, channel, recipient_role, template, "
    "params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_DEFINITION = (
    "INSERT INTO definitions (digest, lifecycle, data, stored_at) VALUES (?, ?, ?, ?)"
)
#: The longest wait for another writer, in seconds (a day).
_MAX_WAIT = 86_400
_TRANSIENT = ("database is locked", "database is busy", "database table is locked")


def _check_arguments(
    path: object, synchronous: object, busy_timeout: object, retries: object, read_only: object
) -> None:
    """InvalidInput naming the first argument of SQLiteStore that cannot be used."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInput("path", path, "must be a database file path")
    if synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise InvalidInput("synchronous", synchronous, "must be FULL, NORMAL or EXTRA")
    if (
        not isinstance(busy_timeout, (int, float))
        or isinstance(busy_timeout, bool)
        or not 0 <= busy_timeout <= _MAX_WAIT
    ):
        raise InvalidInput("busy_timeout", busy_timeout, f"must be seconds from 0 to {_MAX_WAIT}")
    check_count("retries", retries, 0)
    if not isinstance(read_only, bool):
        raise InvalidInput("read_only", read_only, "must be True or False")


def _reading(method: Callable[P, T]) -> Callable[P, T]:
    """A read of the store whose SQLite errors (a damaged file, an I/O error) become a
    StoreError naming the file, as the store's writes do."""

    @functools.wraps(method)
    def read(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            store = args[0]
            assert isinstance(store, SQLiteStore)
            raise store._unreadable(exc) from None

    return read


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may have rolled back already (disk full, I/O error): then there is
    # nothing to undo, and the original error is the one to report.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


#: How often a scrub tries a checkpoint that readers keep from completing.
_SCRUB_ATTEMPTS = 100


def _is_transient(exc: sqlite3.OperationalError) -> bool:
    return any(text in str(exc) for text in _TRANSIENT)


class _Transaction:
    __slots__ = ("_live",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._live: sqlite3.Connection | None = conn

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._live is None:
            raise StoreError(ENDED)
        return self._live

    def load(self, stream_id: str) -> StreamRow | None:
        row = self._conn.execute(
            f"SELECT {STREAM_COLUMNS} FROM streams WHERE id = ?", (stream_id,)
        ).fetchone()
        return None if row is None else StreamRow._make(row)

    def lock(self, stream_ids: Sequence[str]) -> None:
        """Nothing to do: BEGIN IMMEDIATE holds the whole database, and reads are local."""

    def read_events(self, stream_id: str) -> list[SealedEvent]:
        rows = self._conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? ORDER BY seq", (stream_id,)
        )
        return list(map(SealedEvent._make, rows))

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
        conn = self._conn
        if outbox:
            conn.executemany(_INSERT_OUTBOX, [outbox_row(entry) for entry in outbox])
        if len(events) == 1:
            conn.execute(_INSERT_EVENT, events[0])
        else:
            conn.executemany(_INSERT_EVENT, events)
        if previous_version == 0:
            conn.execute(_INSERT_STREAM, row)
            return
        cursor = conn.execute(
            _UPDATE_STREAM,
            (
                row.state, row.version, row.head_hash, row.facts, row.definition,
                row.updated_at, row.id, previous_version,
            ),
        )  # fmt: skip
        if cursor.rowcount != 1:  # pragma: no cover - BEGIN IMMEDIATE makes this unreachable
            raise ConcurrencyConflict(row.id, previous_version, -1)

    def add_definitions(self, rows: Sequence[DefinitionRow]) -> None:
        # the definitions_keep_first trigger ignores a version stored already
        self._conn.executemany(_INSERT_DEFINITION, rows)

    def definitions(self) -> list[DefinitionRow]:
        conn = self._conn
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'definitions'"
        ).fetchone():
            return []  # a database of schema 3 or older, read by an auditor
        rows = conn.execute(
            "SELECT digest, lifecycle, data, stored_at FROM definitions ORDER BY stored_at, digest"
        )
        return list(map(DefinitionRow._make, rows))

    def schedule(self, deadlines: Sequence[DeadlineRow]) -> None:
        self._conn.executemany(INSERT_DEADLINE, check_deadlines(deadlines))

    def claim_due(
        self, now: datetime, limit: int, institution: str | None = None
    ) -> list[DeadlineRow]:
        # BEGIN IMMEDIATE: no other writer runs until this transaction ends
        rows = self._conn.execute(*claim_statement(now, limit, institution))
        return list(map(DeadlineRow._make, rows))

    def close_deadlines(self, keys: Sequence[str], status: Closing, at: datetime) -> int:
        statement, stamp = close_statement(status), check_moment("at", at)
        cursor = self._conn.executemany(
            statement, [(status, stamp, key) for key in check_keys(keys)]
        )
        return cursor.rowcount

    def live_deadlines(self, stream_id: str) -> list[DeadlineRow]:
        rows = self._conn.execute(LIVE_DEADLINES, (check_identifier("stream_id", stream_id),))
        return list(map(DeadlineRow._make, rows))

    def postpone(self, keys: Sequence[str], due_at: datetime) -> int:
        stamp = check_moment("due_at", due_at)
        cursor = self._conn.executemany(
            POSTPONE_DEADLINE, [(stamp, key) for key in check_keys(keys)]
        )
        return cursor.rowcount

    def add_key(self, key_id: str, wrapped: bytes, at: datetime) -> bool:
        return self._conn.execute(ADD_KEY, check_key_row(key_id, wrapped, at)).rowcount == 1

    def subject_key(self, key_id: str) -> KeyRow | None:
        row = self._conn.execute(READ_KEY, (check_identifier("key_id", key_id),)).fetchone()
        return None if row is None else KeyRow.of(row)

    def erase_key(self, key_id: str, at: datetime) -> bool:
        params = erase_params(key_id, at)
        # the freed bytes of the key's row are zeroed where they lie, not left in the page
        self._conn.execute("PRAGMA secure_delete = ON")
        return self._conn.execute(ERASE_KEY, params).rowcount == 1

    def live_keys(self, after: str, limit: int) -> list[KeyRow]:
        rows = self._conn.execute(LIVE_KEYS, check_id_page(after, limit, "key id"))
        return list(map(KeyRow.of, rows))

    def rewrap_key(self, key_id: str, wrapped: bytes) -> bool:
        params = rewrap_params(key_id, wrapped)
        return self._conn.execute(REWRAP_KEY, params).rowcount == 1

    def link_subject(self, stream_id: str, subject: str) -> None:
        params = link_params(stream_id, subject)
        self._conn.execute(LINK_SUBJECT, params)

    def stream_subject(self, stream_id: str) -> str | None:
        params = (check_identifier("stream_id", stream_id),)
        row = self._conn.execute(STREAM_SUBJECT, params).fetchone()
        return None if row is None else str(row[0])

    def subject_streams(self, subject: str) -> list[str]:
        rows = self._conn.execute(SUBJECT_STREAMS, (check_identifier("subject", subject),))
        return [row[0] for row in rows]

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
            ADD_ACCESS, access_row(at, actor_id, actor_role, stream_id, fields, outcome)
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
        return self._conn.execute(ADD_JOB, params).rowcount == 1

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
        # BEGIN IMMEDIATE: no other writer runs until this transaction ends
        rows = self._conn.execute(CLAIM_JOBS.format(institution=where, lock=""), params)
        jobs = list(map(JobRow._make, rows))
        self._conn.executemany(LEASE_JOB, [(until, job.key) for job in jobs])
        return [job._replace(leased_until=until) for job in jobs]

    def finish_job(self, key: str, at: datetime) -> bool:
        params = (check_moment("at", at), check_key("key", key))
        return self._conn.execute(FINISH_JOB, params).rowcount == 1

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
        self._conn.execute(ADD_APPLICATION, params)

    def application_outcome(self, stream_id: str, application: str, outcome: str | None) -> None:
        self._conn.execute(SET_OUTCOME, outcome_params(stream_id, application, outcome))


class SQLiteStore:
    """A store in one SQLite file.

    Args:
        path: The database file; created (with its schema) when absent, unless
            ``read_only``.
        synchronous: ``FULL`` (default: durable on power loss), ``NORMAL``
            (durable on a process crash, faster) or ``EXTRA``.
        busy_timeout: Seconds to wait for another writer before an attempt fails.
        retries: How many times a transient failure (busy, locked) is retried.
        read_only: Open without write access and never migrate (audit). Nothing is
            written beside the file either: a file without a ``-wal`` beside it (a
            closed database, an auditor's one-file copy) is read as immutable, without
            locks or side files; a live database (``-wal`` and ``-shm``) is read
            through its shared memory; a ``-wal`` without ``-shm`` (a two-file copy) is
            copied into a temporary folder and read there.

    Raises:
        InvalidInput: an argument has the wrong kind or size (naming it).
        StoreError: the file cannot be opened or is not a stageborging database.
        SchemaVersionError: the database is newer than this library.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 5.0,
        retries: int = 5,
        read_only: bool = False,
    ) -> None:
        _check_arguments(path, synchronous, busy_timeout, retries, read_only)
        self.path = Path(path)
        self.synchronous = synchronous
        self.read_only = read_only
        self._busy_timeout = busy_timeout
        self._retries = retries
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._memory = (
            f"file:stageborging-{id(self)}?mode=memory&cache=shared"
            if str(path) == ":memory:"
            else None
        )
        self._copy: tempfile.TemporaryDirectory[str] | None = None
        self._immutable = False
        self._state: tuple[object, ...] = ()
        #: What the reads select: a read-only store of an older schema reads its defaults.
        self._columns = Columns.of(SCHEMA_VERSION)
        try:
            if read_only:
                self._choose_read_mode()
            conn = self._connection()
            if not read_only:
                self._migrate(conn)
            else:
                self._check_readable(conn)
        except BaseException:
            self.close()
            raise

    # -- connections -------------------------------------------------------

    def _file_state(self) -> tuple[object, ...]:
        """What says whether the file (or its journal) changed since the read mode was chosen."""
        try:
            st = self.path.stat()
        except OSError:
            return ()
        sides = tuple(Path(f"{self.path}{s}").exists() for s in ("-wal", "-shm", "-journal"))
        return (st.st_ino, st.st_size, st.st_mtime_ns, *sides)

    def _choose_read_mode(self) -> None:
        """Pick how to read the file without writing anything beside it (see the class)."""
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a database file")
        if not self.path.is_file():
            raise StoreError(f"{self.path}: no such database file")
        self._state = self._file_state()
        wal, shm, journal = (Path(f"{self.path}{s}") for s in ("-wal", "-shm", "-journal"))
        # Without a -wal (and no hot rollback journal) the file alone is the database:
        # immutable=1 takes no locks and creates no -wal or -shm, so a copy in a folder
        # nobody may write to verifies too. A writer appearing meanwhile is noticed by
        # _file_state and the verification is repeated (see verify).
        self._immutable = not wal.exists() and not journal.exists()
        if wal.exists() and not shm.exists():
            # Committed events may be in the -wal, and reading it would create a -shm
            # beside it: read a private copy of both files instead.
            self._copy = tempfile.TemporaryDirectory(prefix="stageborging-verify-")
            copy = Path(self._copy.name) / "copy.db"
            try:
                shutil.copyfile(self.path, copy)
                shutil.copyfile(wal, f"{copy}-wal")
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot copy it to read it ({exc})") from None

    def _source(self) -> Path:
        return self.path if self._copy is None else Path(self._copy.name) / "copy.db"

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                mode = "mode=ro&immutable=1" if self._immutable else "mode=ro"
                uri = f"{self._source().resolve().as_uri()}?{mode}"
                conn = sqlite3.connect(
                    uri, uri=True, isolation_level=None, timeout=self._busy_timeout,
                    check_same_thread=False,
                )  # fmt: skip
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            elif self._memory is not None:
                # One in-memory database for every thread's connection (shared cache).
                conn = sqlite3.connect(
                    self._memory, uri=True, isolation_level=None, timeout=self._busy_timeout,
                    check_same_thread=False,
                )  # fmt: skip
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                conn = sqlite3.connect(
                    self.path, isolation_level=None, timeout=self._busy_timeout,
                    check_same_thread=False,
                )  # fmt: skip
                self._patiently(conn, self._set_up)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from None
        return conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs an exclusive lock and does not wait for
        # one (the busy handler is not called): _patiently waits and retries.
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def _patiently(self, conn: sqlite3.Connection, step: Callable[[sqlite3.Connection], T]) -> T:
        """Run *step* as a command would run: wait up to the busy timeout for a lock,
        then retry up to ``retries`` times, for steps SQLite does not wait in itself."""
        attempt = 0
        deadline = time.monotonic() + self._busy_timeout
        pause = 0.001
        while True:
            try:
                return step(conn)
            except sqlite3.OperationalError as exc:
                if not _is_transient(exc):
                    raise
                if time.monotonic() >= deadline:
                    if attempt >= self._retries:
                        raise
                    attempt += 1
                    deadline = time.monotonic() + self._busy_timeout
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

    def _connection(self) -> sqlite3.Connection:
        if os.getpid() != self._pid:
            # SQLite connections must not cross fork(): the child would share the
            # parent's locks and could corrupt the file. Refuse rather than risk it.
            raise StoreError(f"{self.path}: {FORKED}")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def scrub(self) -> tuple[str, ...]:
        """Leave no copy of erased keys' bytes in the files: the erasure zeroed them in
        their page (``secure_delete``); a checkpoint writes that page into the database
        file and truncates the write-ahead log, which held the page as it was."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        conn = self._connection()
        for _ in range(_SCRUB_ATTEMPTS):
            busy, _frames, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return ("secure_delete", "wal_checkpoint(TRUNCATE)")
            time.sleep(0.05)
        return ("secure_delete", "wal_checkpoint incomplete: a reader held the log; run again")

    def close(self) -> None:
        """Close every connection this store opened (in any thread).

        A writer first lets SQLite refresh the statistics its query planner uses
        (``PRAGMA optimize``: cheap, and only where they have gone stale), so that
        stream queries keep choosing their indexes as the database grows.
        """
        if os.getpid() != self._pid:  # inherited through a fork: leave the parent's alone
            self._connections.clear()
            self._closed = True
            return
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not self.read_only and not conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # a busy or broken file: close anyway
                conn.execute("PRAGMA optimize")
        self._disconnect()
        self._closed = True
        if self._copy is not None:
            self._copy.cleanup()
            self._copy = None

    def _disconnect(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- schema ------------------------------------------------------------

    def _check_version(self, conn: sqlite3.Connection) -> int:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path}: schema version {version} is newer than this library "
                f"understands ({SCHEMA_VERSION}); upgrade stageborging"
            )
        return int(version)

    def _check_readable(self, conn: sqlite3.Connection) -> None:
        """Refuse, with the reason, a file verification cannot read as ours."""
        try:
            version = self._check_version(conn)
            if version < 1:
                raise StoreError(f"{self.path}: not a stageborging database (schema version 0)")
            self._columns = Columns.of(version)
            tables = dict(VERIFIED_COLUMNS)
            if version >= INSTITUTIONS_SINCE:
                tables["events"] = (*tables["events"], "command_id", "institution")
                tables["streams"] = (*tables["streams"], "institution")
            if version >= DEFINITIONS_SINCE:
                tables["definitions"] = ("digest", "lifecycle", "data", "stored_at")
            for table, needed in tables.items():
                columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if not columns:
                    raise StoreError(f"{self.path}: not a stageborging database (no table {table})")
                missing = [c for c in needed if c not in columns]
                if missing:
                    raise StoreError(
                        f"{self.path}: not a stageborging database "
                        f"(table {table} has no column {missing[0]})"
                    )
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None

    def _migrate(self, conn: sqlite3.Connection) -> None:
        def work(conn: sqlite3.Connection) -> None:
            version = self._check_version(conn)
            if (
                version == 0
                and conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchone()[0]
            ):
                raise StoreError(f"{self.path}: not a stageborging database")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

        self._in_transaction(conn, work)

    # -- transactions ------------------------------------------------------

    def _in_transaction(
        self, conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]
    ) -> T:
        attempt = 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _is_transient(exc) and attempt < self._retries:
                    attempt += 1
                    time.sleep(0.01 * attempt)
                    continue
                raise StoreError(f"{self.path}: cannot start a transaction ({exc})") from None
            try:
                result = work(conn)
                conn.execute("COMMIT")
                return result
            except sqlite3.OperationalError as exc:
                _rollback(conn)
                if _is_transient(exc) and attempt < self._retries:
                    attempt += 1
                    time.sleep(0.01 * attempt)
                    continue
                raise StoreError(f"{self.path}: {exc}") from None
            except sqlite3.Error as exc:
                _rollback(conn)
                raise StoreError(f"{self.path}: {exc}") from None
            except BaseException:
                _rollback(conn)
                raise

    def run(self, work: Callable[[_Transaction], T]) -> T:
        """Run *work* in one ``BEGIN IMMEDIATE`` transaction (see :class:`Store`)."""
        check_work(work)

        def within(conn: sqlite3.Connection) -> T:
            tx = _Transaction(conn)
            try:
                return work(tx)
            finally:
                tx._live = None  # kept beyond its transaction, it refuses to work

        return self._write(within)

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        return self._in_transaction(self._connection(), work)

    # -- reads -------------------------------------------------------------

    @_reading
    def read_stream(self, stream_id: str) -> StreamRow | None:
        row = (
            self._connection()
            .execute(f"SELECT {self._columns.streams} FROM streams WHERE id = ?", (stream_id,))
            .fetchone()
        )
        return None if row is None else StreamRow._make(row)

    @_reading
    def read_events(self, stream_id: str) -> list[SealedEvent]:
        rows = self._connection().execute(
            f"SELECT {self._columns.events} FROM events WHERE stream_id = ? ORDER BY seq",
            (stream_id,),
        )
        return list(map(SealedEvent._make, rows))

    def verify(
        self,
        definitions: Iterable[LifecycleDefinition] = (),
        progress: Callable[[int], None] | None = None,
        workers: int | str = 1,
        stream_id: str | None = None,
    ) -> VerifyReport:
        """Verify every stream (see :func:`~stageborging.audit.verify_rows`) in one snapshot
        (or the one *stream_id*).

        Events and projection rows are read in one read transaction, so a
        command committing meanwhile is either wholly seen or not at all. A file
        read as immutable that changed meanwhile (a writer started) is verified
        again, through the writer's shared memory. With more than one worker, the
        streams are split between processes, each reading the file in a snapshot
        of its own: when the log grew between them, it is verified again in one.

        Raises:
            StoreError: the file cannot be read (garbled pages, I/O errors).
            InvalidInput: *workers* is not a number from 1 to 64 or ``"auto"``.
        """
        definitions = tuple(definitions)
        worker_count(workers, 0)  # bad input before any read
        if stream_id is not None:
            check_identifier("stream_id", stream_id)
        for _ in range(3):
            report = self._verify_once(definitions, progress, workers, stream_id)
            if not self._immutable or self._file_state() == self._state:
                return checked_stream(report, stream_id)
            self._disconnect()
            self._choose_read_mode()
            self._check_readable(self._connection())
        raise StoreError(f"{self.path}: the file kept changing while it was verified")

    def _verify_once(
        self,
        definitions: tuple[LifecycleDefinition, ...],
        progress: Callable[[int], None] | None,
        workers: int | str,
        stream_id: str | None = None,
    ) -> VerifyReport:
        conn = self._connection()

        def scan(known: tuple[LifecycleDefinition, ...]) -> list[VerifyPart]:
            if stream_id is not None:
                return [self._range_part(only(stream_id), known, progress)[0]]
            count = 0 if workers == 1 else conn.execute("SELECT count(*) FROM events").fetchone()[0]
            split = worker_count(workers, count)
            ranges = ranges_of(self._nth_stream(count * k // split) for k in range(1, split))
            if len(ranges) > 1:
                found = run_ranges(
                    str(self._source()), None, ranges, known,
                    lambda span, tell: self._range_part(span, known, tell), progress,
                )  # fmt: skip
                if len({mark for _, mark in found}) == 1:  # else the log grew meanwhile
                    return [part for part, _ in found]
            return [self._range_part((None, None), known, progress)[0]]

        try:
            conn.execute("BEGIN")
            try:
                guarded = {
                    "events": self.append_only_guards(),
                    "definitions": self._definitions_guarded(),
                }
                if self._columns.subjects:
                    guarded["access_log"] = self._triggers("access_log") >= ACCESS_TRIGGERS
                (schema,) = conn.execute("PRAGMA user_version").fetchone()
                report = verify_snapshot(
                    definitions, self.definitions(), scan, guarded, self.erased_subjects(),
                    holds_definitions=schema >= DEFINITIONS_SINCE,
                )  # fmt: skip
            finally:
                _rollback(conn)
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None
        return report

    def verify_range(
        self,
        span: Range,
        definitions: Iterable[LifecycleDefinition],
        snapshot: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[VerifyPart, object]:
        """Verify the streams of one range of ids, in a read transaction of its own (a
        file has no snapshot to share: *snapshot* is None), and the mark of what it read."""
        conn = self._connection()
        try:
            conn.execute("BEGIN")
            try:
                return self._range_part(span, tuple(definitions), progress)
            finally:
                _rollback(conn)
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None

    def _range_part(
        self,
        span: Range,
        known: tuple[LifecycleDefinition, ...],
        progress: Callable[[int], None] | None,
    ) -> tuple[VerifyPart, object]:
        """Verify the streams of *span* in the open transaction, and its mark: the last
        position of the log it read (equal in every process that read the same log)."""
        conn = self._connection()
        where, params = range_where("stream_id", span)
        events = conn.execute(
            f"SELECT {self._columns.events} FROM events{where} ORDER BY stream_id, seq", params
        )
        where, params = range_where("id", span)
        heads = conn.execute(
            f"SELECT {self._columns.streams} FROM streams{where} ORDER BY id", params
        )
        part = verify_part(
            map(SealedEvent._make, events),
            OrderedHeads(map(StreamRow._make, heads)),  # two cursors merged: flat memory
            known,
            progress,
        )
        return part, conn.execute("SELECT max(position) FROM events").fetchone()[0]

    def _nth_stream(self, k: int) -> object:
        """The stream id of the *k*-th event (from 0) in stream id order, None past the end."""
        row = (
            self._connection()
            .execute("SELECT stream_id FROM events ORDER BY stream_id, seq LIMIT 1 OFFSET ?", (k,))
            .fetchone()
        )
        return None if row is None else row[0]

    def iter_events(self) -> Iterator[SealedEvent]:
        try:
            rows = self._connection().execute(
                f"SELECT {self._columns.events} FROM events ORDER BY stream_id, seq"
            )
            yield from map(SealedEvent._make, rows)
        except sqlite3.Error as exc:
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: sqlite3.Error) -> StoreError:
        """The error of a read the file did not allow (damaged pages, I/O errors)."""
        return StoreError(f"{self.path}: cannot read the database ({exc})")

    @_reading
    def events_after(
        self, position: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        """Up to *limit* events after *position* in the global order. One writer at a time
        takes positions in commit order, so none that commits later is ever skipped."""
        position, limit = check_page(position, limit)
        where, params = owned(self._columns, institution)
        rows = self._connection().execute(
            f"SELECT position, {self._columns.events} FROM events WHERE position > ?{where} "
            "ORDER BY position LIMIT ?",
            (position, *params, limit),
        )
        return [(row[0], SealedEvent._make(row[1:])) for row in rows]

    @_reading
    def last_position(self) -> int:
        return int(self._connection().execute(LAST_POSITION).fetchone()[0])

    @_reading
    def hashes_after(self, position: int, limit: int) -> list[tuple[int, str, int, str]]:
        position, limit = check_page(position, limit)
        rows = self._connection().execute(HASHES_AFTER, (position, limit))
        return [tuple(row) for row in rows]

    @_reading
    def streams(self, query: StreamQuery, after: str | None, limit: int) -> list[StreamRow]:
        statement, params = stream_query(
            query, after, limit, sqlite_fact, as_text=False, columns=self._columns
        )
        return list(map(StreamRow._make, self._connection().execute(statement, params)))

    @_reading
    def stream_heads(self) -> dict[str, StreamRow]:
        rows = self._connection().execute(f"SELECT {self._columns.streams} FROM streams")
        return {row[0]: StreamRow._make(row) for row in rows}

    def _triggers(self, table: str) -> set[str]:
        rows = self._connection().execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        )
        return {row[0] for row in rows}

    @_reading
    def append_only_guards(self) -> bool:
        """True when the triggers that refuse UPDATE, DELETE and REPLACE on events are in place."""
        names = {
            row[0]
            for row in self._connection().execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            )
        }
        return names >= APPEND_ONLY_TRIGGERS

    @_reading
    def definitions(self) -> list[DefinitionRow]:
        return _Transaction(self._connection()).definitions()

    @_reading
    def versions(self, institution: str | None = None) -> list[VersionCount]:
        where, params = owned(self._columns, institution, "WHERE")
        rows = self._connection().execute(
            f"SELECT lifecycle, definition, state, count(*) FROM streams{where} "
            "GROUP BY lifecycle, definition, state ORDER BY lifecycle, definition, state",
            params,
        )
        return list(map(VersionCount._make, rows))

    @_reading
    def streams_under(self, digest: str, institution: str | None = None) -> list[str]:
        where, params = owned(self._columns, institution)
        rows = self._connection().execute(
            f"SELECT id FROM streams WHERE definition = ?{where} ORDER BY id", (digest, *params)
        )
        return [row[0] for row in rows]

    def _definitions_guarded(self) -> bool:
        """True when the definitions table has its triggers, or the schema predates it."""
        conn = self._connection()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version < DEFINITIONS_SINCE:
            return True
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'definitions'"
            )
        }
        return names >= DEFINITION_TRIGGERS

    @_reading
    def outbox(
        self,
        stream_id: str | None = None,
        pending: bool = True,
        institution: str | None = None,
        dead: bool | None = None,
    ) -> list[OutboxEntry]:
        statement, params = outbox_query(stream_id, pending, self._columns, institution, dead)
        rows = self._connection().execute(statement, params)
        return [outbox_entry(row) for row in rows]

    @_reading
    def outbox_entry(self, key: str) -> OutboxEntry | None:
        statement = FIND_ENTRY.replace("dead_at", f"{self._columns.dead} AS dead_at")
        row = self._connection().execute(statement, (check_key("key", key),)).fetchone()
        return None if row is None else outbox_entry(row)

    @_reading
    def deadlines(self, stream_id: str | None = None, open_only: bool = True) -> list[DeadlineRow]:
        statement = deadline_query(stream_id, open_only, self._columns.deadlines)
        return list(map(DeadlineRow._make, self._connection().execute(*statement)))

    @_reading
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
        rows = self._connection().execute(statement, params)
        return [(row[0], DeadlineRow._make(row[1:])) for row in rows]

    @_reading
    def escalations(
        self, after: int, limit: int, institution: str | None = None
    ) -> list[tuple[int, SealedEvent]]:
        return self.events_of(("escalated",), (), after, limit, institution)

    @_reading
    def events_of(
        self,
        types: Sequence[str],
        names: Sequence[str],
        after: int,
        limit: int,
        institution: str | None = None,
    ) -> list[tuple[int, SealedEvent]]:
        after, limit = check_page(after, limit)
        kinds, kind_params = event_kinds(types, names)
        where, params = owned(self._columns, institution)
        rows = self._connection().execute(
            f"SELECT position, {self._columns.events} FROM events WHERE {kinds} "
            f"AND position > ?{where} ORDER BY position LIMIT ?",
            (*kind_params, after, *params, limit),
        )
        return [(row[0], SealedEvent._make(row[1:])) for row in rows]

    def lease_outbox(
        self,
        owner: str,
        now: datetime,
        lease_for: timedelta,
        limit: int,
        channel: str | None = None,
        institution: str | None = None,
    ) -> list[OutboxEntry]:
        """Lease pending entries to *owner* (see :class:`Store`); one writer at a time."""
        statement, params = lease_statement(owner, now, lease_for, limit, channel, "", institution)
        rows = self._write(lambda conn: conn.execute(statement, params).fetchall())
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
                          dead=dead, outcomes=outcomes)  # fmt: skip
        return self._write(work)

    def replay_outbox(self, key: str, at: datetime, by: str) -> bool:
        """Make the dead letter *key* pending again (see :class:`Store`)."""
        return self._write(replaying(key, at, by))

    @_reading
    def deliveries(
        self, key: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        statement, params = attempts_query(key, after, limit)
        if self._columns.dead == "NULL":
            return []  # a database from before the delivery attempts (read-only)
        return list(map(delivery_attempt, self._connection().execute(statement, params)))

    @_reading
    def access_log(self, after: int, limit: int) -> list[AccessEntry]:
        after, limit = check_page(after, limit)
        if not self._columns.subjects:
            return []  # a database from before the access log (read-only)
        rows = self._connection().execute(READ_ACCESS, (after, limit))
        return list(map(access_entry, rows))

    @_reading
    def subjects(self, after: str, limit: int) -> list[tuple[str, tuple[StreamRow, ...]]]:
        if not self._columns.subjects:
            return []
        statement = SUBJECTS_PAGE.format(columns=_qualified(self._columns.streams))
        rows = self._connection().execute(statement, check_id_page(after, limit, "subject id"))
        return grouped_subjects(rows)

    @_reading
    def erased_subjects(self) -> frozenset[str]:
        if not self._columns.subjects:
            return frozenset()
        return frozenset(row[0] for row in self._connection().execute(ERASED_KEYS))

    @_reading
    def jobs(self, open_only: bool = True) -> list[JobRow]:
        where = " WHERE done_at IS NULL" if check_flag("open_only", open_only) else ""
        if not self._columns.safeguarding:
            return []  # a database from before jobs (read-only)
        rows = self._connection().execute(READ_JOBS.format(where=where))
        return list(map(JobRow._make, rows))

    @_reading
    def application_counts(
        self, since: str, until: str, institution: str | None = None
    ) -> list[ApplicationCount]:
        where, params = count_params(since, until, institution)
        if not self._columns.safeguarding:
            return []
        rows = self._connection().execute(APPLICATION_COUNTS.format(institution=where), params)
        return [ApplicationCount(*row) for row in rows]

    @_reading
    def statistics(self, institution: str | None = None) -> Statistics:
        conn = self._connection()
        where, params = owned(self._columns, institution, "WHERE")
        states: dict[str, dict[str, int]] = {}
        for lifecycle, state, count in conn.execute(
            f"SELECT lifecycle, state, count(*) FROM streams{where} GROUP BY lifecycle, state",
            params,
        ):
            states.setdefault(lifecycle, {})[state] = count
        by_type = dict(
            conn.execute(f"SELECT type, count(*) FROM events{where} GROUP BY type", params)
        )
        also, params = owned(self._columns, institution)
        refusals = dict(
            conn.execute(
                f"""
                SELECT json_extract(f.value, '$.code'), count(*)
                FROM events, json_each(CAST(events.body AS TEXT), '$.findings') AS f
                WHERE events.type = 'refused' AND json_extract(f.value, '$.severity') = 'block'
                {also}
                GROUP BY 1 ORDER BY 2 DESC, 1
                """,
                params,
            ).fetchall()
        )
        return Statistics(
            states=states,
            events=sum(by_type.values()),
            events_by_type=by_type,
            refusals=refusals,
        )
