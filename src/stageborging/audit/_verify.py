"""Verification of stored streams: recompute every chain, check every column.

:func:`verify_rows` is a pure function over rows read from any store. It reports
the first broken link of each stream: the stream id, the sequence number and
what is wrong. What it cannot see from the database alone (a cut-off tail
together with a rewritten projection, or a whole stream recomputed by someone
who controls the database) needs a value held elsewhere: signed checkpoints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import frozen

from ..core import (
    ERASE_ROLES,
    InvalidInput,
    canonical_bytes,
)
from ..lifecycles import (
    MIGRATE_ROLES,
    LifecycleDefinition,
    advance,
    command_fields,
    correct_roles,
    corrected_seqs,
    correction_problem,
    fold,
    import_needs,
    initial_facts,
    unsafe_reason,
    validate_evidence,
)
from ._chain import GENESIS, SealedEvent, StreamRow
from ._format import COLUMNS, TEXT_COLUMNS, body_problem, decode_canonical, header_problem
from ._rebuild import QuickCheck

__all__ = [
    "Break",
    "OrderedHeads",
    "StampedVersion",
    "VerifyPart",
    "VerifyReport",
    "report_of",
    "verify_part",
    "verify_rows",
]


@frozen
class Break:
    """The first broken link of one stream."""

    stream_id: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"stream {self.stream_id} seq {self.seq}: {self.problem}"


@frozen
class StampedVersion:
    """A definition version streams are stamped with: compare its digest with the one
    the institution published.

    Attributes:
        lifecycle: The definition's name.
        digest: The version's digest.
        streams: How many streams have events under it.
        known: False when the verifier does not know the version: the chains and
            columns of those streams are verified all the same, but what needs the
            definition (the events fit it, the facts recompute) could not be judged.
    """

    lifecycle: str
    digest: str
    streams: int
    known: bool = True

    def __str__(self) -> str:
        if self.known:
            return f"{self.streams} stream(s) under {self.lifecycle} version {self.digest}"
        return (
            f"{self.streams} stream(s) under {self.lifecycle} version {self.digest}: "
            "unknown to this verifier, so their events were not checked against it "
            "nor their facts recomputed"
        )


@frozen
class VerifyReport:
    """The result of a verification.

    Attributes:
        streams: How many streams were checked.
        events: How many events were checked.
        breaks: The first broken link of every broken stream, in stream order.
        warnings: Things that weaken the defences without breaking a chain.
        stamped: Every definition version the streams' events are stamped with.
        problems: What is broken outside any stream (a stored definition that
            does not hash to its digest).
        versions: How many definition versions the verifier knew.
        sealed: How many events hold sealed fields (free text, a sealed code).
        erased: How many of those are sealed under the key of a subject an
            ``erased`` event of the chain records as erased (the database's
            ``subject_keys`` must agree, or a problem names the key): their
            ciphertext is in the chain, and nobody can read it any more.
    """

    streams: int
    events: int
    breaks: tuple[Break, ...]
    warnings: tuple[str, ...] = ()
    stamped: tuple[StampedVersion, ...] = ()
    problems: tuple[str, ...] = ()
    versions: int = 0
    sealed: int = 0
    erased: int = 0

    @property
    def ok(self) -> bool:
        """True when every chain, every projection and every stored definition is intact."""
        return not self.breaks and not self.problems

    @property
    def unknown(self) -> tuple[StampedVersion, ...]:
        """The stamped versions the verifier does not know (it cannot judge their streams)."""
        return tuple(v for v in self.stamped if not v.known)

    @property
    def judged(self) -> bool:
        """True when every stream's definition versions were known to the verifier."""
        return not self.unknown


def _check_event(
    event: SealedEvent, expected_seq: int, prev: SealedEvent | None, quick: QuickCheck
) -> tuple[str | None, dict[str, Any]]:
    """What is wrong with *event* after *prev*, by the format alone, and its decoded body."""
    body = quick.body(event, expected_seq)
    if body is None:
        return full_check(event, expected_seq, prev)
    # the header and the columns are as sealed, the body canonical: the rest as in full
    problem = body_problem(body, event.type) or _link_problem(event, prev, body)
    return (None, body) if problem is None else (problem, {})


