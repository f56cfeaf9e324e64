"""Versions of a definition side by side, and explicit, recorded migrations between them."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stageborging import (
    Actor,
    DefinitionError,
    DefinitionMismatch,
    Engine,
    EventType,
    InvalidInput,
    LifecycleDefinition,
    Refused,
    Registry,
    Transition,
    verify_database,
)
from stageborging.audit import seal
from stageborging.cli import main
from stageborging.core import canonical_bytes
from stageborging.lifecycles import (
    Guard,
    PastDefinition,
    builtin,
    case,
    definition_to_toml,
    fold,
    hbo_stage,
    load_version,
    mbo_bpv,
    released,
)
from stageborging.lifecycles._hardrules import PASSED_BY, VOIDS, path_guards
from stageborging.rules import GUARD_CHECKS, Command, Context, Move
from stageborging.store import SCHEMA_VERSION
from stageborging.testing import FakeClock
from support import (
    COACH,
    PLACEMENT_OFFICE,
    STUDENT,
    SYSTEM,
    Recognises,
    as_schema_3,
    journey,
    mbo_details,
)

FIXTURE = Path(__file__).parent / "data" / "schema3-demo.db"
REASON = "school_year_2027"


def renamed(definition: LifecycleDefinition, renames: dict[str, str]) -> LifecycleDefinition:
    """*definition* with states renamed (each keeping its phase): a compatible next version."""

    def r(state: str) -> str:
        return renames.get(state, state)

    phases = {r(s): definition.phase_of[s] for s in definition.states if r(s) != s}
    return attrs.evolve(
        definition,
        states=[r(s) for s in definition.states],
        initial=r(definition.initial),
        final=[r(s) for s in definition.final],
        transitions=[
            attrs.evolve(t, sources=[r(s) for s in t.sources], dest=r(t.dest))
            for t in definition.transitions
        ],
        facts=[attrs.evolve(f, states=[r(s) for s in f.states]) for f in definition.facts],
        phases={**{r(s): p for s, p in definition.phases}, **phases},
    )


def with_pause(definition: LifecycleDefinition) -> LifecycleDefinition:
    """*definition* with one more transition: the coach pauses a search."""
    pause = Transition("pause_search", ["searching"], "orientation", ["coach"])
    return attrs.evolve(definition, transitions=(*definition.transitions, pause))


def engine_with(db: Path, clock: FakeClock, definition: LifecycleDefinition) -> Engine:
    """An engine whose current ``mbo_bpv`` is *definition*: as a release that changed it."""
    return Engine(
        db,
        builtins=False,
        lifecycles=[definition, hbo_stage(), case()],
        plugins=[Recognises()],
        clock=clock,
    )


def local(clock: FakeClock) -> datetime:
    """The clock's time where the engine judges dates (its default timezone)."""
    return clock().astimezone(ZoneInfo("Europe/Amsterdam"))


#: The built-in versions the previous release's database is stamped with.
PREVIOUS = {
    "mbo_bpv": "7b6c74af9c5abc96d826b0707f38830bc19b2d83d72b786f9b3cef4103830e0a",
    "hbo_stage": "517f791eaa6e55a69f33d73821e65f490939e5f3cc50849a88cc07e89aa8b253",
}


