"""What the tests share: their actors, opening data, a recognition verifier, their journey.

Tests import it as ``from support import ...`` (the tests folder is on the path).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from attrs import evolve

from stageborging import Actor, Engine, Notification, hookimpl
from stageborging.lifecycles import AGREEMENT_FIELDS_MBO
from stageborging.testing import Cast, FakeClock, Journey

__all__ = [
    "ADVISOR",
    "ALL_MBO_FIELDS",
    "ASSESSOR",
    "CAST",
    "COACH",
    "EMPLOYER",
    "EXAM",
    "GUARDIAN",
    "PLACEMENT_OFFICE",
    "POSTGRES_DSN",
    "STUDENT",
    "SYSTEM",
    "Recognises",
    "Tells",
    "journey",
    "mbo_details",
    "postgres_dsn",
    "postgres_schema",
]

#: The environment variable naming the PostgreSQL server the contract runs on (.ci/run sets it).
POSTGRES_DSN = "STAGEBORGING_TEST_POSTGRES_DSN"


@contextmanager
def postgres_schema(dsn: str) -> Iterator[str]:
    """A URL of a fresh schema of its own on the server *dsn* names, dropped afterwards,
    so parallel runs never collide."""
    import psycopg

    schema = f"contract_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[call-overload]
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[call-overload]


def postgres_dsn() -> str | None:
    """The test server's DSN, or None where none is configured."""
    return os.environ.get(POSTGRES_DSN) or None


PLACEMENT_OFFICE = Actor("po-1", "placement_office")
COACH = Actor("coach-1", "coach")
STUDENT = Actor("stu-1", "student")
EMPLOYER = Actor("emp-signatory-1", "employer")
GUARDIAN = Actor("guardian-1", "guardian")
EXAM = Actor("exam-1", "exam_committee")
ASSESSOR = Actor("assessor-1", "assessor")
ADVISOR = Actor("vp-1", "confidential_advisor")
HANDLER = Actor("meldpunt-1", "case_handler")
TEAM_LEAD = Actor("tl-1", "team_lead")
SYSTEM = Actor("sis-sync", "system")

#: The tests' actors in the kit's journey.
CAST = evolve(
    Cast(),
    office=PLACEMENT_OFFICE, student=STUDENT, employer=EMPLOYER, coach=COACH,
    guardian=GUARDIAN, exam=EXAM, assessor=ASSESSOR, advisor=ADVISOR, handler=HANDLER,
)  # fmt: skip

ALL_MBO_FIELDS = list(AGREEMENT_FIELDS_MBO)


class Tells:
    """Every transition queues one e-mail to the coach (outbox rows to claim and count)."""

    name = "test-tells"

    @hookimpl
    def stageborging_after_transition(self) -> list[Notification]:
        return [Notification("email", "coach", "moved", {"step": "search"})]


class Recognises:
    """A recognition verifier plugin: every employer except those listed is recognised."""

    name = "test-recognition"

    def __init__(self, *unrecognised: str) -> None:
        self.unrecognised = set(unrecognised)

    @hookimpl
    def stageborging_verify_recognition(self, employer: str) -> bool:
        return employer not in self.unrecognised


def mbo_details(**overrides: Any) -> dict[str, Any]:
    """Opening data of an MBO student, 18 since 2025-09-01, starting on 2027-02-01."""
    data: dict[str, Any] = {
        "student": "stu-1",
        "programme": "prog-ict",
        "qualification": "25604",
        "level": 4,
        "track": "BOL",
        "planned_start": "2027-02-01",
        "planned_end": "2027-06-30",
        "planned_hours": 400,
        "turns_18_on": "2025-09-01",
    }
    data.update(overrides)
    return data


def journey(engine: Engine, clock: FakeClock | None = None) -> Journey:
    """The kit's journey with the tests' actors, opening data, employer and document.

    ``journey(engine).open()`` opens an MBO internship, ``.to_agreement_pending(sid)``,
    ``.sign(sid)``, ``.to_active(sid)`` (with the clock) drive it on.
    """
    return Journey(
        engine, clock, cast=CAST, details=mbo_details(), employer="emp-1", document="pok-1"
    )


def as_schema_3(path: Path) -> None:
    """Make the database at *path* what a release before stored versions made: schema 3,
    no definitions table (its streams' versions are then known only to engines and
    verifiers that have the definitions)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "DROP TRIGGER definitions_no_update; DROP TRIGGER definitions_no_delete;"
            "DROP TRIGGER definitions_keep_first; DROP TABLE definitions;"
            "DROP INDEX outbox_dead; ALTER TABLE outbox DROP COLUMN dead_at;"
            "DROP TABLE deliveries;"
            "DROP TABLE deadlines; ALTER TABLE outbox DROP COLUMN leased_by;"
            "ALTER TABLE outbox DROP COLUMN leased_until;"
            "DROP INDEX streams_by_lifecycle_state; DROP INDEX streams_by_updated;"
            "DROP INDEX streams_by_programme; DROP INDEX streams_by_qualification;"
            "DROP INDEX streams_by_student; DROP INDEX streams_by_employer;"
            "CREATE INDEX streams_by_state ON streams (lifecycle, state);"
            "DROP INDEX events_by_command; DROP INDEX events_by_institution;"
            "DROP INDEX events_escalated; DROP TABLE subject_keys; DROP TABLE stream_subjects;"
            "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;"
            "DROP TABLE access_log; DROP TABLE jobs; DROP TABLE applications;"
            "DROP INDEX streams_by_institution; DROP INDEX streams_by_institution_state;"
            "ALTER TABLE events DROP COLUMN command_id; ALTER TABLE events DROP COLUMN institution;"
            "ALTER TABLE streams DROP COLUMN institution;"
            "PRAGMA user_version = 3;"
        )
