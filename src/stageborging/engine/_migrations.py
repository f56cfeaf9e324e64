"""What an engine does with versions: migrate streams to another version of their definition.

A migration is a command of its own: one transaction per stream, a ``migrated``
event on the stream (from and to digest, the state mapping, who and why), and
nothing written when it is refused. The engine never migrates by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from ..core import (
    IDENTIFIER,
    Actor,
    Decision,
    DefinitionMismatch,
    Event,
    Finding,
    InvalidInput,
    MigrationStep,
    Refused,
    StreamNotFound,
    Version,
    check_identifier,
    finding,
    key_field,
)
from ..lifecycles import LifecycleDefinition, unsafe_reason
from ..rules import check_actor, check_expected_version
from ..store import Store, Transaction
from ._pipeline import Outcome, Pipeline

__all__ = ["Migrations"]

#: The shortest digest prefix that names a version.
MIN_PREFIX = 8
_HEX = frozenset("0123456789abcdef")


class Migrations:
    """The migration commands of :class:`~stageborging.Engine`."""

    store: Store
    _pipeline: Pipeline
    _run: Callable[[str, str, Callable[[Transaction], Outcome], float], Outcome]
    _log_command: Callable[..., None]

    def migrate(
        self,
        stream_id: str,
        *,
        actor: Actor,
        reason: str,
        to: str = "current",
        mapping: Mapping[str, str] | None = None,
        expected_version: int | None = None,
        command_id: str | None = None,
    ) -> Event:
        """Move a stream to another version of its definition, with a recorded event.

        The stream keeps its facts and its history; its state becomes its
        mapping (the same state where the mapping says nothing). It is refused,
        writing nothing, when the state is gone from the new version, when the
        stream has ended, when the mapping ends it or changes its phase through a
        door only a transition may use, or when the new version lets a stream
        into that state only after a hard guard the stream never passed and its
        facts do not satisfy (see :doc:`/changing-lifecycles`).

        Args:
            stream_id: The stream.
            actor: Who migrates: ``system``, ``placement_office`` or ``team_lead``.
            reason: Why, as a code of your own (``school_year_2027``); no free text.
            to: ``"current"`` (the version new streams get), or a digest or a
                prefix of at least 8 of its characters.
            mapping: Old state -> new state, for states renamed or removed.
            expected_version, command_id: As for :meth:`fire`.

        Returns:
            The ``migrated`` event.

        Raises:
            InvalidInput: a malformed argument, an unknown target version, a
                mapping whose key is no state of the stream's version or whose
                value is no state of the target (checked only when the stream
                is not under the target already: then it is refused,
                ``migrate.already``).
            DefinitionMismatch: the engine does not know the stream's version.
            ConcurrencyConflict: ``expected_version`` is stale.
            Refused: a rule refused the migration (``event`` is None: nothing
                was written).
        """
        started = time.perf_counter()
        try:
            check_identifier("stream_id", stream_id)
            actor, mapping = _arguments(actor, mapping)
            reason = _code("reason", reason)
            check_expected_version(expected_version)
            if command_id is not None:
                check_identifier("command_id", command_id)
            row = self._pipeline.visible(self.store.read_stream(stream_id))
            if row is None:
                raise StreamNotFound(stream_id)
            target = self._target(row.lifecycle, to)
            if row.definition != target.digest:  # else refused: migrate.already
                self._check_mapping(mapping, (row.definition,), target)
        except InvalidInput as exc:
            self._log_command(stream_id, "migrate", "invalid", started, field=exc.field)
            raise
        refusal: list[Finding] = []
        pipeline = self._pipeline

        def work(tx: Transaction) -> Outcome:
            outcome, _, _, findings = pipeline.migrate(
                tx, stream_id, target, mapping, actor, reason, expected_version, command_id
            )
            if outcome is None:
                refusal.extend(findings)
                raise _Refusal
            return outcome

        try:
            return self._run(stream_id, "migrate", work, started).event
        except _Refusal:
            self._log_command(stream_id, "migrate", "refused", started)
            raise Refused(stream_id, "migrate", refusal, None) from None

    def add_version(self, definition: LifecycleDefinition) -> Version:
        """Store a version of a definition in the database without making it current.

        For streams under a version the engine does not know (a database of an
        earlier release, last year's file that is gone): give it that version's
        definition (``load_version(read_definition_data(path))`` builds it from a
        file even when this release's hard rules refuse it) and its streams are
        read, verified and migrated from then on. Any definition this release
        can read is stored (one its hard rules refuse too); it helps the streams
        stamped with its digest. Storing a version twice is harmless.

        Returns:
            The version, with the streams under it.

        Raises:
            InvalidInput: *definition* is not a lifecycle definition.
        """
        if not isinstance(definition, LifecycleDefinition):
            raise InvalidInput(
                "definition", definition, "must be a LifecycleDefinition (see load_version)"
            )
        pipeline = self._pipeline
        pipeline.versions.add(definition, pipeline.moment().stamp)
        return next(v for v in pipeline.versions.summary() if v.digest == definition.digest)

    def check_migrate(
        self,
        stream_id: str,
        *,
        actor: Actor,
        to: str = "current",
        mapping: Mapping[str, str] | None = None,
    ) -> Decision:
        """Dry-run :meth:`migrate`: the state the stream would move to and every finding.

        Raises:
            StreamNotFound: no stream has this id.
            InvalidInput: as :meth:`migrate`.
            DefinitionMismatch: the engine does not know the stream's version.
        """
        check_identifier("stream_id", stream_id)
        actor, mapping = _arguments(actor, mapping)
        row = self._pipeline.visible(self.store.read_stream(stream_id))
        if row is None:
            raise StreamNotFound(stream_id)
        target = self._target(row.lifecycle, to)
        if row.definition != target.digest:  # else refused: migrate.already
            self._check_mapping(mapping, (row.definition,), target)
        pipeline = self._pipeline
        _, dest, findings = pipeline.plan_migration(
            row, self.store.read_events(stream_id), target, mapping, actor, pipeline.moment()
        )
        return Decision(
            allowed=not any(f.blocks for f in findings),
            findings=tuple(findings),
            from_state=row.state,
            to_state=dest,
        )

    def migrate_all(
        self,
        lifecycle: str,
        *,
        actor: Actor,
        reason: str,
        to: str = "current",
        mapping: Mapping[str, str] | None = None,
        only_from: str | None = None,
        dry_run: bool = False,
    ) -> tuple[MigrationStep, ...]:
        """Migrate every running stream of *lifecycle* that is under another version.

        Each stream is its own transaction: one refused (or under a version the
        engine does not know) is reported and the others still move. Streams
        that have ended keep the version they ended under and are not listed.

        Args:
            lifecycle: The lifecycle's name.
            actor, reason, to, mapping: As for :meth:`migrate`.
            only_from: Only streams under this version (a digest or a prefix).
            dry_run: Judge every stream and write nothing.

        Returns:
            One step per stream, in stream id order.

        Raises:
            InvalidInput: a malformed argument, an unknown lifecycle or version.
        """
        actor, mapping = _arguments(actor, mapping)
        reason = _code("reason", reason)
        if not isinstance(dry_run, bool):
            raise InvalidInput("dry_run", dry_run, "must be True or False")
        target = self._target(check_identifier("lifecycle", lifecycle), to)
        versions = self._pipeline.versions
        sources = [
            v.digest
            for v in versions.summary(self._pipeline.institution)
            if v.lifecycle == lifecycle and v.digest != target.digest and v.running
        ]
        if only_from is not None:
            prefix = _prefix("only_from", only_from)
            sources = [d for d in sources if d.startswith(prefix)]
            if not sources:
                raise InvalidInput(
                    "only_from", only_from, f"names no version with running {lifecycle!r} streams"
                )
        self._check_mapping(mapping, sources, target)
        steps = []
        for digest in sources:
            definition = versions.get(digest)
            for stream_id in self.store.streams_under(digest, self._pipeline.institution):
                row = self.store.read_stream(stream_id)
                if row is None or (definition is not None and row.state in definition.final):
                    continue
                steps.append(
                    self._step(row.id, digest, row.state, target, mapping, actor, reason, dry_run)
                )
        return tuple(steps)

    def _step(
        self,
        stream_id: str,
        digest: str,
        state: str,
        target: LifecycleDefinition,
        mapping: Mapping[str, str],
        actor: Actor,
        reason: str,
        dry_run: bool,
    ) -> MigrationStep:
        """Migrate (or judge) one stream of a bulk migration, whatever it meets."""

        def made(
            source: str, dest: str, findings: tuple[Finding, ...], event: Event | None = None
        ) -> MigrationStep:
            return MigrationStep(stream_id, digest, target.digest, source, dest, findings, event)

        try:
            if dry_run:
                decision = self.check_migrate(
                    stream_id, actor=actor, to=target.digest, mapping=mapping
                )
                return made(decision.from_state, decision.to_state, decision.findings)
            event = self.migrate(
                stream_id, actor=actor, reason=reason, to=target.digest, mapping=mapping
            )
            return made(event.from_state, event.to_state, (), event)
        except Refused as exc:
            return made(state, mapping.get(state, state), exc.findings)
        except DefinitionMismatch:
            unknown = finding("migrate.unknown_version", version=digest[:12])
            return made(state, mapping.get(state, state), (unknown,))

    def _target(self, lifecycle: str, to: object) -> LifecycleDefinition:
        """The version *to* names for *lifecycle*; InvalidInput when it names none."""
        versions = self._pipeline.versions
        if to == "current":
            current = versions.current(lifecycle)
            if current is None:
                raise InvalidInput("lifecycle", lifecycle, "is not loaded in this engine")
            return current
        target = versions.find(lifecycle, _prefix("to", to))
        if target is None:
            raise InvalidInput("to", to, f"names no version of {lifecycle!r} this engine knows")
        unsafe = unsafe_reason(target)
        if unsafe is not None:
            raise InvalidInput("to", to, f"this release's hard rules refuse that version: {unsafe}")
        return target

    def _check_mapping(
        self, mapping: Mapping[str, str], sources: Iterable[str], target: LifecycleDefinition
    ) -> None:
        """Every key a state of a source version (when known), every value one of *target*."""
        versions = self._pipeline.versions
        old = {state for d in map(versions.get, sources) if d is not None for state in d.states}
        for key, value in mapping.items():
            if old and key not in old:
                raise InvalidInput("mapping", key, "names no state of the version(s) migrated from")
            if value not in target.states:
                known = ", ".join(target.states)
                raise InvalidInput(
                    key_field("mapping", key),
                    value,
                    f"is not a state of version {target.digest[:12]}; its states: {known}",
                )


class _Refusal(Exception):
    """Unwinds the transaction of a refused migration (nothing of it is written)."""


def _prefix(field: str, given: object) -> str:
    """*given* if it may name a version: a digest, or a prefix of one (in lowercase)."""
    if not isinstance(given, str) or len(given) < MIN_PREFIX or not set(given.lower()) <= _HEX:
        current = "'current' or " if field == "to" else ""
        raise InvalidInput(
            field, given, f"must be {current}a version digest (at least {MIN_PREFIX} hex digits)"
        )
    return given.lower()


def _code(field: str, value: object) -> str:
    """*value* if it is a code or state name (letters, digits, ``._:-``), else InvalidInput."""
    if not isinstance(value, str) or IDENTIFIER.fullmatch(value) is None:
        raise InvalidInput(field, value, "must be a code: 1-128 letters, digits or '._:-'")
    return value


def _arguments(actor: object, mapping: object) -> tuple[Actor, dict[str, str]]:
    """The actor and the state mapping of a migration, checked."""
    checked_actor = check_actor(actor)
    if mapping is None:
        return checked_actor, {}
    if not isinstance(mapping, Mapping):
        raise InvalidInput("mapping", mapping, "must be a mapping of old state -> new state")
    checked: dict[str, str] = {}
    for key, value in mapping.items():
        _code("mapping", key)
        checked[key] = _code(key_field("mapping", key), value)
    return checked_actor, checked