def definitions_table(db: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT digest, lifecycle FROM definitions ORDER BY 2").fetchall()


# -- a database of today's release -------------------------------------------------


def test_a_database_of_the_previous_release_opens_with_every_stream_usable(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The committed demo database (schema 3, no stored versions) upgrades on open; every
    stream reads, replays and verifies; a running one takes commands; nothing is pending."""
    db = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, db)
    with Engine(db, clock=clock) as engine:
        ids = [r[0] for r in sqlite3.connect(db).execute("SELECT id FROM streams")]
        for sid in ids:
            assert engine.replay(sid) == engine.stream(sid)
        assert engine.verify().ok
        assert engine.verify().judged
        pending = {v.digest for v in engine.versions() if v.pending}
        assert pending <= set(PREVIOUS.values())  # running streams wait for a migration
        running = next(
            sid for sid in ids if engine.stream(sid).state in ("assisted_search", "searching")
        )
        engine.record(running, "guidance_contact", actor=COACH, data={"moment": "middle"})
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {name for _, name in definitions_table(db)} == {d.name for d in builtin()}
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "the definitions table does not hold version" in result.stderr  # warned of
    # its export carries this release's copy of the versions it never stored, said so
    out = tmp_path / "old.jsonl"
    exported = CliRunner().invoke(main, ["audit", "export", "--db", str(db), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    copies = [json.loads(line) for line in out.read_text().splitlines()
              if '"source":"release"' in line]  # fmt: skip
    assert copies
    assert not {c["digest"] for c in copies} & {digest for digest, _ in definitions_table(db)}
    checked = CliRunner().invoke(main, ["audit", "verify-export", str(out)])
    assert checked.exit_code == 0, checked.output


def test_a_changed_built_in_migrates_the_previous_release_database(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The previous release's database under a release whose ``mbo_bpv`` changed (a state
    renamed): its running internships are pending, migrate with recorded events, and the
    audit of the result exits 0."""
    db = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, db)
    changed = renamed(with_pause(mbo_bpv()), {"assisted_search": "guided_search"})
    with engine_with(db, clock, changed) as engine:
        (pending,) = [v for v in engine.versions("mbo_bpv") if v.pending]
        assert pending.digest == PREVIOUS["mbo_bpv"]
        dry = engine.migrate_all("mbo_bpv", actor=SYSTEM, reason=REASON, dry_run=True)
        assert {f.code for step in dry for f in step.findings} == {"migrate.state_gone"}
        steps = engine.migrate_all(
            "mbo_bpv",
            actor=SYSTEM,
            reason=REASON,
            mapping={"assisted_search": "guided_search"},
        )
        assert steps
        assert all(step.allowed for step in steps)
        for step in steps:
            assert step.event is not None
            assert step.event.type is EventType.MIGRATED
            assert engine.stream(step.stream_id).definition == changed.digest
        assert not any(v.pending for v in engine.versions("mbo_bpv"))
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    stamped = {(v["lifecycle"], v["digest"]) for v in json.loads(result.stdout)["stamped"]}
    assert ("mbo_bpv", changed.digest) in stamped


def test_the_current_definitions_are_stored_with_the_first_command(
    db_path: Path, clock: FakeClock
) -> None:
    """Opening an engine writes nothing; its first command stores every current version,
    each as the JSON that hashes to its digest, once."""
    with Engine(db_path, clock=clock) as engine:
        assert definitions_table(db_path) == []
        with pytest.raises(InvalidInput):
            engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data={})
        assert definitions_table(db_path) == []
        journey(engine).open()
        journey(engine).open()
    stored = definitions_table(db_path)
    assert sorted(stored) == sorted((d.digest, d.name) for d in builtin())
    with closing(sqlite3.connect(db_path)) as conn:
        for digest, data in conn.execute("SELECT digest, data FROM definitions"):
            assert {d.digest: d for d in builtin()}[digest].to_json() == json.loads(data)


def test_a_stored_version_cannot_be_changed_or_replaced(db_path: Path, clock: FakeClock) -> None:
    """The definitions table is append-only; a version stored again keeps its first row."""
    with Engine(db_path, clock=clock) as engine:
        journey(engine).open()
    digest = mbo_bpv().digest
    with closing(sqlite3.connect(db_path)) as conn:
        for statement in (
            "UPDATE definitions SET data = x'7b7d'",
            "DELETE FROM definitions",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO definitions VALUES (?, 'mbo_bpv', x'7b7d', 'now')", (digest,)
        )
        conn.commit()
        (data,) = conn.execute(
            "SELECT data FROM definitions WHERE digest = ?", (digest,)
        ).fetchone()
    assert json.loads(data) == mbo_bpv().to_json()


