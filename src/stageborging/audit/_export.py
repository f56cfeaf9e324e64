"""The export: the log as JSON Lines, and its verification with no database (the format
is ``docs/audit-format.rst``'s, "Exports"). Streaming: memory grows with the number of
streams, never with the number of events."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from attrs import field, frozen

from ..core import StageborgingError, canonical_bytes, check_canonical_value
from ..lifecycles import digest_of
from . import _merkle as merkle
from ._chain import GENESIS
from ._checkpoint import Checkpoint, KeyTwice, unique_keys
from ._format import body_problem, decode_canonical, header_problem

__all__ = ["EXPORT_FORMAT", "ExportReport", "export_line", "verify_export"]

EXPORT_FORMAT = "stageborging.export/1"
#: The keys of each kind of line (an event has a header and a body, each as text or
#: base64).
_KEYS = {
    "export": frozenset({"kind", "format", "schema", "since", "from_time", "stream"}),
    "definition": frozenset({"kind", "digest", "lifecycle", "data", "source"}),
    "event": frozenset({"kind", "position", "hash", "header", "header_b64", "body", "body_b64"}),
    "stream": frozenset({"kind", "id", "version", "head_hash", "lifecycle", "state"}),
    "end": frozenset({"kind", "events", "last_position"}),
}
#: How many problems a report keeps (the count goes on).
_KEPT = 100


def export_line(value: dict[str, Any]) -> str:
    """One line of an export: compact JSON, keys sorted, no line break inside."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@frozen
class ExportReport:
    """What :func:`verify_export` found.

    Attributes:
        events: The events read.
        streams: The streams whose events were read.
        definitions: The definition versions the export holds.
        partial: Whether it starts mid-log (``since``) or holds one stream: then
            each stream's first event is taken as it is, and no tree head is made.
        root: The head of the Merkle tree over its events (hex; a whole export only).
        problems: What is wrong, each naming the line (at most 100 kept).
        checkpoint: Why the export does not extend the checkpoint given, else None.
        judged: False when a checkpoint was given with a part of the log: a checkpoint
            covers a whole log, so the part could not be judged against it.
    """

    events: int
    streams: int
    definitions: int
    partial: bool
    root: str | None
    problems: tuple[str, ...] = field(factory=tuple)
    problem_count: int = 0
    checkpoint: str | None = None
    #: Whether the file is an export at all (its first line starts one).
    export: bool = True
    judged: bool = True

    @property
    def ok(self) -> bool:
        return not self.problem_count and self.checkpoint is None


class _Reader:
    """The state of one pass over an export's lines."""

    def __init__(self, checkpoint: Checkpoint | None) -> None:
        self.problems: list[str] = []
        self.count = 0
        #: stream -> (last seq, last hash, lifecycle, to state) of its last event
        self.heads: dict[str, tuple[int, str, object, object]] = {}
        self.digests: set[str] = set()
        self.stamped: dict[str, int] = {}  # digest -> first line stamped with it
        self.tree = merkle.TreeHead()
        self.checkpoint = checkpoint
        self.at_checkpoint: tuple[str, int] | None = None
        self.position = 0
        self.events = 0
        self.partial = False  # a part of the log: no tree head, no checkpoint
        self.midway = False  # starting mid-log: a stream's first event may be mid-chain
        self.not_export = False
        self.ended = False
        #: stream -> (line, version, head_hash, lifecycle, state) of its stream line
        self.stream_lines: dict[str, tuple[int, object, object, object, object]] = {}
        self.since = 0
        self.only: str | None = None
        self.from_time: str | None = None

    def problem(self, line: int, text: str) -> None:
        self.count += 1
        if len(self.problems) < _KEPT:
            self.problems.append(f"line {line}: {text}")