def full_check(
    event: SealedEvent, expected_seq: int, prev: SealedEvent | None
) -> tuple[str | None, dict[str, Any]]:
    """What is wrong with *event* after *prev*, by the format alone, read field by field
    (every event the quick check does not accept), and its decoded body."""
    stored: tuple[object, ...] = tuple(event)  # a tampered row may hold any type anywhere
    if not isinstance(stored[11], bytes) or not isinstance(stored[12], (bytes, type(None))):
        return "header or body is not stored as bytes", {}
    if type(stored[1]) is not int:
        return "column seq is not an integer", {}
    for column in TEXT_COLUMNS:
        if type(getattr(event, column)) is not str:
            return f"column {column} is not text", {}
    if event.seq != expected_seq:
        return f"expected seq {expected_seq}, found seq {event.seq} (an event is missing)", {}
    if hashlib.sha256(event.header).hexdigest() != event.hash:
        return "hash does not match the stored header bytes", {}
    header, problem = decode_canonical(event.header, "header")
    if problem is None:
        problem = header_problem(header)
    if problem is not None:
        return problem, {}
    for key, attribute in COLUMNS:
        if header[key] != getattr(event, attribute):
            return f"column {attribute} disagrees with the hashed header", {}
    if header.get("command") != event.command_id:
        return "column command_id disagrees with the hashed header", {}
    if header.get("institution", "") != event.institution:
        return "column institution disagrees with the hashed header", {}
    if (header["actor"]["id"], header["actor"]["role"]) != (event.actor_id, event.actor_role):
        return "columns actor_id/actor_role disagree with the hashed header", {}
    if event.body is None:
        return "body is missing", {}
    if hashlib.sha256(event.body).hexdigest() != event.body_hash:
        return "body does not match its hash", {}
    body, problem = decode_canonical(event.body, "body")
    if problem is None:
        problem = body_problem(body, event.type)
    if problem is not None:
        return problem, {}
    return _link_problem(event, prev, body), body


def _link_problem(event: SealedEvent, prev: SealedEvent | None, body: dict[str, Any]) -> str | None:
    """What is wrong with how *event* continues *prev* (None: the first event)."""
    if prev is None:
        if event.prev_hash != GENESIS:
            return "first event does not start from the genesis hash"
        if event.type != "opened":
            return "first event is not an 'opened' event"
        return None
    if event.type == "opened":
        return "an 'opened' event after the first"
    if event.type == "imported" and (prev.type != "opened" or event.seq != 2):
        return "an 'imported' event that does not follow the opening"
    if event.prev_hash != prev.hash:
        return "prev_hash does not match the previous event's hash"
    if event.from_state != prev.to_state:
        return "from_state does not continue the previous event's to_state"
    if event.lifecycle != prev.lifecycle:
        return "the lifecycle changes along the stream"
    if event.institution != prev.institution:
        return "the institution changes along the stream"
    if event.type == "migrated":
        data = body["data"]
        if data["from"] != prev.definition or data["to"] != event.definition:
            return "the migration's from and to are not the versions before and after it"
        if data["mapping"].get(event.from_state, event.from_state) != event.to_state:
            return "the migration's to_state is not its mapping of from_state"
    elif event.definition != prev.definition:
        return "the definition version changes without a migration event"
    return None


def _fit_problem(
    definition: LifecycleDefinition,
    event: SealedEvent,
    data: dict[str, Any],
    before: LifecycleDefinition | None,
    sealed: Iterable[str] = (),
) -> str | None:
    """What in *event* (its decoded body *data*, its *sealed* field names) its stamped
    *definition* does not allow.

    *before* is the version of the previous event, when the verifier knows it (for a
    migration: the version migrated from).
    """
    problem = _command_fit(definition, event, data, before)
    if problem is None and sealed:
        specs = command_fields(definition, event.type, event.name)
        secret = {spec.name for spec in specs or () if spec.secret}
        stray = sorted(set(sealed) - secret)
        if stray and specs is not None:  # an institution fact's fields are not the version's
            return f"field {stray[0]!r} is sealed, but no sealed field of its command"
    return problem