def test_an_altered_stored_version_breaks_the_audit(db_path: Path, clock: FakeClock) -> None:
    """A definition row whose bytes no longer hash to its digest is a verified problem."""
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(db_path, clock=clock, lifecycles=[variant]) as engine:
        engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details())
    laxer = with_pause(variant).to_json()
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("DROP TRIGGER definitions_no_update")
        conn.execute(
            "UPDATE definitions SET data = ? WHERE lifecycle = 'variant'",
            (canonical_bytes(laxer),),
        )
        conn.commit()
    report = verify_database(db_path)
    assert not report.ok
    assert "does not hash to its digest" in report.problems[0]
    with closing(sqlite3.connect(db_path)) as conn:  # the same data, not canonical: altered
        conn.execute(
            "UPDATE definitions SET data = ? WHERE lifecycle = 'variant'",
            (json.dumps(variant.to_json(), indent=1).encode(),),
        )
        conn.commit()
    assert "is not canonical JSON" in verify_database(db_path).problems[0]
    assert [u.digest for u in report.unknown] == [variant.digest]
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db_path)])
    assert result.exit_code == 1
    assert "BROKEN: 0 of 1 stream, 1 problem(s) beside them" in result.output
    assert "is not canonical JSON" in result.output


# -- versions side by side -----------------------------------------------------------


def test_streams_keep_their_version_and_its_commands(db: str, clock: FakeClock) -> None:
    """After a change, old streams take the old version's commands, new ones the new."""
    old, new = mbo_bpv(), with_pause(mbo_bpv())
    with engine_with(db, clock, old) as engine:
        before = journey(engine).open()
        journey(engine).search(before)
    with engine_with(db, clock, new) as engine:
        after = journey(engine).open()
        journey(engine).search(after)
        assert engine.stream(before).definition == old.digest
        assert engine.stream(after).definition == new.digest
        with pytest.raises(InvalidInput, match="unknown trigger"):
            engine.fire(before, "pause_search", actor=COACH)
        engine.fire(after, "pause_search", actor=COACH)
        engine.fire(before, "request_assistance", actor=STUDENT)
        assert engine.history(before)[-1].definition == old.digest
        assert engine.replay(before) == engine.stream(before)
        versions = {v.digest: v for v in engine.versions("mbo_bpv")}
        assert versions[old.digest].pending
        assert not versions[old.digest].current
        assert versions[new.digest].current
        assert versions[new.digest].running == 1


def test_a_version_the_engine_does_not_know_takes_no_command(
    db_path: Path, clock: FakeClock
) -> None:
    """Neither the engine nor the database has it: reads work, commands and migrations
    are refused naming the version, and a bulk migration reports it."""
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(db_path, clock=clock, lifecycles=[variant]) as engine:
        sid = engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    as_schema_3(db_path)
    with Engine(db_path, clock=clock, lifecycles=[with_pause(variant)]) as engine:
        with pytest.raises(DefinitionMismatch, match="does not know that version"):
            engine.fire(sid, "begin_search", actor=STUDENT)
        with pytest.raises(DefinitionMismatch):
            engine.migrate(sid, actor=SYSTEM, reason=REASON)
        unknown = next(v for v in engine.versions("variant") if not v.known)
        assert (unknown.digest, unknown.running) == (variant.digest, 1)
        steps = engine.migrate_all("variant", actor=SYSTEM, reason=REASON)
        assert [f.code for f in steps[0].findings] == ["migrate.unknown_version"]
        assert engine.stream(sid).version == 1


# -- migrations ----------------------------------------------------------------------


def test_a_migration_is_a_recorded_event_and_the_stream_runs_on_the_new_version(
    db: str, clock: FakeClock
) -> None:
    old = mbo_bpv()
    new = renamed(with_pause(old), {"searching": "looking"})
    with engine_with(db, clock, old) as engine:
        sid = journey(engine).open()
        journey(engine).search(sid)
        application = {"application": "a1", "employer": "e1"}
        engine.record(sid, "application_sent", actor=STUDENT, data=application)
    with engine_with(db, clock, new) as engine:
        before = engine.stream(sid)
        with pytest.raises(Refused) as refused:
            engine.migrate(sid, actor=SYSTEM, reason=REASON)
        assert [f.code for f in refused.value.findings] == ["migrate.state_gone"]
        assert refused.value.event is None
        assert engine.stream(sid) == before
        event = engine.migrate(sid, actor=SYSTEM, reason=REASON, mapping={"searching": "looking"})
        assert event.type is EventType.MIGRATED
        assert (event.from_state, event.to_state) == ("searching", "looking")
        assert event.definition == new.digest
        assert event.actor == SYSTEM
        assert dict(event.data) == {
            "from": old.digest,
            "to": new.digest,
            "mapping": {"searching": "looking"},
            "reason": REASON,
        }
        after = engine.stream(sid)
        assert (after.definition, after.state, after.facts) == (new.digest, "looking", before.facts)
        assert engine.replay(sid) == after
        engine.fire(sid, "pause_search", actor=COACH)
        assert engine.verify().ok
        assert engine.verify().judged
        with pytest.raises(Refused) as again:
            engine.migrate(sid, actor=SYSTEM, reason=REASON)
        assert [f.code for f in again.value.findings] == ["migrate.already"]
    report = verify_database(db)
    assert report.ok
    assert report.judged


