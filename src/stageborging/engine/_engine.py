"""The engine: the public facade over lifecycles, rules, plugins, store and audit."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from ..core import (
    LOGGER_NAME,
    Actor,
    Clock,
    ConcurrencyConflict,
    Decision,
    Event,
    EventType,
    GuidanceStep,
    InvalidInput,
    KeyProvider,
    PluginInfo,
    PluginProblem,
    PluginStatus,
    Refused,
    StageborgingError,
    check_identifier,
    get_logger,
    utc_now,
)
from ..employers import PatternSettings
from ..guidance import Scheduler, WorkingDays
from ..lifecycles import InstitutionFact, LifecycleDefinition, import_needs, validate_evidence
from ..rules import (
    Command,
    check_actor,
    check_expected_version,
    check_kinds,
    check_role,
    judge_import,
    resolve_open,
)
from ..store import Store, Transaction, open_store
from ._batch import Batch
from ._corrections import Corrections
from ._dispatch import Deliveries
from ._due import GuidanceViews
from ._keyring import Keyring
from ._migrations import Migrations
from ._monitoring import Monitoring
from ._pipeline import Outcome, Pipeline
from ._privacy import Privacy
from ._reads import Reads
from ._registry import Registry
from ._repeats import opened_id
from ._safeguarding import Safeguarding
from ._ticks import Ticks
from ._versions import Versions

__all__ = ["Engine"]

#: One command's part of a transaction.
Work = Callable[[Transaction], Outcome]

#: What a store must offer; an object without it is no database.
_STORE_METHODS = ("run", "read_stream", "read_events", "outbox", "close")


def _store(db: object) -> Store:
    """*db* as a store: a path opens SQLite, a ``postgresql://`` URL PostgreSQL; anything
    else must look like a Store."""
    if isinstance(db, (str, os.PathLike)):
        return open_store(db)
    if not all(callable(getattr(db, method, None)) for method in _STORE_METHODS):
        raise InvalidInput("db", db, "must be a database path or a Store")
    return db  # type: ignore[return-value]  # Store is a protocol: checked by its methods


class Engine(
    Reads,
    Migrations,
    Corrections,
    Ticks,
    GuidanceViews,
    Privacy,
    Safeguarding,
    Monitoring,
    Deliveries,
):
    """Open streams, fire transitions, record facts and read them back.

    Args:
        db: A database path (SQLite, created when absent), a ``postgresql://``
            URL (PostgreSQL, its schema created or migrated when needed; needs
            the ``postgres`` extra), or a :class:`Store`.
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
        builtins: Load the built-in lifecycles (default True).
        defaults: Register the built-in *default* rules (required agreement
            fields, finish conditions). Hard rules always apply.
        registry: The plugins and lifecycles to run on, built beforehand
            (:class:`Registry`, which takes the six arguments above); give
            either a registry or those arguments.
        clock: Returns the current time (timezone-aware); tests pass a fake.
        timezone: Where dates are judged (start date reached, …): a
            ``tzinfo`` such as ``ZoneInfo("Europe/Amsterdam")`` (the default).
        institution: Bind the engine to one institution (an id of the host's,
            such as ``"roc-a"``): it opens every stream in it, and never reads
            or writes another institution's streams (they are not found). By
            default it is unbound: each :meth:`open` names its institution, or
            none.
        require_institution: On an unbound engine, refuse an :meth:`open` (or
            import) that names no institution, for a school group whose every
            stream must belong to one.
        calendar: The working days guidance deadlines count in
            (:class:`~stageborging.guidance.WorkingDays`: Dutch public holidays
            and the institution's closure days); by default the Dutch one.
        master_key: What wraps the subject keys free text is sealed under: the
            installation's :class:`~stageborging.privacy.MasterKey` (or any
            :class:`~stageborging.core.KeyProvider`). By default the key provider a
            plugin offers (``stageborging_key_provider``), else none: then a command
            with free text or a sealed code raises
            :class:`~stageborging.exceptions.KeyUnavailable` and writes nothing,
            while every other command works (see :doc:`privacy`).
        auto_replacement: After a termination for ``discrimination``,
            ``recognition_revoked``, ``unsafe`` or ``employer_closed``, the
            ``system`` actor fires ``seek_replacement`` in the same command, so the
            student is never the one left without a place (default True; False
            leaves it to the coach).
        patterns: How the rejection-pattern alert is computed
            (:class:`~stageborging.employers.PatternSettings`: a 90-day window, at
            least 10 applications, p < 0.01 after Holm's adjustment, by default).

    Raises:
        InvalidInput: an argument has the wrong kind (a number as *db*, a string
            as *timezone*, a clock that cannot be called …); nothing is opened.

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
        builtins: bool = True,
        defaults: bool = True,
        entry_points: bool = False,
        block: Iterable[str] = (),
        config: Mapping[str, Any] | None = None,
        registry: Registry | None = None,
        clock: Clock = utc_now,
        timezone: tzinfo | None = None,
        institution: str | None = None,
        require_institution: bool = False,
        calendar: WorkingDays | None = None,
        auto_replacement: bool = True,
        master_key: KeyProvider | None = None,
        patterns: PatternSettings | None = None,
    ) -> None:
        if institution is not None:
            check_identifier("institution", institution)
        if not isinstance(require_institution, bool):
            raise InvalidInput("require_institution", require_institution, "must be True or False")
        self._require_institution = require_institution
        if registry is None:
            registry = Registry(
                plugins,
                lifecycles=lifecycles,
                builtins=builtins,
                defaults=defaults,
                entry_points=entry_points,
                block=block,
                config=config,
            )
        elif (
            plugins or lifecycles or not builtins or not defaults or entry_points or block or config
        ):
            raise InvalidInput(
                "registry", type(registry).__name__, "give a registry or plugin arguments, not both"
            )
        elif not isinstance(registry, Registry):
            raise InvalidInput("registry", type(registry).__name__, "must be a Registry")
        if not callable(clock):
            raise InvalidInput("clock", clock, "must be callable, returning an aware datetime")
        if timezone is not None and not isinstance(timezone, tzinfo):
            raise InvalidInput("timezone", timezone, "must be a tzinfo, e.g. ZoneInfo(...)")
        if master_key is not None and not isinstance(master_key, KeyProvider):
            raise InvalidInput("master_key", master_key, "must be a MasterKey (wrap and unwrap)")
        provider = master_key if master_key is not None else registry.host.key_provider()
        self.registry = registry
        self._plugins = registry.host
        self.store: Store = _store(db)
        tz = timezone if timezone is not None else ZoneInfo("Europe/Amsterdam")
        if calendar is None:
            calendar = WorkingDays()
        elif not isinstance(calendar, WorkingDays):
            raise InvalidInput("calendar", calendar, "must be a WorkingDays")
        if not isinstance(auto_replacement, bool):
            raise InvalidInput("auto_replacement", auto_replacement, "must be True or False")
        if patterns is not None and not isinstance(patterns, PatternSettings):
            raise InvalidInput("patterns", patterns, "must be a PatternSettings")
        self._patterns = PatternSettings() if patterns is None else patterns
        scheduler = Scheduler(registry.guidance_steps, calendar, tz)
        self._pipeline = Pipeline(
            registry, self.store, clock, tz, Versions(registry, self.store), scheduler,
            institution, auto_replacement, Keyring(provider),
        )  # fmt: skip
        self._log = get_logger()
        self._stdlog = logging.getLogger(LOGGER_NAME)
        self._known: frozenset[str] | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connections."""
        self.store.close()

    @property
    def institution(self) -> str | None:
        """The institution the engine is bound to; None when unbound."""
        return self._pipeline.institution

    @property
    def timezone(self) -> tzinfo:
        """Where the engine judges dates and a deadline's day ends."""
        return self._pipeline.scheduler.tz

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
        registry is built. The plugin is configured as it registers. It is
        registered on this engine's :class:`Registry`, so every engine that
        shares the registry calls it too.

        Args:
            plugin: A module or an instance with ``@hookimpl`` methods.
            name: The name to register it under (a pseudonymous-id-like code:
                letters, digits, ``._:-``); its ``name`` attribute, else its
                import path, by default.

        Raises:
            PluginError: the plugin is malformed, its name is taken, or it
                implements a hook collected at start-up (lifecycles, guidance
                steps): pass such a plugin to the engine or registry instead.
            InvalidInput: *name* is not a well-formed name.
        """
        if name is not None:
            check_identifier("name", name)
        return self._plugins.register(plugin, name=name, source="explicit", late=True)

    def unregister_plugin(self, name: str) -> None:
        """Remove the plugin registered as *name* (from every engine sharing the registry).

        Raises:
            InvalidInput: no plugin has that name.
        """
        if name not in self._plugins:
            raise InvalidInput("name", name, "no plugin is registered under this name")
        self._plugins.unregister(name)

    @property
    def institution_facts(self) -> tuple[InstitutionFact, ...]:
        """The institution facts the plugins declared (``stageborging_institution_facts``),
        sorted by name: recorded with :meth:`record`, written as ``noted`` events."""
        return self.registry.institution_facts

    @property
    def guidance_steps(self) -> tuple[GuidanceStep, ...]:
        """The guidance steps the plugins registered, by name."""
        return self.registry.guidance_steps

    # -- commands ----------------------------------------------------------

    def open(
        self,
        lifecycle: str,
        *,
        actor: Actor,
        data: Mapping[str, Any],
        stream_id: str | None = None,
        command_id: str | None = None,
        institution: str | None = None,
    ) -> Event:
        """Open a stream: an internship (``mbo_bpv``, ``hbo_stage``) or a case.

        Args:
            lifecycle: The definition's name.
            actor: Who opens it; the role must be one of the definition's
                ``open_roles``.
            data: The definition's ``open_fields`` (for an internship: the
                student's pseudonymous id, programme, dates, hours … and
                nothing else about the student).
            stream_id: A pseudonymous id of your own; by default a random one,
                or, with a *command_id*, one derived from it (and the
                institution), so that a repeated open finds its stream.
            command_id: Your id for this command (a message id, a retry token):
                repeating the open with it returns the first attempt's event
                and writes nothing (see "Idempotent commands").
            institution: The institution the stream belongs to (an id of the
                host's); on a bound engine, its own (the default). None or
                ``""`` on an unbound engine: the stream belongs to none.

        Returns:
            The ``opened`` event (``event.stream_id`` is the new stream's id).

        Raises:
            InvalidInput: unknown lifecycle, malformed data or id, id in use, an
                institution other than a bound engine's, a *command_id* used for
                another command.
            Refused: the actor's role may not open this lifecycle (nothing is
                written: there is no stream to record a refusal on).
        """
        started = time.perf_counter()
        sid, work = self._open_work(
            lifecycle, actor, data, stream_id, command_id, institution, started
        )
        return self._run(sid, "open", work, started).event

    def fire(
        self,
        stream_id: str,
        trigger: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        command_id: str | None = None,
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
            command_id: Your id for this command, unique on the stream: repeating
                the command with it returns the first attempt's event (or raises
                its refusal again) and writes nothing, whatever the stream did
                since (see "Idempotent commands").

        Returns:
            The ``transitioned`` event; non-blocking findings are on it.

        Raises:
            StreamNotFound: no stream has this id (an InvalidInput).
            InvalidInput: unknown trigger, malformed data, a *command_id* used
                on the stream for another command.
            InvalidTransition: the trigger is not allowed from the current state.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: a rule or check blocked it; the refusal was recorded.
        """
        return self._command(
            stream_id, EventType.TRANSITIONED, trigger, actor, data, expected_version, command_id
        )

    def record(
        self,
        stream_id: str,
        fact: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Record a fact on a stream without a state change.

        Facts of an internship: ``application_sent``, ``application_outcome``,
        ``guidance_contact``, ``signature``, ``hours``, ``midterm_review``,
        ``assessment_decision``, ``reschedule`` (and ``employment_contract`` in
        ``mbo_bpv``, ``assignment_decision`` in ``hbo_stage``); of a case:
        ``employer_hearing``, ``external_referral``, ``reporter_feedback``,
        ``evidence``. The same pipeline as :meth:`fire`: role, hard guards, then the
        plugins' checks. *expected_version* and *command_id* work as in :meth:`fire`.

        An institution fact a plugin declares (:attr:`institution_facts`) is
        recorded the same way as a ``noted`` event: its roles, states and fields
        are its only rules (no plugin check takes part), and a role it does not
        name is refused with nothing written.

        Returns:
            The ``recorded`` event (``noted`` for an institution fact).

        Raises:
            StreamNotFound: no stream has this id (an InvalidInput).
            InvalidInput: unknown fact, malformed data, a *command_id* used on
                the stream for another command.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: a hard rule or a plugin blocked it (wrong role, no consent,
                a signature on a stale agreement version …); recorded.
        """
        return self._command(
            stream_id, EventType.RECORDED, fact, actor, data, expected_version, command_id
        )

    def import_stream(
        self,
        lifecycle: str,
        *,
        state: str,
        actor: Actor,
        data: Mapping[str, Any],
        evidence: Mapping[str, Any],
        stream_id: str | None = None,
        command_id: str | None = None,
        institution: str | None = None,
    ) -> Event:
        """Take over an internship that is already running: open it straight into *state*.

        For a school that adopts the library mid-year. The stream gets its ``opened``
        event (the opening *data*, as :meth:`open` takes it) and, right after it, an
        ``imported`` event into *state* carrying the *evidence* in place of the moves
        it skips: the employer, the recognition answer the earlier system recorded
        (its source and date), the agreement version with its signatures and the day
        it was confirmed, the BBL employment contract, the hours so far, a reason.
        Which evidence a state needs, and the hard rules it must satisfy, follow from
        the definition (see "Importing a running year" in the integration guide).

        Args:
            lifecycle: An internship definition's name (``mbo_bpv``, ``hbo_stage`` …).
            state: The state it is in now (not a final one).
            actor: Who imports: the ``system`` or the ``placement_office``.
            data: The opening data, as for :meth:`open`.
            evidence: What the earlier system holds, by field (``source``, the
                system's code, always).
            stream_id, command_id, institution: As for :meth:`open`.

        Returns:
            The ``imported`` event (its ``stream_id`` is the new stream's).

        Raises:
            InvalidInput: an unknown lifecycle or state, a final state, malformed data
                or evidence, evidence the state does not have, an id in use.
            Refused: the evidence does not satisfy the state's hard rules, or the actor
                may not import; nothing is written (the findings explain it).
        """
        started = time.perf_counter()
        sid, work = self._import_work(
            lifecycle, state, actor, data, evidence, stream_id, command_id, institution, started
        )
        return self._run(sid, "import", work, started).event

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
        check_identifier("stream_id", stream_id)
        return self._pipeline.dry_run(stream_id, EventType.TRANSITIONED, trigger, actor, data)

    def check_record(
        self,
        stream_id: str,
        fact: str,
        *,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Dry-run :meth:`record`: the decision and every finding; nothing is written.

        ``to_state`` equals ``from_state``: a fact never moves the lifecycle.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: as :meth:`record` (unknown fact, wrong state, bad data).
        """
        actor = check_actor(actor)
        check_identifier("stream_id", stream_id)
        return self._pipeline.dry_run(stream_id, EventType.RECORDED, fact, actor, data)

    def batch(self) -> Batch:
        """Many commands in one transaction, for bulk work such as a SIS sync.

        ``with engine.batch() as batch:`` queues :meth:`Batch.open`,
        :meth:`Batch.fire` and :meth:`Batch.record`; leaving the block runs them
        in order, in one transaction, with every rule, refusal and event exactly
        as single commands. A command that fails on the database's state
        (invalid there, conflicting, refused) gets its error in its
        :class:`BatchResult`, writes nothing of its own (a refusal records its
        ``refused`` event, as always), and leaves the others unharmed; a database
        failure rolls the whole batch back. See :class:`Batch`.
        """
        return Batch(self)

    # -- internals ---------------------------------------------------------

    def _open_work(
        self,
        lifecycle: str,
        actor: Actor,
        data: Mapping[str, Any],
        stream_id: str | None,
        command_id: str | None,
        institution: str | None,
        started: float,
    ) -> tuple[str, Work]:
        """Check an open's arguments and its actor's role; the new id and its work."""
        try:
            actor = check_actor(actor)
            definition = self.lifecycle(lifecycle)
            move = resolve_open(definition, data)
            sid, owner = self._new_stream(stream_id, command_id, institution)
        except InvalidInput as exc:
            self._log_command("-", "open", "invalid", started, field=exc.field)
            raise
        pipeline = self._pipeline
        moment = pipeline.moment()
        cmd = Command(
            definition=definition, state="", facts={}, actor=actor, move=move, now=moment.local
        )
        role_findings = check_role(cmd)
        if role_findings:
            self._log_command(sid, "open", "refused", started)
            raise Refused(sid, "open", role_findings, None)
        return sid, lambda tx: pipeline.open(
            tx, definition, sid, actor, move, moment, command_id, owner
        )

    def _import_work(
        self,
        lifecycle: str,
        state: str,
        actor: Actor,
        data: Mapping[str, Any],
        evidence: Mapping[str, Any],
        stream_id: str | None,
        command_id: str | None,
        institution: str | None,
        started: float,
    ) -> tuple[str, Work]:
        """Check an import's arguments and judge its evidence; the new id and its work."""
        try:
            actor = check_actor(actor)
            definition = self.lifecycle(lifecycle)
            needs = import_needs(definition, state)
            opening = resolve_open(definition, data)
            proof = validate_evidence(needs, evidence)
            sid, owner = self._new_stream(stream_id, command_id, institution)
        except InvalidInput as exc:
            self._log_command("-", "import", "invalid", started, field=exc.field)
            raise
        pipeline = self._pipeline
        moment = pipeline.moment()
        facts, findings = judge_import(definition, needs, opening.data, proof, actor, moment.local)
        if any(f.blocks for f in findings):
            self._log_command(sid, "import", "refused", started)
            raise Refused(sid, "import", findings, None)
        return sid, lambda tx: pipeline.import_stream(
            tx, definition, sid, actor, opening, needs.state, proof, facts, moment, command_id,
            owner,
        )  # fmt: skip

    def _new_stream(
        self, stream_id: str | None, command_id: str | None, institution: str | None
    ) -> tuple[str, str]:
        """The id and the institution of a stream about to open (InvalidInput naming the
        argument that cannot be used): the caller's id, else one derived from the command
        id (a repeat finds its stream), else a random one."""
        owner = self._owner(institution)
        if command_id is not None:
            check_identifier("command_id", command_id)
        if stream_id is not None:
            return check_identifier("stream_id", stream_id), owner
        return (uuid.uuid4().hex if command_id is None else opened_id(owner, command_id)), owner

    def _owner(self, institution: str | None) -> str:
        """The institution an open puts its stream in ("" for none)."""
        bound = self._pipeline.institution
        if institution is None:
            if bound is None and self._require_institution:
                raise InvalidInput("institution", None, "required by this engine")
            return "" if bound is None else bound
        if institution == "" and bound is None and not self._require_institution:
            return ""  # named as none
        check_identifier("institution", institution)
        if bound is not None and institution != bound:
            raise InvalidInput("institution", institution, f"this engine is bound to {bound!r}")
        return institution

    def _command_work(
        self,
        stream_id: str,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        expected_version: int | None,
        command_id: str | None,
        started: float,
    ) -> Work:
        """Check a fire's or record's arguments; its work."""
        try:
            check_identifier("stream_id", stream_id)
        except InvalidInput as exc:
            self._log_command("-", name, "invalid", started, field=exc.field)
            raise
        try:
            check_kinds(type, name, data)
            actor = check_actor(actor)
            check_expected_version(expected_version)
            if command_id is not None:
                check_identifier("command_id", command_id)
        except InvalidInput as exc:
            self._log_command(stream_id, name, "invalid", started, field=exc.field)
            raise
        pipeline = self._pipeline

        def work(tx: Transaction) -> Outcome:
            return pipeline.command(
                tx, stream_id, type, name, actor, data, expected_version, command_id
            )

        return work

    def _command(
        self,
        stream_id: str,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        expected_version: int | None,
        command_id: str | None,
    ) -> Event:
        started = time.perf_counter()
        work = self._command_work(
            stream_id, type, name, actor, data, expected_version, command_id, started
        )
        return self._run(stream_id, name, work, started).event

    def _commands(self) -> frozenset[str]:
        """Every trigger and fact name of the loaded lifecycles (built on first need)."""
        if self._known is None:
            self._known = frozenset(
                name
                for definition in self.registry.lifecycles.values()
                for name in (*definition.transitions_by_trigger, *definition.facts_by_name)
            )
        return self._known

    def _run(self, stream_id: str, command: str, work: Work, started: float) -> Outcome:
        try:
            outcome = self._pipeline.run(work)
        except InvalidInput as exc:
            self._log_command(stream_id, command, "invalid", started, field=exc.field)
            raise
        except ConcurrencyConflict:
            self._log_command(stream_id, command, "conflict", started)
            raise
        if outcome.refused:
            self._log_command(stream_id, command, "refused", started, **_repeated(outcome))
            raise Refused(stream_id, command, outcome.event.findings, outcome.event)
        self._log_command(stream_id, command, "ok", started, **_repeated(outcome))
        if outcome.queued:  # an employer's cascade due now: its placements follow
            self._cascade_after(stream_id)
        return outcome

    def _cascade_after(self, stream_id: str) -> None:
        """Run the cascades due after a command on *stream_id* committed; one that fails
        is logged and left to the next :meth:`tick` (its lease ends, nothing is lost)."""
        try:
            self.run_cascades()
        except StageborgingError as exc:
            self._log.warning("cascade postponed", stream=stream_id, error=type(exc).__name__)

    def _log_command(
        self, stream_id: str, command: str, outcome: str, started: float, **extra: str
    ) -> None:
        # Checked first so that a host that configured no logging pays nothing.
        if not self._stdlog.isEnabledFor(logging.INFO):
            return
        if outcome in ("invalid", "conflict") and command != "open":
            # The caller's name for the command is logged only when it names a
            # trigger or fact: otherwise it may be anything (a name, a megabyte).
            known = isinstance(command, str) and command in self._commands()
            command = command if known else "-"
        self._log.info(
            "command",
            stream=stream_id,
            command=command,
            outcome=outcome,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            **extra,
        )


def _repeated(outcome: Outcome) -> dict[str, str]:
    """What a command's log line adds when it repeated a command id."""
    return {"repeat": "yes"} if outcome.repeated else {}
