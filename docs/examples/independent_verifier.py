"""An independent verifier of a stageborging audit log, from the format in the docs alone.

Usage: ``python independent_verifier.py DATABASE``. Exit status 0 intact, 1
broken, 2 the file cannot be read. The verifier uses the standard library only.
Run without an argument, it first builds a small database with stageborging.
"""

import hashlib
import json
import re
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
HEADER_KEYS = {*COLUMNS, "v", "actor", "plugins"}
#: keys a version 2 header may add (each an id) -> the events column that holds it
OPTIONAL = {"command": "command_id", "institution": "institution"}
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}\Z")
FINDING_KEYS = {"code", "severity", "message", "message_nl", "source", "params"}
HEX64, TIME = re.compile(r"[0-9a-f]{64}\Z"), re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


#: The event types no plugin takes part in, and that carry no findings.
PLAIN = ("opened", "migrated", "imported", "corrected", "escalated", "dismissed", "noted",
         "erased")  # fmt: skip
#: The types whose body may hold sealed fields (free text), apart from their data.
SEALS = ("opened", "transitioned", "recorded", "noted")
ERASURE_BASES = ("no_longer_needed", "consent_withdrawn", "objection", "unlawful_processing",
                 "legal_obligation", "retention_expired")  # fmt: skip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def no_float(text: str) -> float:
    raise ValueError(f"{text} is not an integer")


def small_int(text: str) -> int:
    if abs(int(text)) >= 2**53:
        raise ValueError(f"{text} is outside ±(2**53 - 1)")
    return int(text)


def canonical(raw: bytes) -> dict | None:
    """The JSON object *raw* encodes, if it is canonical JSON, else None."""
    try:
        value = json.loads(raw, parse_float=no_float, parse_int=small_int, parse_constant=no_float)
        encoded = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                             allow_nan=False).encode("utf-8")  # fmt: skip
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and encoded == raw else None


def header_fits(h: dict) -> bool:
    """The header's keys, types and values follow the format page."""
    strings = [h.get(k) for k in COLUMNS if k != "seq"]
    actor, plugins = h.get("actor"), h.get("plugins")
    extra = h.keys() - HEADER_KEYS
    return (h.keys() >= HEADER_KEYS and extra <= OPTIONAL.keys()
            and type(h["v"]) is int and h["v"] in (1, 2) and not (h["v"] == 1 and extra)
            and all(type(h[k]) is str and ID.match(h[k]) for k in extra)
            and type(h["seq"]) is int and all(type(v) is str for v in strings)
            and h["type"] in ("opened", "transitioned", "recorded", "refused", "migrated",
                              "imported", "corrected", "escalated", "dismissed", "noted",
                              "erased")
            and bool(TIME.match(h["time"]))
            and all(HEX64.match(h[k]) for k in ("definition", "body_hash", "prev"))
            and isinstance(actor, dict) and actor.keys() == {"id", "role"}
            and (h["type"] != "imported" or actor["role"] in ("system", "placement_office"))
            and (h["type"] != "escalated" or actor["role"] == "system")
            and (h["type"] != "erased" or actor["role"] in ("privacy_officer", "system"))
            and all(type(v) is str for v in actor.values())
            and isinstance(plugins, list)
            and all(isinstance(p, list) and len(p) == 2 and all(type(x) is str for x in p)
                    for p in plugins)
            and [p[0] for p in plugins] == sorted({p[0] for p in plugins})
            and not (plugins and h["type"] in PLAIN)
            and (h["type"] in ("transitioned", "migrated", "imported")
                 or h["from"] == h["to"]))  # fmt: skip


def body_fits(b: dict, type_: str) -> bool:
    """The body's keys and findings follow the format page."""
    findings, sealed = b.get("findings"), b.get("sealed")
    keys = {"data", "date", "findings"} | ({"sealed"} if type_ in SEALS else set())
    if not {"data", "date", "findings"} <= b.keys() <= keys or not isinstance(findings, list):
        return False
    if "sealed" in b and not (
        isinstance(sealed, dict) and sealed.keys() == {"key", "fields"}
        and type(sealed["key"]) is str and ID.match(sealed["key"])
        and isinstance(sealed["fields"], dict) and sealed["fields"]
        and all(type(v) is str and v.startswith("st1:") for v in sealed["fields"].values())
    ):  # fmt: skip
        return False
    if not (isinstance(b["data"], dict) and type(b["date"]) is str
            and re.match(r"\d{4}-\d\d-\d\d\Z", b["date"])):  # fmt: skip
        return False
    if not all(isinstance(f, dict) and f.keys() == FINDING_KEYS
               and all(type(f[k]) is str for k in FINDING_KEYS - {"params"})
               and f["severity"] in ("block", "warn", "info") and isinstance(f["params"], dict)
               and all(type(v) is str for v in f["params"].values())
               for f in findings):  # fmt: skip
        return False
    blocks = sum(f["severity"] == "block" for f in findings)
    if (blocks > 0) != (type_ == "refused") or (type_ in PLAIN and findings):
        return False
    if type_ == "corrected":
        d = b["data"]
        return (d.keys() == {"seq", "reason"} and type(d["seq"]) is int
                and d["reason"] in ("mistyped", "duplicate", "wrong_stream", "wrong_party",
                                    "other"))  # fmt: skip
    if type_ == "escalated":
        return escalation_fits(b["data"])
    if type_ == "erased":
        return b["data"].keys() == {"basis"} and b["data"]["basis"] in ERASURE_BASES
    if type_ == "dismissed":
        d = b["data"]
        return (d.keys() == {"deadline", "reason"} and type(d["deadline"]) is str
                and d["reason"] in ("student_progressing", "arranged_otherwise",
                                    "not_applicable", "other"))  # fmt: skip
    return type_ != "migrated" or migration_fits(b["data"])