def test_a_migration_into_a_state_without_its_hard_rules_is_refused_with_the_reason(
    db_path: Path, clock: FakeClock
) -> None:
    """An internship that became active under laxer rules, without the employer's
    signature: migrating it to a version of this release is refused (the new rules let a
    stream into ``active`` only after the signatures guard, which it never passed and its
    facts do not satisfy), and nothing is written. Signed, it migrates."""
    lax = _without_signatures_guard()
    with engine_with(db_path, clock, mbo_bpv()) as engine:
        unsigned = journey(engine, clock).open()
        journey(engine, clock).to_active(unsigned)
    _restamp(db_path, lax, drop="signature")  # written under the laxer version
    with engine_with(db_path, clock, mbo_bpv()) as engine:
        before = engine.stream(unsigned)
        assert (before.state, before.facts["signatures"]) == ("active", ())
        decision = engine.check_migrate(unsigned, actor=SYSTEM)
        codes = [f.code for f in decision.blocking]
        assert codes == ["migrate.unsafe_state", "signatures.missing"]
        assert decision.blocking[0].params["guard"] == "signatures"
        with pytest.raises(Refused):
            engine.migrate(unsigned, actor=SYSTEM, reason=REASON)
        assert engine.stream(unsigned) == before
        assert engine.verify().ok


def _without_signatures_guard() -> PastDefinition:
    """``mbo_bpv`` as a laxer earlier release might have had it: no signatures guard."""

    def unsigned(t: Transition) -> Transition:
        return attrs.evolve(t, guards=[g for g in t.guards if g != "signatures"])

    # the proof refuses it as a current definition: build it as a past one
    return PastDefinition(
        **{
            **attrs.asdict(mbo_bpv(), recurse=False),
            "transitions": tuple(map(unsigned, mbo_bpv().transitions)),
        }
    )


def test_each_refusal_reason(db: str, clock: FakeClock) -> None:
    """Role, an ended stream, a mapping that ends it or changes its phase each refuse,
    naming why."""
    old, new = mbo_bpv(), with_pause(mbo_bpv())
    with engine_with(db, clock, old) as engine:
        searching = journey(engine).open()
        journey(engine).search(searching)
        ended = journey(engine).open()
        engine.fire(ended, "withdraw", actor=PLACEMENT_OFFICE)
        active = journey(engine, clock).open()
        journey(engine, clock).to_active(active)

    def codes(sid: str, actor: Actor = SYSTEM, **mapping: str) -> list[str]:
        decision = engine.check_migrate(sid, actor=actor, mapping=mapping)
        return [f.code for f in decision.blocking]

    with engine_with(db, clock, new) as engine:
        assert codes(searching, STUDENT) == ["role.not_allowed"]
        assert codes(ended) == ["migrate.final"]
        assert codes(searching, searching="withdrawn") == ["migrate.ends_stream"]
        assert codes(active, active="suspended") == ["migrate.phase_change"]
        assert codes(searching, searching="employer_verified") == ["migrate.phase_change"]
        assert codes(active) == []
        assert codes(searching) == []
        for sid, actor in ((searching, COACH), (ended, SYSTEM)):
            with pytest.raises(Refused):
                engine.migrate(sid, actor=actor, reason=REASON)