def _command_fit(
    definition: LifecycleDefinition,
    event: SealedEvent,
    data: dict[str, Any],
    before: LifecycleDefinition | None,
) -> str | None:
    kind, name, source, dest = event.type, event.name, event.from_state, event.to_state
    role = event.actor_role
    if definition.name != event.lifecycle:
        return f"the event's lifecycle is not the name of its version ({definition.name!r})"
    if kind == "opened":
        if name != definition.name or dest != definition.initial:
            return "the opened event does not open its definition in its initial state"
        return None if role in definition.open_roles else f"role {role!r} may not open it"
    if kind == "migrated":
        return _migration_fit(definition, event, data["mapping"], before)
    if kind == "imported":
        return _import_fit(definition, event, data)
    if kind == "corrected":
        return None  # judged against the stream's events (_StreamCheck._correction_fit)
    if kind == "erased":
        return None if role in ERASE_ROLES else f"role {role!r} may not erase"
    if kind in ("escalated", "dismissed", "noted"):
        return None  # guidance steps and own facts are the institution's, no part of a version
    transition = definition.transitions_by_trigger.get(name)
    fact = definition.facts_by_name.get(name)
    if kind == "transitioned":
        if transition is None or source not in transition.sources or dest != transition.dest:
            return f"{name!r} is no transition of its version from {source!r} to {dest!r}"
        if role not in transition.roles:
            return f"role {role!r} may not fire {name!r}"
    elif kind == "recorded":
        if fact is None or source not in definition.fact_states(fact):
            return f"{name!r} is no fact of its version recorded in {source!r}"
        if role not in fact.roles:
            return f"role {role!r} may not record {name!r}"
    elif transition is None and fact is None:  # refused: a command of its version
        return f"{name!r} is no command of its version"
    return None


def _import_fit(
    definition: LifecycleDefinition, event: SealedEvent, evidence: dict[str, Any]
) -> str | None:
    """What an import into *definition* breaks of the import rules: who, where, and
    evidence that fits the state (the rules judged it when it was imported)."""
    try:
        needs = import_needs(definition, event.to_state)
        valid = validate_evidence(needs, evidence)
    except InvalidInput as exc:
        return f"the import does not fit its version ({exc.field}: {exc.problem})"
    if canonical_bytes(dict(valid)) != canonical_bytes(evidence):
        return "the import's evidence is not in its canonical form"
    missing = [name for name in needs.required if name not in valid]
    if missing:
        return f"the import lacks the evidence {missing[0]}"
    return None


def _migration_fit(
    definition: LifecycleDefinition,
    event: SealedEvent,
    mapping: dict[str, str],
    before: LifecycleDefinition | None,
) -> str | None:
    """What a migration into *definition* from *before* breaks of the migration rules."""
    source, dest = event.from_state, event.to_state
    if event.actor_role not in MIGRATE_ROLES:
        return f"role {event.actor_role!r} may not migrate"
    if dest not in definition.states:
        return f"state {dest!r} is not in its version"
    if dest in definition.final:
        return "a migration ends the stream"
    if unsafe_reason(definition) is not None:
        return "a migration into a version this release's hard rules refuse"
    if before is not None:
        if source in before.final:
            return "a migration of a stream that had ended"
        if not set(mapping) <= set(before.states):
            return "the migration's mapping names a state its old version does not have"
        if before.phase_of.get(source) != definition.phase_of[dest]:
            return "a migration changes the stream's phase"
    return None


#: StreamRow field -> the type its column must hold
_HEAD_TYPES = {f: (int if f == "version" else str) for f in StreamRow._fields}


def _check_head(
    head: StreamRow | None, first: SealedEvent, last: SealedEvent, facts: str | None
) -> Break | None:
    stream = str(last.stream_id)
    if head is None:
        return Break(stream, 1, "events exist but the stream has no projection row")
    for column, kind in _HEAD_TYPES.items():
        if type(getattr(head, column)) is not kind:
            return Break(stream, last.seq, f"projection column {column} holds the wrong type")
    if head.version != last.seq:
        seq = max(head.version, last.seq)
        return Break(stream, seq, f"projection version {head.version}, last event seq {last.seq}")
    checks = (
        (head.head_hash, last.hash, "head_hash"),
        (head.state, last.to_state, "state"),
        (head.definition, last.definition, "definition"),
        (head.lifecycle, last.lifecycle, "lifecycle"),
        (head.institution, first.institution, "institution"),
        (head.opened_at, first.occurred_at, "opened_at"),
        (head.updated_at, last.occurred_at, "updated_at"),
        (head.facts, head.facts if facts is None else facts, "facts"),
    )
    for stored, derived, column in checks:
        if stored != derived:
            return Break(stream, last.seq, f"projection column {column} disagrees with the events")
    return None


