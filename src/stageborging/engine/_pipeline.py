"""The one command pipeline: load → decide → seal → write.

Opening a stream, firing a transition and recording a fact all go through it, and so
do their dry runs (load → decide, nothing written). The engine facade only checks
its arguments, runs the pipeline in the store's transaction and logs the outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, tzinfo
from typing import Any, NamedTuple, TypeVar

from ..audit import GENESIS, SealedEvent
from ..core import (
    Actor,
    Clock,
    ConcurrencyConflict,
    Decision,
    Event,
    EventType,
    Finding,
    InvalidInput,
    KeyUnavailable,
    Moment,
    OutboxEntry,
    PluginInfo,
    Refused,
    Role,
    StreamNotFound,
    finding,
    freeze,
)
from ..guidance import Happened, Scheduler, start_of_day
from ..lifecycles import (
    REPLACEMENT_REASONS,
    Carrier,
    CompiledMachine,
    Effect,
    InstitutionFact,
    Kind,
    LifecycleDefinition,
    apply,
    cascade_job,
    correct_roles,
    corrected_seqs,
    correction_problem,
    effects_of,
    employer_stream_id,
    fold,
    initial_facts,
    noted,
)
from ..outbox import entries as outbox_entries
from ..privacy import subject_of
from ..rules import (
    Command,
    Linked,
    Lookup,
    Move,
    check_input,
    decide,
    judge_migration,
    resolve_fact,
    resolve_noted,
    resolve_open,
    resolve_trigger,
)
from ..store import Store, StreamRow, Transaction
from ._facts_cache import FactsCache
from ._keyring import Keyring
from ._records import (
    Draft,
    decoded,
    event_from_sealed,
    event_of,
    facts_json,
    opened_row,
    seal_draft,
    stream_of,
)
from ._registry import Registry
from ._repeats import same_command, same_import, same_migration
from ._versions import Versions

__all__ = ["Outcome", "Pipeline", "Verdict"]

T = TypeVar("T")

#: Reads a stream's row (a transaction's, locked; or the store's).
Reader = Callable[[str], StreamRow | None]
#: The actor that opens an employer's stream on its first reference.
EMPLOYERS = Actor("employers", Role.SYSTEM)

#: The hook that may return notifications after each kind of event.
_AFTER_HOOKS = {
    EventType.TRANSITIONED: "stageborging_after_transition",
    EventType.RECORDED: "stageborging_after_record",
}


class Verdict(NamedTuple):
    """What a command would do on its stream, and every finding on it."""

    definition: LifecycleDefinition
    move: Move
    facts: dict[str, Any]
    findings: tuple[Finding, ...]
    plugins: tuple[PluginInfo, ...]

    @property
    def blocked(self) -> bool:
        """True when a finding refuses the command."""
        return any(f.blocks for f in self.findings)


class Outcome(NamedTuple):
    """What one unit of work produced; a refusal is raised after its commit."""

    event: Event
    refused: bool = False
    #: True when a repeated command id returned the event of its first attempt.
    repeated: bool = False
    #: True when it queued a job (an employer's cascade) to run after its commit.
    queued: bool = False


class Pipeline:
    """The steps every command takes, over one registry, store, clock and timezone."""

    def __init__(
        self,
        registry: Registry,
        store: Store,
        clock: Clock,
        tz: tzinfo,
        versions: Versions,
        scheduler: Scheduler,
        institution: str | None = None,
        auto_replacement: bool = True,
        keyring: Keyring | None = None,
    ) -> None:
        #: The subject keys sealed fields are sealed under.
        self.keyring = Keyring(None) if keyring is None else keyring
        #: Start the replacement search after a termination for REPLACEMENT_REASONS.
        self.auto_replacement = auto_replacement
        self._host = registry.host
        #: Keeps each stream's deadlines in step with its events, in their transaction.
        self.scheduler = scheduler
        #: The institution the engine is bound to (None: every institution's streams).
        self.institution = institution
        self.versions = versions
        #: True once a transaction that stored the current definitions has committed.
        self._stored = False
        #: The transaction (of this thread) that stores them, until it commits.
        self._storing = threading.local()
        self._store = store
        self._clock = clock
        self._tz = tz
        self._machines: dict[str, CompiledMachine] = {}
        self.facts = FactsCache()
        #: The institution facts the plugins declared, by name.
        self.institution_facts = {fact.name: fact for fact in registry.institution_facts}
        employer = registry.lifecycles.get("employer")
        #: The lifecycle employers' streams are opened under (None: no employer memory).
        self.employer_definition = (
            employer if employer is not None and employer.kind is Kind.EMPLOYER else None
        )

    def institution_fact(
        self, definition: LifecycleDefinition, name: str
    ) -> InstitutionFact | None:
        """The institution fact *name* streams of *definition* may record, if any (a
        built-in fact of that name comes first)."""
        if not isinstance(name, str) or name in definition.facts_by_name:
            return None
        fact = self.institution_facts.get(name)
        return fact if fact is not None and fact.applies_to(definition) else None

    # -- versions ------------------------------------------------------------

    def _store_versions(self, tx: Transaction, moment: Moment) -> None:
        """Store the current definitions in the transaction of the engine's first write."""
        if self._stored or getattr(self._storing, "tx", None) is tx:
            return
        tx.add_definitions(self.versions.current_rows(moment.stamp))
        self._storing.tx = tx  # once per transaction (a retry is a new one)

    def run(self, work: Callable[[Transaction], T]) -> T:
        """Run *work* in one store transaction, reading stored versions through it."""

        def within(tx: Transaction) -> T:
            self._storing.tx = None  # each attempt stores anew: a retry's is another
            with self.versions.through(tx):
                return work(tx)

        try:
            result = self._store.run(within)
            if getattr(self._storing, "tx", None) is not None:  # this thread's commit stored
                self._stored = True
        finally:
            self._storing.tx = None
        return result

    # -- load ----------------------------------------------------------------

    def moment(self) -> Moment:
        """Read the clock once: the command's local time and its UTC stamp."""
        return Moment.read(self._clock, self._tz)

    def definition_of(self, row: StreamRow) -> LifecycleDefinition:
        """The version of its definition the stream of *row* is under, if it takes commands.

        Raises:
            DefinitionMismatch: the version is unknown, or this release refuses it.
        """
        return self.versions.of(row)

    def machine(self, definition: LifecycleDefinition) -> CompiledMachine:
        """The compiled ``transitions`` machine of *definition*, built once."""
        machine = self._machines.get(definition.digest)
        if machine is None:
            machine = self._machines[definition.digest] = CompiledMachine(definition)
        return machine

    def visible(self, row: StreamRow | None) -> StreamRow | None:
        """*row* if the engine may see it (its institution's, or the engine is unbound)."""
        if row is None or (self.institution is not None and row.institution != self.institution):
            return None
        return row

    def load(self, tx: Transaction, stream_id: str, expected_version: int | None) -> StreamRow:
        """The stream's row, locked for *tx*."""
        row = self.visible(tx.load(stream_id))
        if row is None:
            raise StreamNotFound(stream_id)
        self.check_version(row, expected_version)
        return row

    @staticmethod
    def check_version(row: StreamRow, expected_version: int | None) -> None:
        """ConcurrencyConflict when *row* moved on from the version the caller expects."""
        if expected_version is not None and expected_version != row.version:
            raise ConcurrencyConflict(row.id, expected_version, row.version)

    def repeat(
        self,
        tx: Transaction,
        row: StreamRow,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        command_id: str | None,
    ) -> Outcome | None:
        """The outcome of the command's first attempt, when *command_id* wrote an event of
        the stream already (InvalidInput if that was another command); else None."""
        if command_id is None:
            return None
        earlier = tx.find_command(row.id, command_id)
        if earlier is None:
            return None
        definition = self.versions.get(earlier.definition)
        own = None
        if definition is not None and type is EventType.RECORDED:
            own = self.institution_fact(definition, name)
        same_command(earlier, definition, type, name, actor, data, own)
        event = event_from_sealed(earlier)
        return Outcome(event, refused=event.type is EventType.REFUSED, repeated=True)

    # -- decide --------------------------------------------------------------

    def decide(
        self,
        row: StreamRow,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        moment: Moment,
        read: Reader | None = None,
    ) -> Verdict:
        """What firing or recording *name* on the stream of *row* would do, and every finding
        (the other streams the rules read through *read*: by default the store's rows).

        Raises:
            InvalidInput: the trigger or fact, the state or the data is off.
        """
        definition = self.definition_of(row)
        own = self.institution_fact(definition, name) if type is EventType.RECORDED else None
        if own is not None:
            move = resolve_noted(definition, row.state, own, data)
        elif type is EventType.RECORDED:
            others = [n for n, f in self.institution_facts.items() if f.applies_to(definition)]
            move = resolve_fact(definition, row.state, name, data, others)
        else:
            move = resolve_trigger(definition, row.state, name, data)
        facts = self.facts.facts(row)
        check_input(move, facts)
        cmd = Command(
            definition=definition,
            state=row.state,
            facts=facts,
            actor=actor,
            move=move,
            now=moment.local,
        )
        employer, linked = self.lookups(row.institution, read)
        findings, plugins = decide(
            cmd, self._host, lambda: stream_of(row, self.facts.frozen(row, facts)), employer, linked
        )
        return Verdict(definition, move, facts, tuple(findings), tuple(plugins))

    def lookups(self, institution: str, read: Reader | None = None) -> tuple[Lookup, Lookup]:
        """What the hard rules read of other streams of *institution*: an employer by its
        id, and any stream by its id (through *read*: by default the store's rows)."""
        reader: Reader = self._store.read_stream if read is None else read

        def linked(stream_id: str) -> Linked | None:
            row = self.visible(reader(stream_id))
            if row is None or row.institution != institution:
                return None
            return Linked(row.kind, row.state, self.facts.facts(row))

        def employer(employer_id: str) -> Linked | None:
            try:
                stream_id = employer_stream_id(employer_id, institution)
            except InvalidInput:  # too long to have a stream: never referenced
                return None
            found = linked(stream_id)
            if found is None or found.kind != Kind.EMPLOYER:
                return None
            return found if found.facts["details"].get("employer") == employer_id else None

        return employer, linked

    def employer_stream(
        self, tx: Transaction, employer_id: str, institution: str, moment: Moment
    ) -> StreamRow | None:
        """The row of the stream that holds *institution*'s memory of the employer, opened
        in *tx* on this first reference (None when the engine keeps no employer memory).

        Raises:
            InvalidInput: the id is too long for a stream id, or it is taken by a stream
                that is no such employer's (naming ``employer``).
        """
        definition = self.employer_definition
        if definition is None:
            return None
        stream_id = employer_stream_id(employer_id, institution)
        row = tx.load(stream_id)
        if row is None:
            move = resolve_open(definition, {"employer": employer_id})
            self.open(tx, definition, stream_id, EMPLOYERS, move, moment, None, institution)
            row = tx.load(stream_id)
            assert row is not None  # just written in this transaction
        elif (
            row.kind != Kind.EMPLOYER
            or row.institution != institution
            or (self.facts.facts(row)["details"].get("employer") != employer_id)
        ):
            raise InvalidInput("employer", employer_id, f"its stream id {stream_id} is taken")
        return row

    def dry_run(
        self,
        stream_id: str,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
    ) -> Decision:
        """The decision *name* would get now; nothing is written."""
        moment = self.moment()
        row = self.visible(self._store.read_stream(stream_id))
        if row is None:
            raise StreamNotFound(stream_id)
        verdict = self.decide(row, type, name, actor, data, moment)
        return Decision(
            allowed=not verdict.blocked,
            findings=verdict.findings,
            from_state=row.state,
            to_state=verdict.move.dest,
            plugins=verdict.plugins,
        )

    # -- seal and write ------------------------------------------------------

    def open(
        self,
        tx: Transaction,
        definition: LifecycleDefinition,
        stream_id: str,
        actor: Actor,
        move: Move,
        moment: Moment,
        command_id: str | None = None,
        institution: str = "",
    ) -> Outcome:
        """Write the ``opened`` event of a new stream and its first projection row."""
        existing = tx.load(stream_id)
        if existing is not None:
            if self.visible(existing) is not None and existing.institution == institution:
                given = {**move.data, **move.sealed}
                repeated = self.repeat(
                    tx, existing, EventType.OPENED, definition.name, actor, given, command_id
                )
                if repeated is not None:
                    return repeated
            raise InvalidInput("stream_id", stream_id, "a stream with this id exists")
        if (
            definition.kind is Kind.CASE
            and move.data.get("reporter") == "anonymous"
            and (actor.role is Role.STUDENT)
        ):
            raise InvalidInput("data.reporter", "anonymous", "an anonymous report is taken in "
                               "by the confidential advisor or a case handler, never opened "
                               "under the reporter's own id")  # fmt: skip
        draft = _opening(definition, stream_id, actor, move.data, moment, institution)
        draft = self._sealed(tx, draft._replace(command_id=command_id), move.sealed, actor)
        sealed = seal_draft(draft)
        self._store_versions(tx, moment)
        facts = initial_facts(move.data)
        row = opened_row(definition, sealed, facts_json(facts))
        tx.write(row, [sealed], 0)
        opened = Happened.of(EventType.OPENED, definition.name, 1, None, moment)
        self.scheduler.after(tx, definition, row, facts, opened)
        if definition.kind is Kind.CASE and isinstance(move.data.get("employer"), str):
            # the first report naming an employer opens its memory
            self.employer_stream(tx, move.data["employer"], institution, moment)
        return Outcome(event_of(sealed, draft))

    def import_stream(
        self,
        tx: Transaction,
        definition: LifecycleDefinition,
        stream_id: str,
        actor: Actor,
        opening: Move,
        state: str,
        evidence: Mapping[str, Any],
        facts: Mapping[str, Any],
        moment: Moment,
        command_id: str | None,
        institution: str,
    ) -> Outcome:
        """Write a running internship's ``opened`` and ``imported`` events, judged already,
        and its projection row (*facts*: what the evidence makes)."""
        existing = tx.load(stream_id)
        if existing is not None:
            if command_id is not None and (
                self.visible(existing) is not None and existing.institution == institution
            ):
                earlier = tx.find_command(stream_id, command_id)
                if earlier is not None:
                    opened = tx.read_events(stream_id)[0]
                    same_import(earlier, opened, definition, state, actor, opening.data, evidence)
                    return Outcome(event_from_sealed(earlier), repeated=True)
            raise InvalidInput("stream_id", stream_id, "a stream with this id exists")
        first = _opening(definition, stream_id, actor, opening.data, moment, institution)
        first = self._sealed(tx, first, opening.sealed, actor)
        opened = seal_draft(first)
        draft = first._replace(
            seq=2,
            type=EventType.IMPORTED,
            name="import",
            to_state=state,
            data=evidence,
            prev_hash=opened.hash,
            command_id=command_id,
            sealed={},
            key_id=None,
        )
        imported = seal_draft(draft)
        row = opened_row(definition, opened, facts_json(facts))._replace(
            state=state, version=2, head_hash=imported.hash, updated_at=imported.occurred_at
        )
        self._store_versions(tx, moment)
        tx.write(row, [opened, imported], 0)
        happened = Happened.of(EventType.IMPORTED, "import", 2, None, moment)
        self.scheduler.after(tx, definition, row, facts, happened)
        return Outcome(event_of(imported, draft))

    def command(
        self,
        tx: Transaction,
        stream_id: str,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any] | None,
        expected_version: int | None,
        command_id: str | None = None,
    ) -> Outcome:
        """Fire a trigger or record a fact: load, decide, seal and write, in *tx*.

        A *command_id* that wrote an event of the stream already returns that event
        (before the version is compared: the first attempt may have moved it on).
        """
        moment = self.moment()  # read under the lock: time runs forward along the stream
        row = self.load(tx, stream_id, None)
        repeated = self.repeat(tx, row, type, name, actor, data, command_id)
        if repeated is not None:
            return repeated
        self.check_version(row, expected_version)
        verdict = self.decide(row, type, name, actor, data, moment, tx.load)
        move = verdict.move
        new_facts: dict[str, Any] | None = None
        if move.type is EventType.NOTED:  # an institution fact: its own count, no plugin
            if verdict.blocked:  # its roles are its only rule; a refusal writes nothing
                raise Refused(stream_id, name, verdict.findings, None)
            draft = _following(row, EventType.NOTED, name, actor, row.state, verdict.definition,
                               move.data, moment, command_id)  # fmt: skip
            draft = self._sealed(tx, draft, move.sealed)
            return self.append(tx, row, draft, noted(verdict.facts, name, move.data))
        if verdict.blocked:
            type, dest = EventType.REFUSED, row.state
        else:
            if type is EventType.TRANSITIONED:
                dest = self.machine(verdict.definition).move(row.state, name)
            else:
                dest = row.state
            if move.effects:
                new_facts = apply(verdict.facts, move.effects, move.data, moment.day,
                                  row.version + 1, actor.role)  # fmt: skip
        draft = _following(row, type, name, actor, dest, verdict.definition, move.data, moment,
                           command_id)._replace(findings=verdict.findings,
                                                plugins=verdict.plugins)  # fmt: skip
        if type is not EventType.REFUSED:  # a refused command's sealed text is not kept
            draft = self._sealed(tx, draft, move.sealed)
        outcome = self.append(tx, row, draft, new_facts)
        if type is not EventType.REFUSED and move.effects:
            queued = self._keep_tables(tx, row, move.effects, move.data, verdict.facts, moment)
            outcome = outcome._replace(queued=queued)
        if self.auto_replacement and _needs_replacement(verdict.definition, draft):
            # the student is never the one left without a place: the system starts the
            # replacement search in the same transaction (refused: recorded as such)
            system = Actor("replacement", Role.SYSTEM)
            self.command(tx, stream_id, EventType.TRANSITIONED, "seek_replacement", system,
                         None, None)  # fmt: skip
        return outcome

    def _keep_tables(
        self,
        tx: Transaction,
        row: StreamRow,
        effects: Sequence[Effect],
        data: Mapping[str, Any],
        facts: Mapping[str, Any],
        moment: Moment,
    ) -> bool:
        """Keep what the store indexes besides the projection in step with an accepted
        move's *effects* on the stream of *row*: the employer's stream a first placement
        there opens, the applications the pattern statistics count, and the job of an
        employer's cascade (True when one was queued)."""
        if Effect.SET_EMPLOYER in effects:
            self.employer_stream(tx, data["employer"], row.institution, moment)
        if Effect.APPLICATION_SENT in effects:
            details = facts["details"]
            tx.add_application(row.id, data["application"], data["employer"], row.institution,
                               details.get("programme"), details.get("level"),
                               moment.day)  # fmt: skip
        if Effect.APPLICATION_OUTCOME in effects:
            tx.application_outcome(row.id, data["application"], data["outcome"])
        job = cascade_job(effects, data, moment.day)
        if job is None:
            return False
        due = max(moment.utc, start_of_day(date.fromisoformat(job["since"]), self._tz))
        key = f"{row.id}:{row.version + 1}"
        tx.add_job(key, "cascade", row.id, row.institution, job, due, moment.utc)
        return True

    def _sealed(
        self, tx: Transaction, draft: Draft, values: Mapping[str, Any], opener: Actor | None = None
    ) -> Draft:
        """*draft* with *values* sealed under the key of its stream's subject (an opening
        records the subject: *opener* opens it)."""
        if opener is not None:
            kind = draft.definition.kind
            subject = subject_of(draft.data, opener, kind, draft.stream_id).id
            erased = tx.subject_key(subject)
            if erased is not None and erased.erased_at is not None:
                field = "data.student" if subject == draft.data.get("student") else "actor"
                raise InvalidInput(
                    field, subject, "was erased: nothing is recorded about them again"
                )
            tx.link_subject(draft.stream_id, subject)
        elif values:
            recorded = tx.stream_subject(draft.stream_id)
            if recorded is None:  # every stream has one (schema 10 recorded the older ones')
                raise KeyUnavailable(draft.stream_id, "the stream has no subject recorded")
            subject = recorded
        if not values:
            return draft
        sealed = self.keyring.seal(
            tx, subject, draft.stream_id, draft.seq, values, draft.moment.utc
        )
        return draft._replace(sealed=sealed, key_id=subject)

    def append(
        self,
        tx: Transaction,
        row: StreamRow,
        draft: Draft,
        facts: dict[str, Any] | None,
        outbox: Sequence[OutboxEntry] = (),
    ) -> Outcome:
        """Seal *draft* and write it with the new projection (*facts* None: unchanged) and
        *outbox* besides what the plugins ask for; keep the stream's deadlines in step."""
        sealed = seal_draft(draft)
        new_row = StreamRow(
            row.id,
            row.kind,
            row.lifecycle,
            sealed.definition,
            draft.to_state,
            sealed.seq,
            sealed.hash,
            row.facts if facts is None else facts_json(facts),
            row.opened_at,
            sealed.occurred_at,
            row.institution,
        )
        event = event_of(sealed, draft)
        hook = _AFTER_HOOKS.get(draft.type)
        entries = list(outbox)
        current = self.facts.facts(row) if facts is None else facts
        if hook is not None and self._host.implemented(hook):
            after = freeze(current)
            entries += outbox_entries(self._host, hook, stream_of(new_row, after), event)
        self._store_versions(tx, draft.moment)
        tx.write(new_row, [sealed], row.version, entries)
        self.facts.advance(row, sealed.hash, facts)
        happened = Happened.of(
            draft.type, draft.name, sealed.seq, row.state, draft.moment, draft.data
        )
        self.scheduler.after(tx, draft.definition, new_row, current, happened)
        return Outcome(event, refused=draft.type is EventType.REFUSED)

    def note(
        self,
        tx: Transaction,
        row: StreamRow,
        type: EventType,
        name: str,
        actor: Actor,
        data: Mapping[str, Any],
        moment: Moment,
        outbox: Sequence[OutboxEntry] = (),
    ) -> Outcome:
        """Write an event that leaves the state as it is and takes no plugin (an
        escalation), with *outbox*, on the stream of *row* locked in *tx*."""
        definition = self.definition_of(row)
        draft = _following(row, type, name, actor, row.state, definition, freeze(data), moment,
                           None)  # fmt: skip
        return self.append(tx, row, draft, None, outbox)

    # -- correct -------------------------------------------------------------

    def correct(
        self,
        tx: Transaction,
        stream_id: str,
        data: Mapping[str, Any],
        actor: Actor,
        expected_version: int | None,
        command_id: str | None,
    ) -> tuple[Outcome | None, list[Finding]]:
        """Take back the recorded fact ``data["seq"]`` of the stream in *tx*, unless the
        actor may not (then nothing is written and the findings say why).

        Raises:
            InvalidInput: no such event, or one that is not corrected (naming ``seq``).
        """
        moment = self.moment()
        row = self.load(tx, stream_id, None)
        repeated = self.repeat(tx, row, EventType.CORRECTED, "correct", actor, data, command_id)
        if repeated is not None:
            return repeated, []
        self.check_version(row, expected_version)
        definition = self.definition_of(row)
        events = [decoded(sealed) for sealed in tx.read_events(stream_id)]
        seq = data["seq"]
        target = events[seq - 1] if seq <= len(events) else None
        version = None if target is None else self.versions.get(target["definition"])
        problem = correction_problem(version, row.state, target, corrected_seqs(events))
        if problem is not None:
            raise InvalidInput("seq", seq, problem)
        assert target is not None  # no problem: the event and its version are known
        assert version is not None
        roles = correct_roles(version, target["name"])
        if actor.role not in roles:
            allowed = ", ".join(str(r) for r in roles)
            return None, [
                finding("role.not_allowed", role=actor.role, command="correct", allowed=allowed)
            ]
        correction = {"seq": row.version + 1, "type": "corrected", "name": "correct",
                      "definition": definition.digest, "body": {"data": data}}  # fmt: skip
        facts = fold([*events, correction], lambda digest: self.versions.require(
            row.id, row.lifecycle, digest))  # fmt: skip
        draft = _following(row, EventType.CORRECTED, "correct", actor, row.state, definition,
                           data, moment, command_id)  # fmt: skip
        outcome = self.append(tx, row, draft, facts)
        if Effect.APPLICATION_OUTCOME in effects_of(version, target["type"], target["name"]):
            app = target["body"]["data"]["application"]  # its outcome as the facts have it now
            tx.application_outcome(row.id, app, facts.get("applications", {}).get(app))
        return outcome, []

    # -- migrate -------------------------------------------------------------

    def plan_migration(
        self,
        row: StreamRow,
        events: list[SealedEvent],
        target: LifecycleDefinition,
        mapping: Mapping[str, str],
        actor: Actor,
        moment: Moment,
        read: Reader | None = None,
    ) -> tuple[LifecycleDefinition, str, list[Finding]]:
        """The version *row* is under, the state it would migrate to, and every finding.

        Raises:
            DefinitionMismatch: the engine does not know the stream's version.
            InvalidInput: *target* is another kind of definition than the stream's.
        """
        source = self.versions.require(row.id, row.lifecycle, row.definition)
        if (target.kind, target.education) != (source.kind, source.education):
            raise InvalidInput(
                "to",
                target.digest[:12],
                f"is of kind {target.kind}/{target.education}; the stream's version is "
                f"{source.kind}/{source.education}",
            )
        history = [step for step in map(self._carrier, events) if step is not None]
        dest, findings = judge_migration(
            source,
            target,
            row.state,
            mapping,
            self.facts.facts(row),
            history,
            actor,
            moment.local,
            self.lookups(row.institution, read)[0],
        )
        return source, dest, findings

    def _carrier(self, event: SealedEvent) -> Carrier | None:
        """What an accepted move carried, as the version stamped on it had it."""
        if event.type not in (EventType.TRANSITIONED, EventType.RECORDED):
            return None
        definition = self.versions.get(event.definition)
        if definition is None:  # an unknown version vouches for nothing
            return None
        if event.type == EventType.TRANSITIONED:
            return definition.transitions_by_trigger.get(event.name)
        return definition.facts_by_name.get(event.name)

    def migrate(
        self,
        tx: Transaction,
        stream_id: str,
        target: LifecycleDefinition,
        mapping: Mapping[str, str],
        actor: Actor,
        reason: str,
        expected_version: int | None,
        command_id: str | None = None,
    ) -> tuple[Outcome | None, str, str, list[Finding]]:
        """Migrate the stream to *target* in *tx*, unless a finding refuses it.

        Returns:
            The outcome (None when refused: nothing is written), the version the
            stream was under, the state it moves to, and every finding.
        """
        moment = self.moment()
        row = self.load(tx, stream_id, None)
        earlier = None if command_id is None else tx.find_command(stream_id, command_id)
        if earlier is not None:  # a repeat: the first attempt's migration
            source_digest = same_migration(earlier, actor, target.digest, mapping, reason)
            outcome = Outcome(event_from_sealed(earlier), repeated=True)
            return outcome, source_digest, earlier.to_state, []
        self.check_version(row, expected_version)
        source, dest, findings = self.plan_migration(
            row, tx.read_events(stream_id), target, mapping, actor, moment, tx.load
        )
        if any(f.blocks for f in findings):
            return None, row.definition, dest, findings
        applied = {old: new for old, new in mapping.items() if old in source.states}
        data = {"from": row.definition, "to": target.digest, "mapping": applied, "reason": reason}
        draft = _following(row, EventType.MIGRATED, "migrate", actor, dest, target, freeze(data),
                           moment, command_id)  # fmt: skip
        return self.append(tx, row, draft, None), row.definition, dest, findings