def test_bad_migration_input_names_the_argument(db: str, clock: FakeClock) -> None:
    old, new = mbo_bpv(), with_pause(mbo_bpv())
    with engine_with(db, clock, old) as engine:
        sid = journey(engine).open()
    with engine_with(db, clock, new) as engine:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"to": "nothex!!"}, "to"),
            ({"to": "0123abcd"}, "to"),
            ({"to": 7}, "to"),
            ({"reason": "two words"}, "reason"),
            ({"reason": None}, "reason"),
            ({"mapping": ["orientation"]}, "mapping"),
            ({"mapping": {"orientation": "nowhere"}}, "mapping.orientation"),
            ({"mapping": {"nowhere": "searching"}}, "mapping"),
            ({"mapping": {"orientation": 3}}, "mapping.orientation"),
            ({"actor": "system"}, "actor"),
            ({"expected_version": "1"}, "expected_version"),
        ]
        for change, field in cases:
            arguments: dict[str, Any] = {"actor": SYSTEM, "reason": REASON, **change}
            with pytest.raises(InvalidInput) as info:
                engine.migrate(sid, **arguments)
            assert info.value.field == field, change
        with pytest.raises(InvalidInput) as other:
            engine.migrate(sid, actor=SYSTEM, reason=REASON, to=case().digest[:12])
        assert other.value.field == "to"
        assert engine.stream(sid).version == 1


def test_a_past_version_the_hard_rules_now_refuse_is_read_and_migrated_not_run(
    db_path: Path, clock: FakeClock
) -> None:
    """A version stamped under laxer rules (here: ``start`` without the signatures guard)
    is read and verified, takes no command, and its streams migrate only where safe."""

    lax = _without_signatures_guard()
    assert lax.unsafe is not None
    assert "signatures" in lax.unsafe
    with pytest.raises(DefinitionError, match="refused"):
        Registry(builtins=False, lifecycles=[lax])
    # An earlier release ran it: write its streams as that release would have.
    with engine_with(db_path, clock, mbo_bpv()) as engine:
        ready = journey(engine, clock).open()
        journey(engine, clock).to_ready_to_start(ready)
    _restamp(db_path, lax)
    with Engine(db_path, clock=clock, plugins=[], lifecycles=()) as engine:
        assert engine.stream(ready).definition == lax.digest
        assert engine.replay(ready) == engine.stream(ready)
        with pytest.raises(DefinitionMismatch, match="hard rules refuse"):
            engine.fire(ready, "start", actor=COACH)
        version = next(v for v in engine.versions("mbo_bpv") if v.digest == lax.digest)
        assert version.unsafe
        assert version.pending
        engine.migrate(ready, actor=SYSTEM, reason="rules_2027")
        assert engine.stream(ready).definition == mbo_bpv().digest
        assert engine.verify().ok
        assert engine.verify().judged


def _restamp(db: Path, past: LifecycleDefinition, drop: str | None = None) -> None:
    """Rewrite every mbo_bpv stream of *db* as if an earlier release had written it under
    *past*, without the events recording the fact *drop*: sealed again, so the chains
    verify, with the projection refolded."""
    columns = (
        "stream_id, seq, type, name, occurred_at, actor_id, actor_role, from_state, to_state,"
        " lifecycle, definition, header, body, body_hash, prev_hash, hash"
    )
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(
            "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;"
            "DROP TRIGGER events_no_replace;"
        )
        conn.execute(
            "INSERT INTO definitions VALUES (?, 'mbo_bpv', ?, '2026-09-01T00:00:00.000000Z')",
            (past.digest, canonical_bytes(past.to_json())),
        )
        rows = conn.execute(
            "SELECT stream_id, type, name, occurred_at, actor_id, actor_role, from_state,"
            " to_state, header, body FROM events WHERE lifecycle = 'mbo_bpv'"
            " ORDER BY stream_id, seq"
        ).fetchall()
        conn.execute("DELETE FROM events WHERE lifecycle = 'mbo_bpv'")
        chains: dict[str, list[Any]] = {}
        for sid, type_, name, at, actor_id, role, source, dest, header, body in rows:
            if type_ == "recorded" and name == drop:
                continue
            chain = chains.setdefault(sid, [])
            sealed = seal(
                stream_id=sid, seq=len(chain) + 1, type=type_, name=name, occurred_at=at,
                actor_id=actor_id, actor_role=role, from_state=source, to_state=dest,
                lifecycle="mbo_bpv", definition=past.digest,
                plugins=[tuple(p) for p in json.loads(header)["plugins"]],
                body=json.loads(body), prev_hash=chain[-1].hash if chain else "0" * 64,
            )  # fmt: skip
            chain.append(sealed)
            conn.execute(
                f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * 16)})", sealed[:16]
            )
        for sid, chain in chains.items():
            events = [
                {"seq": e.seq, "type": e.type, "name": e.name, "definition": e.definition,
                 "role": e.actor_role, "body": json.loads(e.body)}
                for e in chain
            ]  # fmt: skip
            facts = fold(events, lambda digest: past)
            conn.execute(
                "UPDATE streams SET definition = ?, head_hash = ?, version = ?, facts = ?,"
                " updated_at = ? WHERE id = ?",
                (past.digest, chain[-1].hash, len(chain), canonical_bytes(facts).decode(),
                 chain[-1].occurred_at, sid),
            )  # fmt: skip
        conn.commit()


