"""The engine: the public facade over lifecycles, rules, plugins, store and audit."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen

from ..audit import GENESIS, VerifyReport
from ..core import (
    LOGGER_NAME,
    Actor,
    ConcurrencyConflict,
    Decision,
    DefinitionError,
    DefinitionMismatch,
    Event,
    EventType,
    Finding,
    GuidanceStep,
    InvalidInput,
    OutboxEntry,
    PluginInfo,
    PluginProblem,
    PluginStatus,
    Refused,
    Role,
    StageborgingError,
    Statistics,
    Stream,
    StreamNotFound,
    canonical_bytes,
    check_identifier,
    get_logger,
    parse_role,
)
from ..lifecycles import (
    CompiledMachine,
    LifecycleDefinition,
    Transition,
    apply,
    fold,
    freeze,
    initial_facts,
    validate_data,
)
from ..outbox import entries as outbox_entries
from ..pluginhost import RecognitionAnswer
from ..rules import (
    Command,
    check_actor,
    check_input,
    check_role,
    evaluate_guards,
    transition_input,
)
from ..store import SQLiteStore, Store, StreamRow, Transaction
from ._facts_cache import FactsCache
from ._records import decoded, event_from_sealed, new_event, seal_event, stream_of
from ._registry import Registry

__all__ = ["Engine"]

Clock = Callable[[], datetime]


#: The hook that may return notifications after each kind of event.
_AFTER_HOOKS = {
    EventType.TRANSITIONED: "stageborging_after_transition",
    EventType.RECORDED: "stageborging_after_record",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: ``2027-02-01T08:00:00.000000Z``."""
    offset = moment.utcoffset()
    if offset is None:
        raise StageborgingError("the engine clock returned a naive datetime; make it aware")
    if offset:
        moment = moment - offset
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@frozen
class _Outcome:
    """What one unit of work produced; a refusal is raised after its commit."""

    event: Event
    refused: bool = False


