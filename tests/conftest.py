"""Shared fixtures: a fresh engine on a temporary SQLite file with a fake clock.

Shared helpers live in the ``support`` package next to this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stageborging import Engine
from stageborging.privacy import MasterKey
from stageborging.store import Store, open_store
from stageborging.testing import FakeClock
from support import POSTGRES_DSN, Recognises, postgres_dsn, postgres_schema


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "stageborging.db"


@pytest.fixture
def db(backend: str) -> str:
    """A fresh database of each backend (see ``backend``): the engine suite runs on both."""
    return backend


@pytest.fixture
def master_key() -> MasterKey:
    """The installation's master key the engine fixtures seal free text under."""
    return MasterKey.generate()


@pytest.fixture
def engine(db: str, clock: FakeClock, master_key: MasterKey) -> Iterator[Engine]:
    """An engine on a fresh database of each backend, with the fake clock."""
    plugins = [Recognises("emp-unrecognised")]
    with Engine(db, plugins=plugins, clock=clock, master_key=master_key) as eng:
        yield eng


@pytest.fixture
def store(backend: str) -> Iterator[Store]:
    """The store of a fresh database of each backend."""
    opened = open_store(backend)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def file_engine(db_path: Path, clock: FakeClock, master_key: MasterKey) -> Iterator[Engine]:
    """An engine on the SQLite file ``db_path``, for tests that open the file themselves."""
    plugins = [Recognises("emp-unrecognised")]
    with Engine(db_path, plugins=plugins, clock=clock, master_key=master_key) as eng:
        yield eng


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each backend, as the ``db`` an engine or store takes.

    PostgreSQL: a schema of its own in the server ``$STAGEBORGING_TEST_POSTGRES_DSN``
    names, dropped afterwards, so parallel runs never collide; skipped without it.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "contract.db")
        return
    dsn = postgres_dsn()
    if not dsn:
        pytest.skip(f"PostgreSQL: set {POSTGRES_DSN} (e.g. postgresql://postgres@127.0.0.1/test)")
    psycopg = pytest.importorskip("psycopg", reason="PostgreSQL: psycopg is not installed")
    try:
        schema = postgres_schema(dsn)
        url = schema.__enter__()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_DSN} is not reachable: {exc}")
    try:
        yield url
    finally:
        schema.__exit__(None, None, None)