def escalation_fits(d: dict) -> bool:
    """A guidance gap: the deadline, when it was due, how it escalated, to whom."""
    extra = d.keys() - {"deadline", "due", "action", "role", "version"}
    return (d.keys() >= {"deadline", "due", "action", "role", "version"}
            and extra <= {"trigger", "programme"}
            and all(type(d[k]) is str for k in d)
            and bool(re.match(r"[A-Za-z0-9._:-]{1,512}\Z", d["deadline"]))
            and bool(TIME.match(d["due"])) and d["action"] in ("notify", "propose", "fire")
            and bool(re.match(r"[0-9a-f]{16}\Z", d["version"]))
            and ("trigger" in d) == (d["action"] != "notify")
            and all(ID.match(d[k]) for k in extra | {"role"}))  # fmt: skip


def migration_fits(d: dict) -> bool:
    """A migration's data: the versions before and after, the state mapping, a reason code."""
    return (d.keys() == {"from", "to", "mapping", "reason"}
            and all(type(d[k]) is str and HEX64.match(d[k]) for k in ("from", "to"))
            and d["from"] != d["to"] and type(d["reason"]) is str
            and isinstance(d["mapping"], dict)
            and all(type(v) is str for v in d["mapping"].values()))  # fmt: skip


def optional(row: dict, column: str) -> object:
    """A column of schema 7 on; before it, what the schema meant (no command id, no
    institution)."""
    return row.get(column, None if column == "command_id" else "")


def check_event(e: dict, prev: dict | None) -> str | None:
    """The first problem of event *e*, given the stream's previous event."""
    expected = 1 if prev is None else prev["seq"] + 1
    if type(e["seq"]) is not int or any(
        type(e[c]) is not str
        for c in (*COLUMNS.values(), "actor_id", "actor_role", "hash")
        if c != "seq"
    ):
        return "a column holds a value of the wrong type"
    if e["seq"] != expected:
        return f"expected seq {expected}, found seq {e['seq']}"
    if not isinstance(e["header"], bytes) or sha256(e["header"]) != e["hash"]:
        return "hash does not match the stored header bytes"
    header = canonical(e["header"])
    if header is None or not header_fits(header):
        return "not a version 1 or 2 header in canonical JSON"
    for key, column in COLUMNS.items():
        if header[key] != e[column]:
            return f"column {column} disagrees with the header"
    if header.get("command") != optional(e, "command_id"):
        return "column command_id disagrees with the header"
    if header.get("institution", "") != optional(e, "institution"):
        return "column institution disagrees with the header"
    if header["actor"] != {"id": e["actor_id"], "role": e["actor_role"]}:
        return "actor columns disagree with the header"
    if not isinstance(e["body"], bytes) or sha256(e["body"]) != e["body_hash"]:
        return "body is missing or does not match its hash"
    body = canonical(e["body"])
    if body is None or not body_fits(body, e["type"]):
        return "not a body in canonical JSON"
    if prev is None and (e["prev_hash"] != GENESIS or e["type"] != "opened"):
        return "the stream does not start with an 'opened' event on the genesis hash"
    if prev is not None and e["type"] == "opened":
        return "an 'opened' event after the first"
    if e["type"] == "imported" and (prev is None or prev["type"] != "opened"):
        return "an 'imported' event that does not follow the opening"
    if prev is not None and (e["prev_hash"], e["from_state"], e["lifecycle"],
                             optional(e, "institution")) != (
        prev["hash"], prev["to_state"], prev["lifecycle"], optional(prev, "institution")
    ):  # fmt: skip
        return "does not continue the previous event (prev, from_state, lifecycle, institution)"
    if prev is not None and e["type"] == "migrated":
        d = body["data"]
        if (d["from"], d["to"]) != (prev["definition"], e["definition"]):
            return "the migration's from and to are not the versions before and after it"
        if d["mapping"].get(e["from_state"], e["from_state"]) != e["to_state"]:
            return "the migration's to_state is not its mapping of from_state"
    elif prev is not None and e["definition"] != prev["definition"]:
        return "the definition version changes without a migration event"
    return None