def test_definition_toml_of_a_past_version_round_trips() -> None:
    """A release file is the TOML of the definition: it loads back to the same digest."""
    for definition in released():
        assert load_version(tomllib.loads(definition_to_toml(definition))).digest == (
            definition.digest
        )


# -- the property: migrating random streams to a random compatible version -------------

A = mbo_bpv()
#: The first internship of the kit's story: how far along it a random stream gets.
STORY_STEPS = 27


def _unsafe_guard(
    engine: Engine, sid: str, target: LifecycleDefinition, state: str, now: datetime
) -> Guard | None:
    """An oracle from the public log: the first path guard of *state*'s phase under
    *target* that no accepted event of the stream passed after the facts it vouches for
    last changed, and that its recorded facts fail (recognition: only an event passes it)."""
    stream = engine.stream(sid)
    versions = {d.digest: d for d in (A, target)}
    for guard in path_guards(target.phase_of[state], target.education):
        passed = False
        for logged in engine.history(sid):
            if logged.type not in (EventType.TRANSITIONED, EventType.RECORDED):
                continue
            definition = versions[logged.definition]
            spec: Any = (
                definition.transitions_by_trigger[logged.name]
                if logged.type is EventType.TRANSITIONED
                else definition.facts_by_name[logged.name]
            )
            effects = spec.effects if logged.type is EventType.TRANSITIONED else (spec.effect,)
            if any(n in spec.guards or n in effects for n in PASSED_BY[guard]):
                passed = True
            if any(guard in VOIDS.get(effect, ()) for effect in effects):
                passed = False
        if passed:
            continue
        if guard is Guard.RECOGNITION:
            return guard
        move = Move(EventType.MIGRATED, "migrate", state, (), {})
        cmd = Command(target, state, stream.facts, SYSTEM, move, now)
        if any(f.blocks for f in GUARD_CHECKS[guard](cmd, Context(lambda *a: None))):  # type: ignore[arg-type,return-value]
            return guard
    return None