def verify_export(lines: Iterable[str], checkpoint: Checkpoint | None = None) -> ExportReport:
    """Verify an export read line by line: its chains, every event's hash and body hash,
    the definitions it names, the streams' heads, its end, and (a whole export) the head
    of its Merkle tree, against *checkpoint* when given (its signature checked apart)."""
    reader = _Reader(checkpoint)
    number = 0
    for number, text in enumerate(lines, start=1):
        if reader.not_export:
            break
        if reader.ended and not text.strip():
            continue  # blank lines after the end (an editor's): they hold nothing
        try:
            line = json.loads(text, object_pairs_hook=unique_keys)
        except KeyTwice:
            reader.problem(number, "gives a key twice (readers would disagree on its value)")
            continue
        except (ValueError, RecursionError):
            reader.problem(number, "is no JSON")
            if number == 1:
                reader.not_export = True
                break  # not an export at all: nothing more to say
            continue
        if not isinstance(line, dict):
            reader.problem(number, "is no JSON object")
            continue
        if reader.ended:
            reader.problem(number, "comes after the end line: lines were added")
            continue
        _read(reader, number, line)
    if reader.not_export:
        return ExportReport(events=0, streams=0, definitions=0, partial=True, root=None,
                            problems=tuple(reader.problems), problem_count=reader.count,
                            export=False)  # fmt: skip
    if number == 0:  # not an export at all: nothing to judge
        return ExportReport(events=0, streams=0, definitions=0, partial=True, root=None,
                            problems=("line 1: the file is empty",), problem_count=1,
                            export=False)  # fmt: skip
    if not reader.ended:
        reader.problem(number, "the export has no end line: it was cut short")
    for digest, line in reader.stamped.items():
        if digest not in reader.digests:
            reader.problem(line, f"events are stamped with definition {digest[:12]}…, which "
                           "the export does not hold")  # fmt: skip
    for stream_id, (line, version, head, lifecycle, state) in reader.stream_lines.items():
        seen = reader.heads.get(stream_id)
        if seen is None and not reader.partial:
            reader.problem(line, f"stream {_shown(stream_id)}: its events are missing")
        elif seen is not None and (seen[0], seen[1]) != (version, head):
            reader.problem(line, f"stream {_shown(stream_id)}: its head is seq "
                           f"{_shown(version)}, its last event seq {seen[0]}: events were "
                           "removed or added")  # fmt: skip
        elif seen is not None and (seen[2], seen[3]) != (lifecycle, state):
            reader.problem(line, f"stream {_shown(stream_id)}: its lifecycle and state are "
                           f"not those its last event ends in ({_shown(seen[2])}, "
                           f"{_shown(seen[3])})")  # fmt: skip
    return ExportReport(
        events=reader.events, streams=len(reader.heads), definitions=len(reader.digests),
        partial=reader.partial, root=None if reader.partial else reader.tree.root().hex(),
        problems=tuple(reader.problems), problem_count=reader.count,
        checkpoint=_against(reader), judged=checkpoint is None or not reader.partial,
    )  # fmt: skip


def _read(reader: _Reader, number: int, line: dict[str, Any]) -> None:
    kind = line.get("kind")
    stray = sorted(set(line) - _KEYS.get(str(kind), set(line)))
    if stray:
        reader.problem(number, f"has keys the format does not have: {_shown(', '.join(stray))}")
    if kind == "event" and ({"header", "header_b64"} <= line.keys() or {"body", "body_b64"}
                            <= line.keys()):  # fmt: skip
        reader.problem(number, "gives its header or body both as text and as base64")
    if number == 1:
        if kind != "export" or line.get("format") != EXPORT_FORMAT:
            reader.problem(number, f"is not the start of an export ({EXPORT_FORMAT})")
            reader.not_export = True
        since, only, from_time = line.get("since"), line.get("stream"), line.get("from_time")
        reader.since = since if isinstance(since, int) and not isinstance(since, bool) else 0
        reader.only = only if isinstance(only, str) else None
        reader.from_time = from_time if isinstance(from_time, str) else None
        reader.midway = bool(reader.since) or reader.from_time is not None
        reader.partial = reader.midway or reader.only is not None
        reader.position = reader.since
        return
    if kind == "definition":
        data = line.get("data")
        try:
            check_canonical_value(data)
            held = isinstance(data, dict) and digest_of(data) == line.get("digest")
        except (ValueError, TypeError, RecursionError, StageborgingError):
            held = False
        if not held:
            reader.problem(number, "the definition's data is not that of its digest")
        else:
            reader.digests.add(str(line["digest"]))
    elif kind == "event":
        _event(reader, number, line)
    elif kind == "stream":
        head = (number, line.get("version"), line.get("head_hash"), line.get("lifecycle"),
                line.get("state"))  # fmt: skip
        if str(line.get("id")) in reader.stream_lines:
            reader.problem(number, f"stream {_shown(line.get('id'))}: its head is given twice")
        reader.stream_lines[str(line.get("id"))] = head
    elif kind == "end":
        reader.ended = True
        if line.get("events") != reader.events:
            counted = _shown(line.get("events"))
            reader.problem(number, f"the end counts {counted} events, the export holds "
                           f"{reader.events}: lines were removed or added")  # fmt: skip
        reached = line.get("last_position")
        whole = reader.only is None and reader.from_time is None  # every event read, written
        if not isinstance(reached, int) or (
            reached != reader.position if whole else reached < reader.position
        ):
            reader.problem(number, f"the end's last_position {_shown(reached)} is not where "
                           f"the export's events end ({reader.position}): an export from it "
                           "would skip or repeat events")  # fmt: skip
    else:
        reader.problem(number, f"has an unknown kind {str(kind)[:20]!r}")


def _shown(value: object) -> str:
    """A value from the export, for a message: printable, and cut short."""
    text = str(value)[:80]
    return "".join(c if c.isprintable() else "?" for c in text)