def _needs_replacement(definition: LifecycleDefinition, draft: Draft) -> bool:
    """Whether *draft* terminates an internship for a reason that starts the replacement
    search at once (``REPLACEMENT_REASONS``), where the system may start it."""
    if draft.type is not EventType.TRANSITIONED or draft.name != "terminate":
        return False
    if draft.data.get("reason") not in REPLACEMENT_REASONS:
        return False
    seek = definition.transitions_by_trigger.get("seek_replacement")
    return seek is not None and draft.to_state in seek.sources and Role.SYSTEM in seek.roles


def _opening(
    definition: LifecycleDefinition,
    stream_id: str,
    actor: Actor,
    data: Mapping[str, Any],
    moment: Moment,
    institution: str,
) -> Draft:
    """The ``opened`` event of a new stream, not yet sealed."""
    return Draft(
        stream_id=stream_id,
        seq=1,
        type=EventType.OPENED,
        name=definition.name,
        actor=actor,
        from_state=definition.initial,
        to_state=definition.initial,
        definition=definition,
        data=data,
        moment=moment,
        prev_hash=GENESIS,
        institution=institution,
    )


def _following(
    row: StreamRow,
    type: EventType,
    name: str,
    actor: Actor,
    to_state: str,
    definition: LifecycleDefinition,
    data: Mapping[str, Any],
    moment: Moment,
    command_id: str | None,
) -> Draft:
    """The next event of the stream of *row*, not yet sealed: chained after its head, in
    its institution."""
    return Draft(
        stream_id=row.id,
        seq=row.version + 1,
        type=type,
        name=name,
        actor=actor,
        from_state=row.state,
        to_state=to_state,
        definition=definition,
        data=data,
        moment=moment,
        prev_hash=row.head_hash,
        command_id=command_id,
        institution=row.institution,
    )