class _StreamCheck:
    """The running verification of one stream, event by event."""

    def __init__(
        self, stream_id: str, known: Mapping[str, LifecycleDefinition], quick: QuickCheck
    ) -> None:
        self.stream_id = stream_id
        self.known = known
        self.quick = quick
        #: How many events hold sealed fields, by the key they are sealed under.
        self.sealed: dict[str, int] = {}
        #: Whether an ``erased`` event records that the stream's subject was erased.
        self.erased = False
        self.first: SealedEvent | None = None
        self.prev: SealedEvent | None = None
        self.broken = False
        self.facts: dict[str, Any] | None = None
        #: The first version of the stream the verifier does not know, if any.
        self.unknown: str | None = None
        #: Every (lifecycle, digest) the stream's events are stamped with.
        self.versions: set[tuple[str, str]] = set()
        self.definition: LifecycleDefinition | None = None
        #: The command ids seen on the stream: each names one command.
        self.commands: set[str] = set()
        #: The stream's events as the facts fold reads them (a correction folds anew).
        self.decoded: list[dict[str, Any]] = []
        #: The type of each event so far, by seq - 1, and the seqs corrected.
        self.kinds: list[str] = []
        self.taken: set[int] = set()

    def add(self, event: SealedEvent) -> Break | None:
        expected = 1 if self.prev is None else self.prev.seq + 1
        problem, body = _check_event(event, expected, self.prev, self.quick)
        if problem is None and event.command_id is not None:
            if event.command_id in self.commands:
                problem = "a command id names a second event on the stream"
            self.commands.add(event.command_id)
        if problem is None and event.type == "corrected":
            problem = self._correction_target(event, body["data"]["seq"])
        if problem is None and "sealed" in body and self.erased:
            problem = "a sealed field after the stream's subject was erased"
        if problem is None:
            self.versions.add((str(event.lifecycle), str(event.definition)))
            if "sealed" in body:
                key = body["sealed"]["key"]
                self.sealed[key] = self.sealed.get(key, 0) + 1
            self.erased = self.erased or event.type == "erased"
        if problem is None and self.unknown is None:
            problem = self._judge(event, body)
        if problem is not None:
            self.broken = True
            return Break(str(event.stream_id), expected, problem)
        self.first = self.first or event
        self.prev = event
        self.kinds.append(event.type)
        return None

    def _correction_target(self, event: SealedEvent, seq: int) -> str | None:
        """What is wrong with the event a correction names, by the format alone."""
        if not 1 <= seq < event.seq or self.kinds[seq - 1] != "recorded":
            return f"a correction names no earlier recorded event of the stream (seq {seq})"
        if seq in self.taken:
            return f"a correction of seq {seq}, corrected already"
        self.taken.add(seq)
        return None

    def _judge(self, event: SealedEvent, body: dict[str, Any]) -> str | None:
        """Check *event* against the version stamped on it and fold it into the facts."""
        before = definition = self.definition
        if definition is None or event.definition != definition.digest:
            definition = self.definition = self.known.get(event.definition)
            if definition is None:  # from here on the stream cannot be judged
                self.unknown = event.definition
                self.facts = None
                return None
        sealed = body.get("sealed", {}).get("fields", ())
        problem = _fit_problem(definition, event, body["data"], before, sealed)
        if problem is None and event.type == "corrected":
            problem = self._correction_fit(event, body["data"]["seq"])
        if problem is not None:
            return problem
        self.decoded.append({"seq": event.seq, "type": event.type, "name": event.name,
                             "definition": event.definition, "role": event.actor_role,
                             "body": body})  # fmt: skip
        try:
            if event.type == "corrected":
                self.facts = fold(self.decoded, self.known.__getitem__)
                return None
            if event.type == "opened":
                self.facts = initial_facts(body["data"])
                return None
            if self.facts is not None:
                self.facts = advance(self.facts, self.decoded[-1], self.known.__getitem__)
        except (ValueError, KeyError, TypeError, AttributeError):
            return "body does not fit the lifecycle definition"
        return None

    def _correction_fit(self, event: SealedEvent, seq: int) -> str | None:
        """What a correction of event *seq* breaks of the correction rules, or None."""
        target = self.decoded[seq - 1] if 1 <= seq < event.seq else None
        version = None if target is None else self.known.get(target["definition"])
        problem = correction_problem(
            version, event.from_state, target, corrected_seqs(self.decoded)
        )
        if problem is not None:
            return f"the correction of seq {seq} is not allowed: {problem}"
        assert target is not None  # no problem: the event and its version are known
        assert version is not None
        if event.actor_role not in correct_roles(version, target["name"]):
            return f"role {event.actor_role!r} may not correct {target['name']!r}"
        return None

    def finish(self, head: StreamRow | None) -> Break | None:
        if self.broken or self.first is None or self.prev is None:
            return None
        if head is not None and self.definition is not None and head.kind != self.definition.kind:
            return Break(str(self.stream_id), self.prev.seq, "projection column kind disagrees")
        facts = None if self.facts is None else canonical_bytes(self.facts).decode()
        return _check_head(head, self.first, self.prev, facts)


