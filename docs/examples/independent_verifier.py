"""An independent verifier of a stageborging audit log, from the format in the docs alone.

Usage: ``python independent_verifier.py DATABASE``. Exit status 0 intact, 1
broken, 2 the file cannot be read. The verifier uses the standard library only.
Run without an argument, it first builds a small database with stageborging.
"""

import hashlib
import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

GENESIS = "0" * 64
#: header key -> events column that must hold the same value
COLUMNS = {"stream": "stream_id", "seq": "seq", "type": "type", "name": "name",
           "time": "occurred_at", "from": "from_state", "to": "to_state",
           "lifecycle": "lifecycle", "definition": "definition",
           "body_hash": "body_hash", "prev": "prev_hash"}  # fmt: skip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_event(e: sqlite3.Row, prev: sqlite3.Row | None) -> str | None:
    """The first problem of event *e*, given the stream's previous event."""
    expected = 1 if prev is None else prev["seq"] + 1
    if e["seq"] != expected:
        return f"expected seq {expected}, found seq {e['seq']}"
    if not isinstance(e["header"], bytes) or sha256(e["header"]) != e["hash"]:
        return "hash does not match the stored header bytes"
    try:
        header = json.loads(e["header"])
    except ValueError:
        return "header is not valid JSON"
    if not isinstance(header, dict) or header.get("v") != 1:
        return "not a version 1 header"
    for key, column in COLUMNS.items():
        if header.get(key) != e[column]:
            return f"column {column} disagrees with the header"
    if header.get("actor") != {"id": e["actor_id"], "role": e["actor_role"]}:
        return "actor columns disagree with the header"
    if not isinstance(e["body"], bytes) or sha256(e["body"]) != e["body_hash"]:
        return "body is missing or does not match its hash"
    if prev is None and (e["prev_hash"] != GENESIS or e["type"] != "opened"):
        return "the stream does not start with an 'opened' event on the genesis hash"
    if prev is not None and (e["prev_hash"], e["from_state"]) != (prev["hash"], prev["to_state"]):
        return "does not continue the previous event (prev_hash or from_state)"
    return None


def verify(path: str) -> tuple[int, int, list[tuple[str, int, str]]]:
    """Return (streams, events, breaks): the first broken link of each broken stream."""
    with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        heads = {row["id"]: row for row in db.execute("SELECT * FROM streams")}
        events = db.execute("SELECT * FROM events ORDER BY stream_id, seq").fetchall()
    streams: dict[str, list[sqlite3.Row]] = {}
    for event in events:
        streams.setdefault(event["stream_id"], []).append(event)
    breaks = [(sid, 1, "projection row without events") for sid in heads.keys() - streams.keys()]
    for sid, chain in streams.items():
        for prev, event in zip([None, *chain], chain, strict=False):
            if problem := check_event(event, prev):
                breaks.append((sid, 1 if prev is None else prev["seq"] + 1, problem))
                break
        else:  # the whole chain holds: the projection row must agree with its last event
            last, head = chain[-1], heads.get(sid)
            if head is None:
                breaks.append((sid, 1, "events without a projection row"))
            elif head["version"] != last["seq"]:
                breaks.append((sid, max(head["version"], last["seq"]), "projection version"))
            elif (head["head_hash"], head["state"], head["definition"], head["lifecycle"],
                  head["opened_at"], head["updated_at"]) != (
                last["hash"], last["to_state"], last["definition"], last["lifecycle"],
                chain[0]["occurred_at"], last["occurred_at"]
            ):  # fmt: skip
                breaks.append((sid, last["seq"], "projection disagrees with the last event"))
    return len(heads.keys() | streams.keys()), len(events), sorted(breaks)


def build_demo_database(path: Path) -> None:
    """A few streams written through stageborging's public API (not needed to verify)."""
    import contextlib

    from stageborging import Actor, Engine, Refused

    office, student = Actor("po-1", "placement_office"), Actor("stu-1", "student")
    details = {"student": "stu-1", "programme": "ict", "planned_start": "2027-02-01",
               "planned_end": "2027-06-30", "planned_hours": 640}  # fmt: skip
    with Engine(path) as engine:
        for _ in range(3):
            sid = engine.open("hbo_stage", actor=office, data=details).stream_id
            engine.fire(sid, "begin_search", actor=student)
            engine.fire(sid, "propose_placement", actor=student, data={"employer": "lb-1"})
            # refused (the programme has not approved the assignment), and recorded
            with contextlib.suppress(Refused):
                engine.fire(sid, "verify_employer", actor=office)
        case = engine.open("case", actor=student, data={"phase": "search"}).stream_id
        engine.fire(case, "acknowledge", actor=Actor("vp-1", "confidential_advisor"))


def report(path: str) -> int:
    """Print the breaks and a summary; return the exit status."""
    try:
        streams, events, breaks = verify(path)
    except sqlite3.Error as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 2
    for sid, seq, problem in breaks:
        print(f"  stream {sid} seq {seq}: {problem}")
    verdict = "intact" if not breaks else f"BROKEN ({len(breaks)} of {streams} streams)"
    print(f"{verdict}: {streams} streams, {events} events checked")
    return 1 if breaks else 0


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        return report(argv[1])
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.db"
        build_demo_database(path)
        print(f"built a demo database with stageborging: {path.name}")
        return report(str(path))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