@st.composite
def next_versions(draw: st.DrawFn) -> tuple[LifecycleDefinition, dict[str, str]]:
    """A compatible next version of ``mbo_bpv`` (states renamed, a transition added) and
    the renames."""
    renames = {
        s: f"{s}_v2"
        for s in draw(st.sets(st.sampled_from([s for s in A.states if s not in A.final])))
    }
    return renamed(with_pause(A) if draw(st.booleans()) else A, renames), renames


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    change=next_versions(),
    stops=st.lists(st.integers(0, STORY_STEPS), min_size=1, max_size=4),
    data=st.data(),
)
def test_random_streams_migrate_to_a_random_version_safely(
    tmp_path_factory: pytest.TempPathFactory,
    change: tuple[LifecycleDefinition, dict[str, str]],
    stops: list[int],
    data: st.DataObject,
) -> None:
    """Every chain verifies and replays; a moved stream sits where the new version's
    hard rules allow it; a refused one is untouched; and a stream is refused exactly
    when its state is gone or final, its phase would change, or the oracle finds a hard
    guard neither passed nor witnessed."""
    target, renames = change
    db = tmp_path_factory.mktemp("migrate") / "m.db"
    clock = FakeClock()
    with engine_with(db, clock, A) as engine:
        for stop in stops:
            story = journey(engine, clock).steps()
            first = None
            for _ in range(stop):
                sid, kind, name, actor, given_data = next(story)
                if first is not None and sid != first:
                    break
                first = sid
                command = engine.fire if kind == "fire" else engine.record
                command(sid, name, actor=actor, data=given_data)
            story.close()
    with engine_with(db, clock, target) as engine:
        ids = [r[0] for r in sqlite3.connect(db).execute(
            "SELECT id FROM streams WHERE lifecycle = 'mbo_bpv'")]  # fmt: skip
        before = {sid: engine.stream(sid) for sid in ids}
        # the renames, and random moves of states streams are in (many will be refused)
        held = sorted({s.state for s in before.values()} - set(renames) - set(A.final))
        moves = (
            data.draw(st.dictionaries(st.sampled_from(held), st.sampled_from(target.states)))
            if held
            else {}
        )
        applied = {**renames, **moves}
        migrated = engine.migrate_all("mbo_bpv", actor=SYSTEM, reason=REASON, mapping=applied)
        steps = {step.stream_id: step for step in migrated}
        report = engine.verify()
        assert report.ok, report
        assert report.judged, report
        for sid in ids:
            stream = engine.stream(sid)
            assert engine.replay(sid) == stream
            old = before[sid]
            if old.state in A.final or target.digest == A.digest:
                assert sid not in steps
                assert stream == old
                continue
            step = steps[sid]
            dest = applied.get(old.state, old.state)
            gone = dest not in target.states or dest in target.final
            source, phase = A.phase_of[old.state], None if gone else target.phase_of[dest]
            entry = phase is not None and phase != source
            unsafe = not gone and _unsafe_guard(engine, sid, target, dest, local(clock)) is not None
            assert step.allowed is not (gone or entry or unsafe), step.findings
            if step.allowed:
                assert (stream.definition, stream.state, stream.facts) == (
                    target.digest,
                    dest,
                    old.facts,
                )
            else:
                assert stream == old  # a refused migration changes nothing
            event(
                "moved" if step.allowed else "refused: gone" if gone
                else "refused: phase" if entry else "refused: unsafe"
            )  # fmt: skip


# -- the command line ------------------------------------------------------------------