#: How many events verification reads between two reports of its progress.
PROGRESS_EVERY = 100_000


class OrderedHeads:
    """Projection rows read in stream id order (code point order, as SQLite's BINARY and
    PostgreSQL's ``COLLATE "C"`` sort), looked up in that order as the events come: a
    merge of two cursors, so that a verifier holds one row at a time, never them all.
    (On a UTF-8 database; ids out of that order are reported as rows without events,
    never passed.)"""

    def __init__(self, rows: Iterable[StreamRow]) -> None:
        self._rows = iter(rows)
        self._next: StreamRow | None = next(self._rows, None)
        self.orphans: list[str] = []  # rows no event was looked up for

    def get(self, stream_id: object) -> StreamRow | None:
        """The row of *stream_id* (ids asked for in increasing order), or None. An id
        that is not text (a tampered column) matches nothing and is reported apart."""
        if not isinstance(stream_id, str):
            return None
        while self._next is not None and (
            not isinstance(self._next.id, str) or self._next.id < stream_id
        ):
            self._skip()
        if self._next is not None and self._next.id == stream_id:
            found, self._next = self._next, next(self._rows, None)
            return found
        return None

    def _skip(self) -> None:
        assert self._next is not None
        self.orphans.append(str(self._next.id))
        self._next = next(self._rows, None)

    def rest(self) -> list[str]:
        """The ids of the rows no event was looked up for (read to the end)."""
        while self._next is not None:
            self._skip()
        return self.orphans


@frozen
class VerifyPart:
    """What verification found over some of the streams: the parts over disjoint sets
    of streams (verified apart, even in other processes) make one report together
    (:func:`report_of`).

    Attributes:
        streams: The streams verified (those with events, and projection rows without).
        events: The events read.
        breaks: The first broken link of every broken stream.
        stamped: How many streams have events under each (lifecycle, digest).
        sealed: How many events hold sealed fields, by the key they are sealed under.
        chain_erased: The keys of streams an ``erased`` event closes.
    """

    streams: int
    events: int
    breaks: tuple[Break, ...]
    stamped: Mapping[tuple[str, str], int]
    sealed: Mapping[str, int]
    chain_erased: frozenset[str]


