"""The PostgreSQL schema and its forward migrations: the same versions as SQLite's.

Table ``stageborging_schema`` holds the version (one row). Opening a database for
writing takes a transaction-scoped advisory lock before it reads the version, so
of several processes starting at once on an empty database one migrates and the
others wait, then find the schema current. Audit connections never migrate.
"""

from __future__ import annotations

__all__ = [
    "FOLLOW_LIMIT",
    "LOG_POSITION",
    "MIGRATION_LOCK",
    "PG_MIGRATIONS",
    "PG_TRIGGERS",
    "TX_BITS",
]

#: The advisory lock key that serialises schema migrations (any constant of our own).
MIGRATION_LOCK = 0x5354_4247  # "STBG"

#: Bits of a position that number the events of one transaction (up to 2**20 each).
TX_BITS = 20
#: The first position of the writing transaction: its id, shifted (each event adds its
#: index within the transaction, in the same INSERT). Transaction ids are
#: handed out in order but commit in any order, so a reader follows the log only up
#: to the oldest transaction still running (FOLLOW_LIMIT): every event below it has
#: committed or never will, so none can appear there later. No write waits for
#: another; a long transaction delays readers, never makes them skip.
LOG_POSITION = f"(pg_current_xact_id()::text::bigint << {TX_BITS})"
#: The position below which the log is final for this reader's snapshot.
FOLLOW_LIMIT = f"pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {TX_BITS}"