def test_the_command_line_lists_and_migrates_a_changed_definition_file(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A school edits its TOML file between years: ``lifecycle migrate`` lists what is
    pending, a dry run writes nothing, the migration records events, the audit holds."""
    db = tmp_path / "school.db"
    last_year = attrs.evolve(mbo_bpv(), name="roc_bpv")
    with Engine(db, clock=clock, lifecycles=[last_year]) as engine:
        searching = engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
        engine.fire(searching, "begin_search", actor=STUDENT)
        orientation = engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    this_year = tmp_path / "roc_bpv.toml"
    this_year.write_text(
        definition_to_toml(renamed(with_pause(last_year), {"searching": "looking"})),
        encoding="utf-8",
    )
    runner = CliRunner()
    base = ["lifecycle", "migrate", "--db", str(db), "--lifecycle", str(this_year)]

    listed = runner.invoke(main, [*base, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    pending = [v for v in json.loads(listed.stdout) if v["pending"]]
    assert [(v["lifecycle"], v["digest"], v["running"]) for v in pending] == [
        ("roc_bpv", last_year.digest, 2)
    ]

    dry = runner.invoke(main, [*base, "roc_bpv", "--dry-run"])
    assert dry.exit_code == 1, dry.output  # the searching stream needs a mapping
    assert "migrate.state_gone" in dry.output
    assert "would move 1, refused 1 (dry run: nothing written)" in dry.output
    with Engine(db, clock=clock, lifecycles=[last_year]) as engine:
        assert engine.stream(searching).version == 2

    no_actor = runner.invoke(main, [*base, "roc_bpv", "--map", "searching=looking"])
    assert no_actor.exit_code == 2
    assert "--actor and --reason needed" in no_actor.output
    bad_map = runner.invoke(main, [*base, "roc_bpv", "--map", "searching"])
    assert bad_map.exit_code == 2
    assert "give OLD=NEW" in bad_map.output
    unknown_state = runner.invoke(
        main, [*base, "roc_bpv", "--map", "searching=nowhere", "--dry-run"]
    )
    assert unknown_state.exit_code == 2
    assert "--map" in unknown_state.output
    assert "'nowhere': is not a state of version" in unknown_state.output
    assert "Traceback" not in unknown_state.output

    done = runner.invoke(
        main,
        [*base, "roc_bpv", "--map", "searching=looking", "--actor", "system:sis-2027",
         "--reason", REASON, "--format", "json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    moved = {row["stream"]: row for row in json.loads(done.stdout)}
    assert moved[searching]["to_state"] == "looking"
    assert moved[orientation]["moved"] is True
    assert runner.invoke(main, ["audit", "verify", "--db", str(db)]).exit_code == 0
    again = runner.invoke(main, base)
    assert "Nothing to migrate" in again.output


def test_audit_verify_exits_2_naming_a_version_it_cannot_judge(
    db_path: Path, clock: FakeClock
) -> None:
    variant = attrs.evolve(mbo_bpv(), name="variant")
    with Engine(db_path, lifecycles=[variant], clock=clock) as engine:
        engine.open("variant", actor=PLACEMENT_OFFICE, data=mbo_details())
    as_schema_3(db_path)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "CANNOT JUDGE" in result.output
    assert variant.digest in result.output
    as_json = CliRunner().invoke(
        main, ["audit", "verify", "--db", str(db_path), "--format", "json"]
    )
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["unknown"] == [
        {"lifecycle": "variant", "digest": variant.digest, "streams": 1}
    ]


def test_a_version_nobody_knew_is_stored_and_its_streams_migrate(
    tmp_path: Path, clock: FakeClock
) -> None:
    """``lifecycle add-version`` stores last year's file as a past version: its streams are
    judged by the audit again and migrate; a file that is no definition is refused."""
    db = tmp_path / "old.db"
    last_year = attrs.evolve(mbo_bpv(), name="roc_bpv")
    with Engine(db, clock=clock, lifecycles=[last_year]) as engine:
        sid = engine.open("roc_bpv", actor=PLACEMENT_OFFICE, data=mbo_details()).stream_id
    as_schema_3(db)
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "verify", "--db", str(db)]).exit_code == 2
    old_file = tmp_path / "roc_bpv-2026.toml"
    old_file.write_text(definition_to_toml(last_year), encoding="utf-8")
    junk = tmp_path / "junk.toml"
    junk.write_text('name = "roc_bpv"\nkind = 3\n', encoding="utf-8")
    refused = runner.invoke(main, ["lifecycle", "add-version", "--db", str(db), str(junk)])
    assert refused.exit_code == 2
    assert "kind" in refused.output
    assert "Traceback" not in refused.output
    stored = runner.invoke(main, ["lifecycle", "add-version", "--db", str(db), str(old_file)])
    assert stored.exit_code == 0, stored.output
    assert f"roc_bpv version {last_year.digest[:12]} stored (1 running stream(s)" in stored.output
    assert runner.invoke(main, ["audit", "verify", "--db", str(db)]).exit_code == 0
    with Engine(db, clock=clock, lifecycles=[with_pause(last_year)]) as engine:
        assert engine.add_version(last_year).streams == 1  # twice is harmless
        engine.migrate(sid, actor=SYSTEM, reason=REASON)
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "pause_search", actor=COACH)
        with pytest.raises(InvalidInput) as info:
            engine.add_version("roc_bpv.toml")  # type: ignore[arg-type]
        assert info.value.field == "definition"


def test_a_migration_repeats_under_its_command_id(db: str, clock: FakeClock) -> None:
    """A migration retried with its command id returns its first event, even though the
    stream is under the new version now (else: migrate.already); reused for another
    migration, the id is refused."""
    old, new = mbo_bpv(), with_pause(mbo_bpv())
    with engine_with(db, clock, old) as engine:
        sid = journey(engine).open()
    with engine_with(db, clock, new) as engine:
        first = engine.migrate(sid, actor=SYSTEM, reason=REASON, command_id="mig-1")
        again = engine.migrate(sid, actor=SYSTEM, reason=REASON, command_id="mig-1")
        assert again == first
        assert again.command_id == "mig-1"
        with pytest.raises(InvalidInput) as error:
            engine.migrate(sid, actor=SYSTEM, reason="another_reason", command_id="mig-1")
        assert error.value.field == "command_id"
        assert len(engine.history(sid)) == 2
        assert engine.verify().ok