def verify_part(
    events: Iterable[SealedEvent],
    heads: Mapping[str, StreamRow] | OrderedHeads,
    definitions: Iterable[LifecycleDefinition] = (),
    progress: Callable[[int], None] | None = None,
) -> VerifyPart:
    """Verify *events* against *heads*, as :func:`verify_rows` does, and keep what it
    found for :func:`report_of` (the heads are those of the events' streams and of no
    other verified part)."""
    known = {d.digest: d for d in definitions}
    breaks: list[Break] = []
    stamped: dict[tuple[str, str], int] = {}
    seen: set[str] = set()
    count = 0
    sealed: dict[str, int] = {}  # events with sealed fields, by key
    chain_erased: set[str] = set()  # the keys of streams an erased event closes
    check: _StreamCheck | None = None
    quick = QuickCheck()

    def finish() -> None:
        if check is None:
            return
        problem = check.finish(heads.get(check.stream_id))
        if problem is not None:
            breaks.append(problem)
        for key in check.versions:
            stamped[key] = stamped.get(key, 0) + 1
        for key_id, n in check.sealed.items():
            sealed[key_id] = sealed.get(key_id, 0) + n
        if check.erased:
            chain_erased.update(check.sealed)

    for event in events:
        count += 1
        if progress is not None and not count % PROGRESS_EVERY:
            progress(count)
        if check is None or event.stream_id != check.stream_id:
            finish()
            check = _StreamCheck(event.stream_id, known, quick)
            seen.add(event.stream_id)
        if not check.broken:
            problem = check.add(event)
            if problem is not None:
                breaks.append(problem)
    finish()
    orphans = heads.rest() if isinstance(heads, OrderedHeads) else set(heads) - seen
    for stream_id in sorted(orphans, key=str):
        breaks.append(Break(str(stream_id), 1, "the stream has a projection row but no events"))
    return VerifyPart(
        streams=len(seen) + len(orphans), events=count, breaks=tuple(breaks), stamped=stamped,
        sealed=sealed, chain_erased=frozenset(chain_erased),
    )  # fmt: skip


def report_of(
    parts: Iterable[VerifyPart],
    definitions: Iterable[LifecycleDefinition] = (),
    erased_keys: Iterable[str] = (),
) -> VerifyReport:
    """The report over every stream of *parts* (disjoint sets of streams: a part given
    twice is counted twice), verified
    against *definitions*, with the key ids *erased_keys* the database says are destroyed
    (see :func:`verify_rows`)."""
    known = {d.digest for d in definitions}
    destroyed = frozenset(erased_keys)
    streams = events = 0
    breaks: list[Break] = []
    stamped: dict[tuple[str, str], int] = {}
    sealed: dict[str, int] = {}
    chain_erased: set[str] = set()
    for part in parts:
        streams, events = streams + part.streams, events + part.events
        breaks.extend(part.breaks)
        for version, n in part.stamped.items():
            stamped[version] = stamped.get(version, 0) + n
        for key, n in part.sealed.items():
            sealed[key] = sealed.get(key, 0) + n
        chain_erased |= part.chain_erased
    breaks.sort(key=lambda b: b.stream_id)
    problems = [
        f"subject key {key!r}: an erased event records its erasure, but subject_keys still holds it"
        for key in sorted(chain_erased - destroyed)
    ] + [
        f"subject key {key!r}: subject_keys has it erased, but no erased event records it"
        for key in sorted((destroyed & set(sealed)) - chain_erased)
    ]
    return VerifyReport(
        streams=streams,
        events=events,
        breaks=tuple(breaks),
        stamped=tuple(
            StampedVersion(lifecycle, digest, n, digest in known)
            for (lifecycle, digest), n in sorted(stamped.items())
        ),
        versions=len(known),
        sealed=sum(sealed.values()),
        erased=sum(sealed[key] for key in chain_erased),
        problems=tuple(problems),
    )


def verify_rows(
    events: Iterable[SealedEvent],
    heads: Mapping[str, StreamRow] | OrderedHeads,
    definitions: Iterable[LifecycleDefinition] = (),
    erased_keys: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify *events* (ordered by stream id, then seq) against the projection *heads*.

    Args:
        events: Every stored event, ordered by stream id and seq.
        heads: The projection rows by stream id, or read in stream id order
            (:class:`OrderedHeads`: the events must then be ordered by stream id in
            code point order too).
        definitions: The definition versions the verifier knows (any number of
            versions of one lifecycle). Each event is checked against the
            version stamped on it (its trigger or fact, states and effects) and
            each stream's ``facts`` column is recomputed event by event, across
            its migrations. Streams with an event under a version not among
            them are listed in :attr:`VerifyReport.unknown`.
        erased_keys: The key ids the database says are destroyed (``subject_keys``:
            erased, their bytes gone; pass them, or a log with erasures is reported
            as keeping keys its chain says are gone). The ``erased`` events of the chain say which
            subjects were erased; where the two disagree, a problem names the key.
            The events sealed under keys the chain erased are counted in
            :attr:`VerifyReport.erased`.
        progress: Told the number of events verified so far, every 100,000.

    Returns:
        A report naming the first broken link of each broken stream.
    """
    definitions = tuple(definitions)
    return report_of([verify_part(events, heads, definitions, progress)], definitions, erased_keys)