def _event(reader: _Reader, number: int, line: dict[str, Any]) -> None:
    position = line.get("position")
    if not isinstance(position, int) or isinstance(position, bool):
        reader.problem(number, "its position is not a whole number")
    elif position <= reader.position:
        reader.problem(number, "its position is not after the previous event's (or the "
                       "export's start): lines were reordered, duplicated or inserted")  # fmt: skip
    else:
        reader.position = position
    raw = _raw(line, "header")
    if not isinstance(raw, bytes):
        reader.problem(number, _unreadable(line, "header"))
        return
    digest = hashlib.sha256(raw).hexdigest()
    try:
        header = json.loads(raw)
        if not isinstance(header, dict):
            raise TypeError("not an object")
        canonical = canonical_bytes(header) == raw
    except (ValueError, TypeError, AttributeError, RecursionError):
        reader.problem(number, "its header is no canonical JSON object")
        return
    stream_id, seq = header.get("stream"), header.get("seq")
    where = f"event {_shown(stream_id)}:{_shown(seq)}"
    if not canonical:
        reader.problem(number, f"{where}: its header is not in canonical form")
    if line.get("hash") != digest:
        reader.problem(number, f"{where}: its hash is missing or not SHA-256 of its header")
    problem = header_problem(header) if canonical else None
    if problem is not None:
        reader.problem(number, f"{where}: {problem}")
    stored = _raw(line, "body")
    if not isinstance(stored, bytes):
        reader.problem(number, f"{where}: {_unreadable(line, 'body')}")
    elif hashlib.sha256(stored).hexdigest() != header.get("body_hash"):
        reader.problem(number, f"{where}: its body is not the one its header hashed")
    elif problem is None and canonical:
        body, problem = decode_canonical(stored, "body")
        problem = problem or body_problem(body, header["type"])
        if problem is not None:
            reader.problem(number, f"{where}: {problem}")
    if reader.only is not None and stream_id != reader.only:
        reader.problem(number, f"{where}: the export is of stream {_shown(reader.only)} only")
    if reader.from_time is not None and str(header.get("time")) < reader.from_time:
        reader.problem(number, f"{where}: it was recorded before the export's from_time")
    last = reader.heads.get(str(stream_id))
    if last is None:
        first = seq == 1 and header.get("prev") == GENESIS
        if not first and not reader.midway:
            reader.problem(number, f"{where}: its stream's earlier events are missing")
    elif (seq, header.get("prev")) != (last[0] + 1, last[1]):
        follows = f"{_shown(stream_id)}:{last[0]}"
        reader.problem(number, f"{where}: it does not follow {follows} (its prev or seq): an "
                       "event was changed, removed, inserted or moved")  # fmt: skip
    definition = header.get("definition")
    if isinstance(definition, str):
        reader.stamped.setdefault(definition, number)
    if isinstance(seq, int):
        reader.heads[str(stream_id)] = (seq, digest, header.get("lifecycle"), header.get("to"))
    reader.events += 1
    reader.tree.append(bytes.fromhex(digest))
    point = reader.checkpoint
    if point is not None and reader.tree.size == point.tree_size:
        reader.at_checkpoint = (reader.tree.root().hex(), reader.position)


def _unreadable(line: dict[str, Any], field: str) -> str:
    """Why an event line's *field* could not be read as bytes."""
    if f"{field}_b64" in line:
        return f"its {field}_b64 is not base64"
    if field not in line:
        return f"its {field} is missing"
    if isinstance(line[field], str):
        return f"its {field} is not UTF-8 text (bytes that are not go in {field}_b64)"
    return f"its {field} is not text"


def _raw(line: dict[str, Any], field: str) -> bytes | None:
    """An event line's *field* (``header``, ``body``) as its bytes, from the text or the
    base64 (``FIELD_b64``); None when missing or malformed."""
    if f"{field}_b64" in line:
        try:
            return base64.b64decode(str(line[f"{field}_b64"]), validate=True)
        except ValueError:
            return None
    value = line.get(field)
    if not isinstance(value, str):
        return None
    try:
        return value.encode("utf-8")
    except UnicodeError:  # a lone surrogate: bytes that were never UTF-8
        return None


def _against(reader: _Reader) -> str | None:
    point = reader.checkpoint
    if point is None:
        return None
    if reader.partial:
        return None  # not judged: a checkpoint covers the whole log
    if point.tree_size == 0:
        return None
    if reader.at_checkpoint is None:
        return (f"the export holds {reader.events} events, the checkpoint of {point.time} "
                f"covered {point.tree_size}: events were removed")  # fmt: skip
    if reader.at_checkpoint != (point.root, point.position):
        return (f"the first {point.tree_size} events are not those the checkpoint of "
                f"{point.time} covered: history was rewritten")  # fmt: skip
    return None


def lines_of(path_lines: Iterable[str]) -> Iterator[str]:
    """The lines of an export file, without their line ends (numbered as in the file:
    an empty line in it is a problem, not skipped)."""
    for text in path_lines:
        yield text.rstrip("\n")
