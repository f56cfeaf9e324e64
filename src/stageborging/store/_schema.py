"""The SQLite schema and its forward migrations.

``PRAGMA user_version`` holds the schema version. Opening a database for
writing applies every missing migration in one transaction; a database newer
than this library is refused. Audit commands open read-only and never migrate:
they verify any version from 1 on, as long as the verified columns are there.
"""

from __future__ import annotations

__all__ = [
    "APPEND_ONLY_TRIGGERS",
    "DEFINITIONS_SINCE",
    "DEFINITION_TRIGGERS",
    "GUIDANCE_SINCE",
    "INSTITUTIONS_SINCE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "VERIFIED_COLUMNS",
]

#: MIGRATIONS[i] brings a database from version i to version i + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE streams (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL,
            lifecycle   TEXT NOT NULL,
            definition  TEXT NOT NULL,
            state       TEXT NOT NULL,
            version     INTEGER NOT NULL,
            head_hash   TEXT NOT NULL,
            facts       TEXT NOT NULL,
            opened_at   TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        )
        """,
        "CREATE INDEX streams_by_state ON streams (lifecycle, state)",
        """
        CREATE TABLE events (
            position    INTEGER PRIMARY KEY,
            stream_id   TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            type        TEXT NOT NULL,
            name        TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            actor_id    TEXT NOT NULL,
            actor_role  TEXT NOT NULL,
            from_state  TEXT NOT NULL,
            to_state    TEXT NOT NULL,
            lifecycle   TEXT NOT NULL,
            definition  TEXT NOT NULL,
            header      BLOB NOT NULL,
            body        BLOB,
            body_hash   TEXT NOT NULL,
            prev_hash   TEXT NOT NULL,
            hash        TEXT NOT NULL,
            UNIQUE (stream_id, seq)
        )
        """,
        "CREATE INDEX events_by_type ON events (type, name)",
        # Defence in depth against casual edits, not a security boundary: whoever
        # can write the file can drop these. The hash chain detects what they hide.
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
        """
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
    ),
    (
        # Notifications written in the same transaction as the event that caused
        # them; delivered later (at least once, idempotent by key).
        """
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            key             TEXT NOT NULL UNIQUE,
            stream_id       TEXT NOT NULL,
            seq             INTEGER NOT NULL,
            plugin          TEXT NOT NULL,
            channel         TEXT NOT NULL,
            recipient_role  TEXT NOT NULL,
            template        TEXT NOT NULL,
            params          TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            delivered_at    TEXT,
            last_error      TEXT
        )
        """,
        "CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at)",
    ),
    (
        # INSERT OR REPLACE (and REPLACE INTO) deletes the row it collides with
        # without firing DELETE triggers: refuse such an insert before it runs.
        # Defence in depth like the two triggers above, not a security boundary.
        """
        CREATE TRIGGER events_no_replace BEFORE INSERT ON events
        WHEN EXISTS (
            SELECT 1 FROM events
            WHERE (stream_id = NEW.stream_id AND seq = NEW.seq) OR position = NEW.position
        )
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
        """,
    ),
    (
        # Every definition version the database's events are stamped with, as the
        # canonical JSON of LifecycleDefinition.to_json(), so a version stays readable
        # after the file or the release that defined it is gone. Its digest is the
        # SHA-256 of that JSON less the description: a changed row is noticed.
        """
        CREATE TABLE definitions (
            digest     TEXT PRIMARY KEY,
            lifecycle  TEXT NOT NULL,
            data       BLOB NOT NULL,
            stored_at  TEXT NOT NULL
        )
        """,
        """
        CREATE TRIGGER definitions_no_update BEFORE UPDATE ON definitions
        BEGIN SELECT RAISE(ABORT, 'definitions are append-only'); END
        """,
        """
        CREATE TRIGGER definitions_no_delete BEFORE DELETE ON definitions
        BEGIN SELECT RAISE(ABORT, 'definitions are append-only'); END
        """,
        # A version stored twice keeps its first row, whatever the INSERT's conflict
        # clause (REPLACE would delete it without a DELETE trigger firing).
        """
        CREATE TRIGGER definitions_keep_first BEFORE INSERT ON definitions
        WHEN EXISTS (SELECT 1 FROM definitions WHERE digest = NEW.digest)
        BEGIN SELECT RAISE(IGNORE); END
        """,
    ),
    (
        # Work queues: deadlines claimed inside a command's transaction, outbox entries
        # leased by a worker beyond its transaction (see Store.lease_outbox).
        "ALTER TABLE outbox ADD COLUMN leased_by TEXT",
        "ALTER TABLE outbox ADD COLUMN leased_until TEXT",
        """
        CREATE TABLE deadlines (
            id          INTEGER PRIMARY KEY,
            key         TEXT NOT NULL UNIQUE,
            stream_id   TEXT NOT NULL,
            step        TEXT NOT NULL,
            due_at      TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            status      TEXT NOT NULL,
            closed_at   TEXT,
            data        TEXT NOT NULL
        )
        """,
        "CREATE INDEX deadlines_open_due ON deadlines (due_at, id) WHERE status = 'open'",
        "CREATE INDEX deadlines_by_stream ON deadlines (stream_id, due_at)",
    ),
    (
        # Stream queries (Store.streams), in stream id order for the cursor: by state, by
        # time of the last change, and by the selective keys of the facts. Written out
        # (a migration never changes); a test checks they match the queries' expressions.
        "DROP INDEX streams_by_state",  # the next one serves its queries too
        "CREATE INDEX streams_by_lifecycle_state ON streams (lifecycle, state, id)",
        "CREATE INDEX streams_by_updated ON streams (updated_at, id)",
        "CREATE INDEX streams_by_programme ON streams "
        "(json_extract(facts, '$.details.programme'), id)",
        "CREATE INDEX streams_by_qualification ON streams "
        "(json_extract(facts, '$.details.qualification'), id)",
        "CREATE INDEX streams_by_student ON streams (json_extract(facts, '$.details.student'), id)",
        "CREATE INDEX streams_by_employer ON streams (json_extract(facts, '$.employer'), id)",
    ),
    (
        # Institutions (a stream belongs to one; "" for none) and idempotent commands
        # (the caller's command id, unique per stream). Both are keys of the hashed
        # header from header version 2 on; these columns serve the queries.
        "ALTER TABLE events ADD COLUMN command_id TEXT",
        "ALTER TABLE events ADD COLUMN institution TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE streams ADD COLUMN institution TEXT NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX events_by_command ON events (stream_id, command_id) "
        "WHERE command_id IS NOT NULL",
        "CREATE INDEX events_by_institution ON events (institution, position)",
        "CREATE INDEX streams_by_institution ON streams (institution, id)",
        "CREATE INDEX streams_by_institution_state ON streams (institution, lifecycle, state, id)",
    ),
    (
        # Guidance: a deadline's kind (a deadline tick claims, or a proposal waiting in
        # due), the role that must act and the stream's institution; a missed deadline
        # stays live (overdue) until it is met or no longer applies. Guidance gaps are
        # the escalated events.
        "ALTER TABLE deadlines ADD COLUMN kind TEXT NOT NULL DEFAULT 'deadline'",
        "ALTER TABLE deadlines ADD COLUMN role TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE deadlines ADD COLUMN institution TEXT NOT NULL DEFAULT ''",
        "DROP INDEX deadlines_open_due",
        "CREATE INDEX deadlines_due ON deadlines (due_at, id) "
        "WHERE status = 'open' AND kind = 'deadline'",
        "CREATE INDEX deadlines_live ON deadlines (due_at, id) WHERE status IN ('open', 'missed')",
        "CREATE INDEX events_escalated ON events (institution, position) WHERE type = 'escalated'",
    ),
    (
        # Privacy: each subject's key, wrapped by the installation's master key; erasing a
        # subject empties its wrapped key for good (the row stays: who was erased, when).
        """
        CREATE TABLE subject_keys (
            key_id      TEXT PRIMARY KEY,
            wrapped     BLOB,
            created_at  TEXT NOT NULL,
            erased_at   TEXT
        )
        """,
    ),
    (
        # Privacy: the subject of each stream (whose key seals its free text, and whose
        # erasure it records: the student, else whoever opened it), and the access log,
        # append-only, of every read of sealed fields, granted or refused.
        """
        CREATE TABLE stream_subjects (
            stream_id   TEXT PRIMARY KEY,
            subject     TEXT NOT NULL
        ) WITHOUT ROWID
        """,
        "CREATE INDEX stream_subjects_by_subject ON stream_subjects (subject, stream_id)",
        """
        INSERT INTO stream_subjects (stream_id, subject)
        SELECT s.id, COALESCE(json_extract(s.facts, '$.details.student'), e.actor_id)
        FROM streams s JOIN events e ON e.stream_id = s.id AND e.seq = 1
        """,
        """
        CREATE TABLE access_log (
            position    INTEGER PRIMARY KEY AUTOINCREMENT,
            at          TEXT NOT NULL,
            actor_id    TEXT NOT NULL,
            actor_role  TEXT NOT NULL,
            stream_id   TEXT NOT NULL,
            fields      TEXT NOT NULL,
            outcome     TEXT NOT NULL
        )
        """,
        """
        CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END
        """,
        """
        CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END
        """,
    ),
    (
        # Safeguarding: jobs that span transactions (an employer's cascade), leased by
        # the worker that runs them; and each application sent, with its employer,
        # programme, level, day and outcome, for the rejection-pattern statistics
        # (filled from the log: a corrected outcome is left as the facts have it later).
        """
        CREATE TABLE jobs (
            key           TEXT PRIMARY KEY,
            kind          TEXT NOT NULL,
            stream_id     TEXT NOT NULL,
            institution   TEXT NOT NULL,
            data          TEXT NOT NULL,
            due_at        TEXT NOT NULL,
            leased_until  TEXT,
            created_at    TEXT NOT NULL,
            done_at       TEXT
        ) WITHOUT ROWID
        """,
        "CREATE INDEX jobs_due ON jobs (due_at, key) WHERE done_at IS NULL",
        """
        CREATE TABLE applications (
            stream_id    TEXT NOT NULL,
            application  TEXT NOT NULL,
            employer     TEXT NOT NULL,
            institution  TEXT NOT NULL,
            programme    TEXT NOT NULL,
            level        INTEGER,
            sent_on      TEXT NOT NULL,
            outcome      TEXT,
            PRIMARY KEY (stream_id, application)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX applications_by_sent ON applications (institution, sent_on)",
        """
        INSERT INTO applications (stream_id, application, employer, institution, programme,
                                  level, sent_on, outcome)
        SELECT e.stream_id, json_extract(e.b, '$.data.application'),
               json_extract(e.b, '$.data.employer'), e.institution,
               COALESCE(json_extract(s.facts, '$.details.programme'), ''),
               json_extract(s.facts, '$.details.level'), json_extract(e.b, '$.date'),
               (SELECT value FROM json_each(s.facts, '$.applications')
                WHERE key = json_extract(e.b, '$.data.application'))
        FROM (SELECT stream_id, institution, CAST(body AS TEXT) AS b FROM events
              WHERE type = 'recorded' AND name = 'application_sent') e
        JOIN streams s ON s.id = e.stream_id
        ON CONFLICT (stream_id, application) DO NOTHING
        """,
    ),
    (
        # Delivery: an entry whose attempts are used up (or that cannot be delivered)
        # is a dead letter until replayed by hand; what every attempt came to, per
        # recipient and per entry (codes only: no address, no message).
        "ALTER TABLE outbox ADD COLUMN dead_at TEXT",
        "CREATE INDEX outbox_dead ON outbox (dead_at, id) WHERE dead_at IS NOT NULL",
        """
        CREATE TABLE deliveries (
            id         INTEGER PRIMARY KEY,
            key        TEXT NOT NULL,
            attempt    INTEGER NOT NULL,
            recipient  TEXT NOT NULL,
            outcome    TEXT NOT NULL,
            error      TEXT,
            at         TEXT NOT NULL,
            worker     TEXT NOT NULL
        )
        """,
        "CREATE INDEX deliveries_by_key ON deliveries (key, id)",
    ),
)
#: The triggers that keep the events table append-only (defence in depth).
APPEND_ONLY_TRIGGERS = frozenset({"events_no_update", "events_no_delete", "events_no_replace"})
#: The triggers that keep the definitions table append-only (schema 4 on).
DEFINITION_TRIGGERS = frozenset(
    {"definitions_no_update", "definitions_no_delete", "definitions_keep_first"}
)
#: The schema version that added the definitions table.
DEFINITIONS_SINCE = 4
#: The schema version that added the institution and command id columns.
INSTITUTIONS_SINCE = 7
#: The schema version that added the deadlines' kind, role and institution.
GUIDANCE_SINCE = 8
#: The schema version that added the subject keys.
KEYS_SINCE = 9
#: The schema version that added the streams' subjects and the access log.
SUBJECTS_SINCE = 10
#: The schema version that added the jobs and applications tables.
SAFEGUARDING_SINCE = 11
#: The schema version that added the dead letters and the delivery attempts.
DELIVERIES_SINCE = 12
#: The triggers that keep the access log append-only.
ACCESS_TRIGGERS = frozenset({"access_log_no_update", "access_log_no_delete"})
#: The columns verification reads, by table.
VERIFIED_COLUMNS = {
    "events": (
        "stream_id", "seq", "type", "name", "occurred_at", "actor_id", "actor_role",
        "from_state", "to_state", "lifecycle", "definition", "header", "body", "body_hash",
        "prev_hash", "hash",
    ),
    "streams": (
        "id", "kind", "lifecycle", "definition", "state", "version", "head_hash", "facts",
        "opened_at", "updated_at",
    ),
}  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)