class Engine:
    """Open streams, fire transitions, record facts and read them back.

    Args:
        db: A database path (SQLite, created when absent) or a :class:`Store`.
        plugins: Plugins to register: modules or instances with
            :data:`~stageborging.hookimpl` methods (not classes).
        entry_points: Also load the plugins installed distributions declare in
            the ``stageborging`` entry-point group. One that fails to import is
            reported in :attr:`plugin_problems` and logged; it does not stop
            the engine.
        block: Names of plugins not to load (entry points, or any other).
        config: Plugin settings, passed to every plugin's
            ``stageborging_configure`` hook.
        lifecycles: An institution's own definitions, besides the built-in
            ``mbo_bpv``, ``hbo_stage`` and ``case``.
        defaults: Register the built-in *default* rules (required agreement
            fields, finish conditions). Hard rules always apply.
        registry: The plugins and lifecycles to run on, built beforehand
            (:class:`Registry`, which takes the five arguments above); give
            either a registry or those arguments.
        clock: Returns the current time (timezone-aware); tests pass a fake.
        timezone: Where dates are judged (start date reached, …).

    Every command is one database transaction: either its event, projection
    and (refusals included) everything else commit together, or nothing is
    written.
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | Store = "stageborging.db",
        *,
        plugins: Sequence[object] = (),
        lifecycles: Iterable[LifecycleDefinition] = (),
        defaults: bool = True,
        entry_points: bool = False,
        block: Iterable[str] = (),
        config: Mapping[str, Any] | None = None,
        registry: Registry | None = None,
        clock: Clock = _utc_now,
        timezone: tzinfo | None = None,
    ) -> None:
        if registry is None:
            registry = Registry(
                plugins,
                lifecycles=lifecycles,
                defaults=defaults,
                entry_points=entry_points,
                block=block,
                config=config,
            )
        elif plugins or lifecycles or not defaults or entry_points or block or config:
            raise InvalidInput(
                "registry", type(registry).__name__, "give a registry or plugin arguments, not both"
            )
        elif not isinstance(registry, Registry):
            raise InvalidInput("registry", type(registry).__name__, "must be a Registry")
        self.registry = registry
        self._plugins = registry.host
        self._definitions = registry._definitions
        self._machines: dict[str, CompiledMachine] = {}
        self._facts = FactsCache()
        self._clock = clock
        self._last_stamp: tuple[datetime | None, str] = (None, "")
        self._tz = timezone if timezone is not None else ZoneInfo("Europe/Amsterdam")
        self.store: Store = db if not isinstance(db, (str, os.PathLike)) else SQLiteStore(db)
        self._log = get_logger()
        self._stdlog = logging.getLogger(LOGGER_NAME)

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connections."""
        self.store.close()

    @property
    def lifecycles(self) -> Mapping[str, LifecycleDefinition]:
        """Every definition this engine knows, by name."""
        return self.registry.lifecycles

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """The registered plugins (built-in defaults included), by name."""
        return self.registry.plugins

    def plugin_status(self) -> tuple[PluginStatus, ...]:
        """Every registered plugin with its version, source and the hooks it implements."""
        return self.registry.plugin_status()

    @property
    def plugin_problems(self) -> tuple[PluginProblem, ...]:
        """The plugins that were not loaded (blocked, or failing to import), and why."""
        return self.registry.plugin_problems

    def lifecycle(self, name: str) -> LifecycleDefinition:
        """The definition called *name*.

        Raises:
            InvalidInput: no definition has that name.
        """
        return self.registry.lifecycle(name)

    def register_plugin(self, plugin: object, *, name: str | None = None) -> str:
        """Register *plugin* while the engine runs; return the name it is registered under.

        For hooks called per command (checks, verifiers, notifications,
        recipients): lifecycles and guidance steps are collected when the
        registry is built. The plugin is configured as it registers.

        Raises:
            PluginError: the plugin is malformed, or its name is taken.
        """
        return self._plugins.register(plugin, name=name, source="explicit")

    def unregister_plugin(self, name: str) -> None:
        """Remove the plugin registered as *name*.

        Raises:
            InvalidInput: no plugin has that name.
        """
        if name not in self._plugins:
            raise InvalidInput("name", name, "no plugin is registered under this name")
        self._plugins.unregister(name)

    def _machine(self, definition: LifecycleDefinition) -> CompiledMachine:
        machine = self._machines.get(definition.digest)
        if machine is None:
            machine = self._machines[definition.digest] = CompiledMachine(definition)
        return machine

    def _now(self) -> datetime:
        """The clock's time in the engine's timezone (its UTC stamp is kept for sealing)."""
        raw = self._clock()
        if raw.tzinfo is None:
            raise StageborgingError("the engine clock returned a naive datetime; make it aware")
        local = raw.astimezone(self._tz)
        self._last_stamp = (local, _timestamp(raw))
        return local

    def _stamp(self, now: datetime) -> str:
        """The RFC 3339 UTC stamp of *now*, as computed by the :meth:`_now` that made it."""
        made, stamp = self._last_stamp
        return stamp if made is now else _timestamp(now)

    def _definition_of(self, row: StreamRow) -> LifecycleDefinition:
        definition = self._definitions.get(row.lifecycle)
        if definition is None:
            raise DefinitionError(row.lifecycle, "lifecycle", "not loaded in this engine")
        if definition.digest != row.definition:
            raise DefinitionMismatch(row.id, row.lifecycle, row.definition, definition.digest)
        return definition

    # -- commands ----------------------------------------------------------

    def open(
        self,
        lifecycle: str,
        *,
        actor: Actor,
        data: Mapping[str, Any],
        stream_id: str | None = None,
    ) -> Event:
        """Open a stream: an internship (``mbo_bpv``, ``hbo_stage``) or a case.

        Args:
            lifecycle: The definition's name.
            actor: Who opens it; the role must be one of the definition's
                ``open_roles``.
            data: The definition's ``open_fields`` (for an internship: the
                student's pseudonymous id, programme, dates, hours … and
                nothing else about the student).
            stream_id: A pseudonymous id of your own; a random one by default.

        Returns:
            The ``opened`` event (``event.stream_id`` is the new stream's id).

        Raises:
            InvalidInput: unknown lifecycle, malformed data or id, id in use.
            Refused: the actor's role may not open this lifecycle (nothing is
                written: there is no stream to record a refusal on).
        """
        started = time.perf_counter()
        try:
            actor = check_actor(actor)
            definition = self.lifecycle(lifecycle)
            details = validate_data(definition.open_fields, data)
            sid = (
                uuid.uuid4().hex if stream_id is None else check_identifier("stream_id", stream_id)
            )
        except InvalidInput as exc:
            self._log_command("-", "open", "invalid", started, field=exc.field)
            raise
        now = self._now()
        role_findings = check_role(
            Command(definition, "", {}, "open", actor, details, now, definition.open_roles, ())
        )
        if role_findings:
            self._log_command(sid, "open", "refused", started)
            raise Refused(sid, "open", role_findings, None)

        def work(tx: Transaction) -> _Outcome:
            if tx.load(sid) is not None:
                raise InvalidInput("stream_id", sid, "a stream with this id exists")
            facts = initial_facts(details)
            sealed = seal_event(
                sid, 1, EventType.OPENED, definition.name, now, self._stamp(now), actor,
                definition.initial, definition.initial, definition, (), details, (), GENESIS,
            )  # fmt: skip
            row = StreamRow(
                id=sid,
                kind=definition.kind,
                lifecycle=definition.name,
                definition=definition.digest,
                state=definition.initial,
                version=1,
                head_hash=sealed.hash,
                facts=canonical_bytes(facts).decode(),
                opened_at=sealed.occurred_at,
                updated_at=sealed.occurred_at,
            )
            tx.write(row, [sealed], 0)
            return _Outcome(new_event(sealed, actor, details, (), ()))

        return self._run(sid, "open", work, started).event

    def fire(
        self,
        stream_id: str,
        trigger: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Event:
        """Fire *trigger* on a stream as *actor*.

        Runs the role check, the hard guards and every plugin check; only when
        nothing blocks does the lifecycle move. One transaction either way.

        Args:
            stream_id: The stream.
            trigger: The transition's name (``"start"``).
            actor: Who fires it.
            data: The transition's fields (e.g. ``{"reason": "illness"}``).
            expected_version: The stream version the caller decided on; if the
                stream moved on since, :class:`ConcurrencyConflict` is raised
                and nothing is written.

        Returns:
            The ``transitioned`` event; non-blocking findings are on it.

        Raises:
            InvalidInput: unknown stream or trigger, malformed data.
            InvalidTransition: the trigger is not allowed from the current state.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: a rule or check blocked it; the refusal was recorded.
        """
        started = time.perf_counter()
        actor = check_actor(actor)

        def work(tx: Transaction) -> _Outcome:
            now = self._now()  # read under the lock: time runs forward along the stream
            row, definition = self._load(tx, stream_id, expected_version)
            transition, payload = transition_input(definition, row.state, trigger, data)
            facts = self._facts.facts(row)
            check_input(transition.effects, facts, payload)
            findings, plugins = self._decide(
                definition, row, facts, transition, actor, payload, now
            )
            if any(f.blocks for f in findings):
                return self._refuse(
                    tx, row, definition, trigger, actor, payload, findings, plugins, now
                )
            dest = self._machine(definition).move(row.state, trigger)
            new_facts = (
                apply(facts, transition.effects, payload, now.date().isoformat())
                if transition.effects
                else None
            )
            return self._append(
                tx, row, definition, EventType.TRANSITIONED, trigger, actor, dest,
                payload, findings, plugins, new_facts, now,
            )  # fmt: skip

        return self._run(stream_id, trigger, work, started).event

    def record(
        self,
        stream_id: str,
        fact: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Event:
        """Record a fact on a stream without a state change.

        Facts of an internship: ``application_sent``, ``application_outcome``,
        ``guidance_contact``, ``signature``, ``hours``, ``midterm_review``,
        ``assessment_decision`` (and ``assignment_decision`` in ``hbo_stage``);
        of a case: ``employer_hearing``, ``external_referral``,
        ``reporter_feedback``.

        Returns:
            The ``recorded`` event.

        Raises:
            InvalidInput: unknown stream or fact, malformed data.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: a hard rule blocked it (wrong role, no consent, a
                signature on a stale agreement version …); recorded.
        """
        started = time.perf_counter()
        actor = check_actor(actor)

        def work(tx: Transaction) -> _Outcome:
            now = self._now()  # read under the lock: time runs forward along the stream
            row, definition = self._load(tx, stream_id, expected_version)
            spec = definition.facts_by_name.get(fact)
            if spec is None:
                known = ", ".join(definition.facts_by_name) or "none"
                raise InvalidInput("fact", fact, f"unknown fact; known: {known}")
            allowed = definition.fact_states(spec)
            if row.state not in allowed:
                raise InvalidInput(
                    "fact",
                    fact,
                    f"not recorded in state {row.state!r} (only in: {', '.join(allowed)})",
                )
            payload = validate_data(spec.fields, data)
            facts = self._facts.facts(row)
            check_input((spec.effect,), facts, payload)
            cmd = Command(
                definition, row.state, facts, fact, actor, payload, now, spec.roles, spec.guards
            )
            findings = check_role(cmd) + evaluate_guards(cmd, self._plugins.verify_recognition)
            if any(f.blocks for f in findings):
                return self._refuse(tx, row, definition, fact, actor, payload, findings, [], now)
            new_facts = apply(facts, (spec.effect,), payload, now.date().isoformat())
            return self._append(
                tx, row, definition, EventType.RECORDED, fact, actor, row.state,
                payload, findings, [], new_facts, now,
            )  # fmt: skip

        return self._run(stream_id, fact, work, started).event

    def check(
        self,
        stream_id: str,
        trigger: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Dry-run :meth:`fire`: the decision and every finding; nothing is written.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: as :meth:`fire` (unknown trigger, bad data).
            InvalidTransition: the trigger is not allowed from the current state.
        """
        actor = check_actor(actor)
        now = self._now()
        row = self.store.read_stream(stream_id)
        if row is None:
            raise StreamNotFound(stream_id)
        definition = self._definition_of(row)
        transition, payload = transition_input(definition, row.state, trigger, data)
        facts = self._facts.facts(row)
        check_input(transition.effects, facts, payload)
        findings, plugins = self._decide(definition, row, facts, transition, actor, payload, now)
        return Decision(
            allowed=not any(f.blocks for f in findings),
            findings=tuple(findings),
            from_state=row.state,
            to_state=transition.dest,
            plugins=tuple(plugins),
        )

    # -- reads -------------------------------------------------------------

    def stream(self, stream_id: str) -> Stream:
        """The stream's current state and facts (its stored projection).

        Raises:
            StreamNotFound: no stream has this id.
        """
        row = self.store.read_stream(stream_id)
        if row is None:
            raise StreamNotFound(stream_id)
        return stream_of(row, json.loads(row.facts))  # a copy the caller may keep

    def history(self, stream_id: str) -> tuple[Event, ...]:
        """Every event of the stream, oldest first, refusals included.

        Raises:
            StreamNotFound: no stream has this id.
        """
        sealed = self.store.read_events(stream_id)
        if not sealed:
            raise StreamNotFound(stream_id)
        return tuple(event_from_sealed(s) for s in sealed)

    def replay(self, stream_id: str) -> Stream:
        """Rebuild the stream's projection from its events alone.

        Equal to :meth:`stream` unless the database was tampered with.

        Raises:
            StreamNotFound: no stream has this id.
            DefinitionMismatch: the stream's definition is not the one loaded.
        """
        sealed = self.store.read_events(stream_id)
        if not sealed:
            raise StreamNotFound(stream_id)
        definition = self._definitions.get(sealed[0].lifecycle)
        if definition is None or definition.digest != sealed[-1].definition:
            loaded = "" if definition is None else definition.digest
            raise DefinitionMismatch(stream_id, sealed[0].lifecycle, sealed[-1].definition, loaded)
        facts = fold(definition, (decoded(event) for event in sealed))
        last = sealed[-1]
        return Stream(
            id=stream_id,
            kind=definition.kind,
            lifecycle=definition.name,
            definition=last.definition,
            state=last.to_state,
            version=last.seq,
            head_hash=last.hash,
            facts=json.loads(canonical_bytes(facts)),
        )

    def notifications(
        self, stream_id: str | None = None, *, pending: bool = True
    ) -> tuple[OutboxEntry, ...]:
        """The outbox: notifications plugins returned, oldest first.

        Args:
            stream_id: Only those of this stream; all streams by default.
            pending: Only those not yet delivered (default), else all.

        Raises:
            StreamNotFound: *stream_id* names no stream.
        """
        if stream_id is not None and self.store.read_stream(stream_id) is None:
            raise StreamNotFound(stream_id)
        return tuple(self.store.outbox(stream_id, pending))

    @property
    def guidance_steps(self) -> tuple[GuidanceStep, ...]:
        """The guidance steps the plugins registered, by name."""
        return self.registry.guidance_steps

    def recipients(self, role: Role | str, stream_id: str) -> tuple[str, ...]:
        """Who holds *role* for the stream, as the ``stageborging_recipients`` plugins say.

        Returns:
            Their pseudonymous ids; empty when no plugin knows.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: the role is unknown.
        """
        row = self.store.read_stream(stream_id)
        if row is None:
            raise StreamNotFound(stream_id)
        stream = stream_of(row, freeze(self._facts.facts(row)))
        return self._plugins.recipients(parse_role("role", role), stream)

    def statistics(self) -> Statistics:
        """Streams per lifecycle and state, events per type, refusals per finding code."""
        return self.store.statistics()

    def verify(self) -> VerifyReport:
        """Recompute every chain and check every column (see ``stageborging audit verify``)."""
        return self.store.verify(self._definitions.values())

    # -- internals ---------------------------------------------------------

    def _run(
        self, stream_id: str, command: str, work: Callable[[Transaction], _Outcome], started: float
    ) -> _Outcome:
        try:
            outcome = self.store.run(work)
        except InvalidInput as exc:
            self._log_command(stream_id, command, "invalid", started, field=exc.field)
            raise
        except ConcurrencyConflict:
            self._log_command(stream_id, command, "conflict", started)
            raise
        if outcome.refused:
            self._log_command(stream_id, command, "refused", started)
            raise Refused(stream_id, command, outcome.event.findings, outcome.event)
        self._log_command(stream_id, command, "ok", started)
        return outcome

    def _log_command(
        self, stream_id: str, command: str, outcome: str, started: float, **extra: str
    ) -> None:
        # Checked first so that a host that configured no logging pays nothing.
        if not self._stdlog.isEnabledFor(logging.INFO):
            return
        self._log.info(
            "command",
            stream=stream_id,
            command=command,
            outcome=outcome,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            **extra,
        )

    def _load(
        self, tx: Transaction, stream_id: str, expected_version: int | None
    ) -> tuple[StreamRow, LifecycleDefinition]:
        row = tx.load(stream_id)
        if row is None:
            raise StreamNotFound(stream_id)
        if expected_version is not None and expected_version != row.version:
            raise ConcurrencyConflict(stream_id, expected_version, row.version)
        return row, self._definition_of(row)

    def _decide(
        self,
        definition: LifecycleDefinition,
        row: StreamRow,
        facts: dict[str, Any],
        transition: Transition,
        actor: Actor,
        data: Mapping[str, Any],
        now: datetime,
    ) -> tuple[list[Finding], list[PluginInfo]]:
        cmd = Command(
            definition, row.state, facts, transition.trigger, actor, data, now,
            transition.roles, transition.guards,
        )  # fmt: skip
        answered: list[str] = []

        def verify(employer: str, qualification: str, on: date) -> RecognitionAnswer:
            answer = self._plugins.verify_recognition(employer, qualification, on)
            answered.append(answer.source)
            return answer

        findings = check_role(cmd) + evaluate_guards(cmd, verify)
        plugin_findings: list[Finding] = []
        plugins: list[PluginInfo] = []
        if self._plugins.checks_transitions:
            plugin_findings, plugins = self._plugins.check_transition(
                stream_of(row, self._facts.frozen(row, facts)), transition, actor, data, now
            )
        findings.extend(plugin_findings)
        verifiers = [self._plugins.info(name) for name in answered if name in self._plugins]
        if verifiers:  # the checks' plugins come sorted and unique; keep them so
            plugins = sorted({*plugins, *verifiers}, key=lambda p: p.name)
        return findings, plugins

    def _append(
        self,
        tx: Transaction,
        row: StreamRow,
        definition: LifecycleDefinition,
        type: EventType,
        name: str,
        actor: Actor,
        dest: str,
        data: Mapping[str, Any],
        findings: Sequence[Finding],
        plugins: Sequence[PluginInfo],
        facts: dict[str, Any] | None,
        now: datetime,
    ) -> _Outcome:
        """Seal and write one event; *facts* None means they did not change.

        *plugins* come sorted by name and unique, as :meth:`_decide` gives them.
        """
        sealed = seal_event(
            row.id, row.version + 1, type, name, now, self._stamp(now), actor, row.state, dest,
            definition, plugins, data, findings, row.head_hash,
        )  # fmt: skip
        new_row = StreamRow(
            id=row.id,
            kind=row.kind,
            lifecycle=row.lifecycle,
            definition=row.definition,
            state=dest,
            version=sealed.seq,
            head_hash=sealed.hash,
            facts=row.facts if facts is None else canonical_bytes(facts).decode(),
            opened_at=row.opened_at,
            updated_at=sealed.occurred_at,
        )
        event = new_event(sealed, actor, data, findings, plugins)
        outbox: list[OutboxEntry] = []
        hook = _AFTER_HOOKS.get(type)
        if hook is not None and self._plugins.implemented(hook):
            after = freeze(self._facts.facts(row) if facts is None else facts)
            outbox = outbox_entries(self._plugins, hook, stream_of(new_row, after), event)
        tx.write(new_row, [sealed], row.version, outbox)
        self._facts.advance(row, sealed.hash, facts)
        return _Outcome(event, refused=type is EventType.REFUSED)

    def _refuse(
        self,
        tx: Transaction,
        row: StreamRow,
        definition: LifecycleDefinition,
        name: str,
        actor: Actor,
        data: Mapping[str, Any],
        findings: Sequence[Finding],
        plugins: Sequence[PluginInfo],
        now: datetime,
    ) -> _Outcome:
        return self._append(
            tx, row, definition, EventType.REFUSED, name, actor, row.state,
            data, findings, plugins, None, now,
        )  # fmt: skip