_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{table} are append-only'; END $$
"""

#: PG_MIGRATIONS[i] brings a database from version i to version i + 1 (as SQLite's do).
PG_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE streams (
            id          text PRIMARY KEY,
            kind        text NOT NULL,
            lifecycle   text NOT NULL,
            definition  text NOT NULL,
            state       text NOT NULL,
            version     integer NOT NULL,
            head_hash   text NOT NULL,
            facts       text NOT NULL,
            opened_at   text NOT NULL,
            updated_at  text NOT NULL
        )
        """,
        "CREATE INDEX streams_by_state ON streams (lifecycle, state)",
        """
        CREATE TABLE events (
            position    bigint PRIMARY KEY,  -- transaction-ordered: see LOG_POSITION
            stream_id   text NOT NULL,
            seq         integer NOT NULL,
            type        text NOT NULL,
            name        text NOT NULL,
            occurred_at text NOT NULL,
            actor_id    text NOT NULL,
            actor_role  text NOT NULL,
            from_state  text NOT NULL,
            to_state    text NOT NULL,
            lifecycle   text NOT NULL,
            definition  text NOT NULL,
            header      bytea NOT NULL,
            body        bytea,
            body_hash   text NOT NULL,
            prev_hash   text NOT NULL,
            hash        text NOT NULL,
            UNIQUE (stream_id, seq)
        )
        """,
        "CREATE INDEX events_by_type ON events (type, name)",
        # Defence in depth, not a security boundary (as on SQLite): the chain detects.
        _APPEND_ONLY.format(name="stageborging_events_append_only", table="events"),
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        FOR EACH ROW EXECUTE FUNCTION stageborging_events_append_only()
        """,
        """
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION stageborging_events_append_only()
        """,
    ),
    (
        """
        CREATE TABLE outbox (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key             text NOT NULL UNIQUE,
            stream_id       text NOT NULL,
            seq             integer NOT NULL,
            plugin          text NOT NULL,
            channel         text NOT NULL,
            recipient_role  text NOT NULL,
            template        text NOT NULL,
            params          text NOT NULL,
            created_at      text NOT NULL,
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at text,
            delivered_at    text,
            last_error      text
        )
        """,
        "CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at)",
    ),
    (
        # SQLite's third trigger refuses INSERT OR REPLACE; PostgreSQL has no such
        # statement, and TRUNCATE is its way around the row triggers: refuse it.
        """
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION stageborging_events_append_only()
        """,
    ),
    (
        """
        CREATE TABLE definitions (
            digest     text PRIMARY KEY,
            lifecycle  text NOT NULL,
            data       bytea NOT NULL,
            stored_at  text NOT NULL
        )
        """,
        _APPEND_ONLY.format(name="stageborging_definitions_append_only", table="definitions"),
        """
        CREATE TRIGGER definitions_no_update BEFORE UPDATE ON definitions
        FOR EACH ROW EXECUTE FUNCTION stageborging_definitions_append_only()
        """,
        """
        CREATE TRIGGER definitions_no_delete BEFORE DELETE ON definitions
        FOR EACH ROW EXECUTE FUNCTION stageborging_definitions_append_only()
        """,
        """
        CREATE TRIGGER definitions_no_truncate BEFORE TRUNCATE ON definitions
        FOR EACH STATEMENT EXECUTE FUNCTION stageborging_definitions_append_only()
        """,
    ),
    (
        "ALTER TABLE outbox ADD COLUMN leased_by text, ADD COLUMN leased_until text",
        """
        CREATE TABLE deadlines (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key         text NOT NULL UNIQUE,
            stream_id   text NOT NULL,
            step        text NOT NULL,
            due_at      text NOT NULL,
            created_at  text NOT NULL,
            status      text NOT NULL,
            closed_at   text,
            data        text NOT NULL
        )
        """,
        "CREATE INDEX deadlines_open_due ON deadlines (due_at, id) WHERE status = 'open'",
        "CREATE INDEX deadlines_by_stream ON deadlines (stream_id, due_at)",
    ),
    (
        # As SQLite's: stream queries by state, last change and the facts' selective keys.
        "DROP INDEX streams_by_state",  # the next one serves its queries too
        "CREATE INDEX streams_by_lifecycle_state ON streams (lifecycle, state, id)",
        "CREATE INDEX streams_by_updated ON streams (updated_at, id)",
        "CREATE INDEX streams_by_programme ON streams "
        "(((facts::jsonb) -> 'details' ->> 'programme'), id)",
        "CREATE INDEX streams_by_qualification ON streams "
        "(((facts::jsonb) -> 'details' ->> 'qualification'), id)",
        "CREATE INDEX streams_by_student ON streams "
        "(((facts::jsonb) -> 'details' ->> 'student'), id)",
        "CREATE INDEX streams_by_employer ON streams (((facts::jsonb) ->> 'employer'), id)",
    ),
    (
        # As SQLite's: institutions and idempotent commands.
        "ALTER TABLE events ADD COLUMN command_id text, "
        "ADD COLUMN institution text NOT NULL DEFAULT ''",
        "ALTER TABLE streams ADD COLUMN institution text NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX events_by_command ON events (stream_id, command_id) "
        "WHERE command_id IS NOT NULL",
        "CREATE INDEX events_by_institution ON events (institution, position)",
        "CREATE INDEX streams_by_institution ON streams (institution, id)",
        "CREATE INDEX streams_by_institution_state ON streams (institution, lifecycle, state, id)",
    ),
    (
        # As SQLite's: the deadlines' kind, role and institution; guidance gaps.
        "ALTER TABLE deadlines ADD COLUMN kind text NOT NULL DEFAULT 'deadline', "
        "ADD COLUMN role text NOT NULL DEFAULT '', ADD COLUMN institution text NOT NULL DEFAULT ''",
        "DROP INDEX deadlines_open_due",
        "CREATE INDEX deadlines_due ON deadlines (due_at, id) "
        "WHERE status = 'open' AND kind = 'deadline'",
        "CREATE INDEX deadlines_live ON deadlines (due_at, id) WHERE status IN ('open', 'missed')",
        "CREATE INDEX events_escalated ON events (institution, position) WHERE type = 'escalated'",
    ),
    (
        # As SQLite's: the subject keys.
        """
        CREATE TABLE subject_keys (
            key_id      text PRIMARY KEY,
            wrapped     bytea,
            created_at  text NOT NULL,
            erased_at   text
        )
        """,
    ),
    (
        # As SQLite's: the streams' subjects and the append-only access log.
        """
        CREATE TABLE stream_subjects (
            stream_id   text PRIMARY KEY,
            subject     text NOT NULL
        )
        """,
        "CREATE INDEX stream_subjects_by_subject ON stream_subjects (subject, stream_id)",
        """
        INSERT INTO stream_subjects (stream_id, subject)
        SELECT s.id, COALESCE((s.facts::jsonb) -> 'details' ->> 'student', e.actor_id)
        FROM streams s JOIN events e ON e.stream_id = s.id AND e.seq = 1
        """,
        """
        CREATE TABLE access_log (
            position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at          text NOT NULL,
            actor_id    text NOT NULL,
            actor_role  text NOT NULL,
            stream_id   text NOT NULL,
            fields      text NOT NULL,
            outcome     text NOT NULL
        )
        """,
        _APPEND_ONLY.format(name="stageborging_access_log_append_only", table="access log entries"),
        "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION stageborging_access_log_append_only()",
        "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION stageborging_access_log_append_only()",
        "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION stageborging_access_log_append_only()",
    ),
    (
        # As SQLite's: jobs, and the applications sent (filled from the log).
        """
        CREATE TABLE jobs (
            key           text PRIMARY KEY,
            kind          text NOT NULL,
            stream_id     text NOT NULL,
            institution   text NOT NULL,
            data          text NOT NULL,
            due_at        text NOT NULL,
            leased_until  text,
            created_at    text NOT NULL,
            done_at       text
        )
        """,
        "CREATE INDEX jobs_due ON jobs (due_at, key) WHERE done_at IS NULL",
        """
        CREATE TABLE applications (
            stream_id    text NOT NULL,
            application  text NOT NULL,
            employer     text NOT NULL,
            institution  text NOT NULL,
            programme    text NOT NULL,
            level        integer,
            sent_on      text NOT NULL,
            outcome      text,
            PRIMARY KEY (stream_id, application)
        )
        """,
        "CREATE INDEX applications_by_sent ON applications (institution, sent_on)",
        """
        INSERT INTO applications (stream_id, application, employer, institution, programme,
                                  level, sent_on, outcome)
        SELECT e.stream_id, e.b -> 'data' ->> 'application', e.b -> 'data' ->> 'employer',
               e.institution, COALESCE((s.facts::jsonb) -> 'details' ->> 'programme', ''),
               ((s.facts::jsonb) -> 'details' ->> 'level')::integer, e.b ->> 'date',
               (s.facts::jsonb) -> 'applications' ->> (e.b -> 'data' ->> 'application')
        FROM (SELECT stream_id, institution, convert_from(body, 'UTF8')::jsonb AS b FROM events
              WHERE type = 'recorded' AND name = 'application_sent') e
        JOIN streams s ON s.id = e.stream_id
        ON CONFLICT (stream_id, application) DO NOTHING
        """,
    ),
    (
        # As SQLite's: the dead letters and what every delivery attempt came to.
        "ALTER TABLE outbox ADD COLUMN dead_at text",
        "CREATE INDEX outbox_dead ON outbox (dead_at, id) WHERE dead_at IS NOT NULL",
        """
        CREATE TABLE deliveries (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key        text NOT NULL,
            attempt    integer NOT NULL,
            recipient  text NOT NULL,
            outcome    text NOT NULL,
            error      text,
            at         text NOT NULL,
            worker     text NOT NULL
        )
        """,
        "CREATE INDEX deliveries_by_key ON deliveries (key, id)",
    ),
)
#: The triggers that keep each table append-only, as verification looks for them.
PG_TRIGGERS = {
    "events": frozenset({"events_no_update", "events_no_delete", "events_no_truncate"}),
    "definitions": frozenset(
        {"definitions_no_update", "definitions_no_delete", "definitions_no_truncate"}
    ),
    "access_log": frozenset(
        {"access_log_no_update", "access_log_no_delete", "access_log_no_truncate"}
    ),
}