def schema_row(row: sqlite3.Row, schema: int) -> dict:
    """A row as a dict; schema 7 on, its command_id and institution columns must be there
    (else the file cannot be read); before, they do not count."""
    found = dict(row)
    if schema >= 7:
        wanted = ("command_id", "institution") if "seq" in found else ("institution",)
        missing = [column for column in wanted if column not in found]
        if missing:
            raise sqlite3.DatabaseError(f"schema 7 without the column {missing[0]}")
    else:
        found.pop("command_id", None)
        found.pop("institution", None)
    return found


def correction_problem(e: dict, chain: list[dict]) -> str | None:
    """A correction names an earlier ``recorded`` event of its stream, not corrected before."""
    target = json.loads(e["body"])["data"].get("seq")
    earlier = [x for x in chain if x["seq"] == target and type(target) is int and target < e["seq"]]
    named = [json.loads(x["body"])["data"].get("seq") for x in chain
             if x["type"] == "corrected" and x["seq"] < e["seq"]]  # fmt: skip
    if not earlier or earlier[0]["type"] != "recorded" or target in named:
        return "a correction that names no earlier recorded event (or one corrected before)"
    return None


def digest_of(definition: dict) -> str:
    """A definition's digest: SHA-256 of its canonical JSON without the description."""
    stamped = {key: value for key, value in definition.items() if key != "description"}
    return sha256(json.dumps(stamped, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":")).encode("utf-8"))  # fmt: skip


def definition_problems(db: sqlite3.Connection) -> list[str]:
    """Each stored definition is canonical JSON that hashes to its digest and names its
    lifecycle (schema 4 on; none before)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'definitions'").fetchone():
        return []
    problems = []
    for row in db.execute("SELECT digest, lifecycle, data FROM definitions"):
        data = canonical(row["data"]) if isinstance(row["data"], bytes) else None
        if data is None or digest_of(data) != row["digest"] or data.get("name") != row["lifecycle"]:
            problems.append(f"definition {str(row['digest'])[:12]} does not hash to its digest")
    return problems


def verify(path: str) -> tuple[int, int, list[tuple[str, int, str]]]:
    """Return (streams, events, breaks): the first broken link of each broken stream (a
    stored definition that does not hash to its digest is a break of stream ``-``)."""
    # Write nothing beside the file: without a -wal, the file alone is the database.
    mode = "ro" if Path(f"{path}-wal").exists() else "ro&immutable=1"
    with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode={mode}", uri=True)) as db:
        db.row_factory = sqlite3.Row
        schema = db.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= schema <= 12:
            raise sqlite3.DatabaseError("not a stageborging database of schema version 1 to 12")
        heads = {
            str(row["id"]): schema_row(row, schema) for row in db.execute("SELECT * FROM streams")
        }
        rows = db.execute("SELECT * FROM events ORDER BY stream_id, seq")
        events = [schema_row(row, schema) for row in rows]
        stored = definition_problems(db)
    streams: dict[object, list[dict]] = {}
    for event in events:
        streams.setdefault(event["stream_id"], []).append(event)
    breaks = [
        (sid, 1, "projection row without events") for sid in heads.keys() - set(map(str, streams))
    ] + [("-", 0, problem) for problem in stored]
    for stream_id, chain in streams.items():
        sid = str(stream_id)  # a tampered row may hold a number
        commands: set[object] = set()
        for prev, event in zip([None, *chain], chain, strict=False):
            problem = check_event(event, prev)
            command = optional(event, "command_id")
            if problem is None and command is not None and command in commands:
                problem = "a command id names a second event on the stream"  # one per stream
            commands.add(command)
            if problem is None and event["type"] == "corrected":
                problem = correction_problem(event, chain)
            if problem:
                breaks.append((sid, 1 if prev is None else prev["seq"] + 1, problem))
                break
        else:  # the whole chain holds: the projection row must agree with its last event
            last, head = chain[-1], heads.get(sid)
            if head is None:
                breaks.append((sid, 1, "events without a projection row"))
            elif any(type(head[c]) is not (int if c == "version" else str) for c in head):
                breaks.append((sid, last["seq"], "a projection column of the wrong type"))
            elif head["version"] != last["seq"]:
                breaks.append((sid, max(head["version"], last["seq"]), "projection version"))
            elif (head["head_hash"], head["state"], head["definition"], head["lifecycle"],
                  head["opened_at"], head["updated_at"], optional(head, "institution")) != (
                last["hash"], last["to_state"], last["definition"], last["lifecycle"],
                chain[0]["occurred_at"], last["occurred_at"], optional(chain[0], "institution")
            ):  # fmt: skip
                breaks.append((sid, last["seq"], "projection disagrees with the last event"))
    return len(heads.keys() | set(map(str, streams))), len(events), sorted(breaks)


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
    except (sqlite3.Error, IndexError, KeyError) as error:  # Index/KeyError: a column is missing
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
