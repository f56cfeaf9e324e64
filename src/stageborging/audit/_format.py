"""The event format's rules for one stored header and one stored body, read alone.

What :doc:`the audit format <audit-format>` requires of each event by itself: canonical
JSON in its subset, a header of exactly the format's keys and value kinds, a body of
data, date and findings with the data each built-in event type carries. What an event
must be in its stream (the chain, the states, the definition version) is judged in
:mod:`._verify`.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from ..core import (
    ACTIONS,
    DISMISS_REASONS,
    ERASURE_BASES,
    IDENTIFIER,
    MAX_INT,
    Role,
    canonical_bytes,
)
from ..lifecycles import CORRECTION_REASONS, IMPORT_ROLES, SEALED_PREFIX
from ._chain import HEADER_VERSION, SealedEvent

__all__ = [
    "COLUMNS",
    "EVENT_TYPES",
    "HEX64",
    "MOVES",
    "NAMES",
    "PLAIN",
    "ROLES",
    "TEXT_COLUMNS",
    "TIME",
    "body_problem",
    "decode_canonical",
    "header_problem",
    "no_float",
]

#: header key -> SealedEvent attribute it must equal
COLUMNS = (
    ("stream", "stream_id"),
    ("seq", "seq"),
    ("type", "type"),
    ("name", "name"),
    ("time", "occurred_at"),
    ("from", "from_state"),
    ("to", "to_state"),
    ("lifecycle", "lifecycle"),
    ("definition", "definition"),
    ("body_hash", "body_hash"),
    ("prev", "prev_hash"),
)
#: Every key of a version 1 header, each exactly once.
_HEADER_KEYS = frozenset({*(key for key, _ in COLUMNS), "v", "actor", "plugins"})
#: The keys a version 2 header may add: each, when present, an identifier.
_OPTIONAL_KEYS = frozenset({"command", "institution"})
_BODY_KEYS = frozenset({"data", "date", "findings"})
#: A body with sealed fields has them apart from its data, with their key id.
_SEALED_BODY_KEYS = _BODY_KEYS | {"sealed"}
#: The event types that may carry sealed fields: a command's own data.
_SEALS = frozenset({"opened", "transitioned", "recorded", "noted"})
_FINDING_KEYS = frozenset({"code", "severity", "message", "message_nl", "source", "params"})
EVENT_TYPES = frozenset(
    {"opened", "transitioned", "recorded", "refused", "migrated", "imported", "corrected",
     "escalated", "dismissed", "noted", "erased"}
)  # fmt: skip
#: The keys of an escalation's data: each required but trigger (with propose and fire
#: only) and programme (the stream's, when it has one).
_ESCALATION_KEYS = frozenset({"deadline", "due", "action", "role", "version"})
_ESCALATION_OPTIONAL = frozenset({"trigger", "programme"})
_DEADLINE_KEY = re.compile(r"[A-Za-z0-9._:-]{1,512}\Z")
_HEX16 = re.compile(r"[0-9a-f]{16}\Z")
_MIGRATION_KEYS = frozenset({"from", "to", "mapping", "reason"})
ROLES = frozenset(r.value for r in Role)
#: The event types that may change the state.
MOVES = frozenset({"transitioned", "migrated", "imported"})
#: The event types no plugin takes part in, and that carry no findings.
PLAIN = frozenset(
    {"opened", "migrated", "imported", "corrected", "escalated", "dismissed", "noted", "erased"}
)
#: The name each built-in command's events carry.
NAMES = {"migrated": "migrate", "imported": "import", "corrected": "correct"}
_SEVERITIES = frozenset({"block", "warn", "info"})
TEXT_COLUMNS = tuple(
    f for f in SealedEvent._fields if f not in ("seq", "header", "body", "command_id")
)
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def no_float(text: str) -> NoReturn:
    raise ValueError(f"{text} is not a canonical integer")  # floats, NaN, Infinity


def _int53(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_INT:
        raise ValueError("an integer outside ±(2**53 - 1)")
    return value


def _ascii_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for key, _ in pairs:
        if not key.isascii():
            raise ValueError("a key that is not ASCII")
    return dict(pairs)  # a repeated key leaves bytes that no longer re-encode the same


#: Parses the canonical subset only (made once: a decoder per call costs more than the parse).
_DECODER = json.JSONDecoder(
    parse_float=no_float, parse_constant=no_float, parse_int=_int53, object_pairs_hook=_ascii_keys
)


def decode_canonical(raw: bytes, what: str) -> tuple[Any, str | None]:
    """The JSON value of *raw*, or the reason it is not canonical JSON.

    The subset is checked as the bytes are parsed (no floats, integers within
    ±(2**53 - 1), ASCII keys), then the value must encode back to the very bytes.
    """
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
        if not isinstance(value, dict):
            return None, f"{what} is not a JSON object"
        if canonical_bytes(value) != raw:
            return None, f"{what} is not canonical JSON"
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):  # a hostile database
        return None, f"{what} is not valid canonical JSON"
    return value, None


def header_problem(header: dict[str, Any]) -> str | None:
    """What is wrong with a decoded header, by the rules of the format, or None."""
    keys = header.keys()
    if not _HEADER_KEYS <= keys <= _HEADER_KEYS | _OPTIONAL_KEYS:
        return "header keys are not exactly those of the format"
    if type(header["v"]) is not int or header["v"] not in range(1, HEADER_VERSION + 1):
        return "header is not a version 1 or 2 event header"
    if header["v"] == 1 and keys & _OPTIONAL_KEYS:
        return "a version 1 header has a command or institution key"
    for key in sorted(keys & _OPTIONAL_KEYS):
        if type(header[key]) is not str or not IDENTIFIER.fullmatch(header[key]):
            return f"header {key} is not an identifier"
    if type(header["seq"]) is not int:
        return "header seq is not an integer"
    for key in ("stream", "type", "name", "time", "from", "to", "lifecycle", "definition",
                "body_hash", "prev"):  # fmt: skip
        if type(header[key]) is not str:
            return f"header {key} is not a string"
    if header["type"] not in EVENT_TYPES:
        return f"header type {header['type']!r} is not an event type"
    if not TIME.match(header["time"]):
        return "header time is not YYYY-MM-DDTHH:MM:SS.ffffffZ"
    for key in ("definition", "body_hash", "prev"):
        if not HEX64.match(header[key]):
            return f"header {key} is not a lowercase SHA-256 hex digest"
    actor = header["actor"]
    if (
        not isinstance(actor, dict)
        or actor.keys() != {"id", "role"}
        or not all(type(v) is str for v in actor.values())
    ):
        return 'header actor is not {"id": …, "role": …}'
    plugins = header["plugins"]
    if not isinstance(plugins, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(type(part) is str for part in p)
        for p in plugins
    ):
        return "header plugins is not a list of [name, version] pairs"
    names = [p[0] for p in plugins]
    if names != sorted(set(names)):
        return "header plugins are not sorted by name, each once"
    if plugins and header["type"] in PLAIN:
        return f"{_article(header['type'])} {header['type']} event names plugins"
    named = NAMES.get(header["type"])
    if named is not None and header["name"] != named:
        return f"{_article(header['type'])} {header['type']} event is not named {named!r}"
    if header["actor"]["role"] not in ROLES:
        return f"header actor role {header['actor']['role']!r} is not a role"
    if header["type"] == "imported" and header["actor"]["role"] not in IMPORT_ROLES:
        return f"role {header['actor']['role']!r} may not import"
    if header["type"] == "escalated" and header["actor"]["role"] != "system":
        return "an escalated event is not recorded by the system actor"
    if header["type"] not in MOVES and header["from"] != header["to"]:
        return f"a {header['type']} event changes the state"
    return None


def _article(type_: str) -> str:
    return "an" if type_[0] in "aeiou" else "a"


def body_problem(body: dict[str, Any], type_: str) -> str | None:
    """What is wrong with a decoded body, by the rules of the format, or None."""
    if body.keys() != _BODY_KEYS and (body.keys() != _SEALED_BODY_KEYS or type_ not in _SEALS):
        return "body keys are not data, date and findings (and sealed, for a command's own)"
    if "sealed" in body:
        problem = _sealed_problem(body["sealed"])
        if problem is not None:
            return problem
    if not isinstance(body["data"], dict):
        return "body data is not an object"
    if type(body["date"]) is not str or not _DATE.match(body["date"]):
        return "body date is not YYYY-MM-DD"
    findings = body["findings"]
    if not isinstance(findings, list) or not all(
        isinstance(f, dict)
        and f.keys() == _FINDING_KEYS
        and all(type(f[k]) is str for k in _FINDING_KEYS - {"params"})
        and f["severity"] in _SEVERITIES
        and isinstance(f["params"], dict)
        and all(type(v) is str for v in f["params"].values())
        for f in findings
    ):
        return "body findings are not findings"
    blocks = sum(f["severity"] == "block" for f in findings)
    if type_ == "refused" and not blocks:
        return "a refused event has no blocking finding"
    if type_ != "refused" and blocks:
        return f"a {type_} event has a blocking finding"
    if type_ in PLAIN and findings:
        return f"{_article(type_)} {type_} event has findings"
    if type_ == "migrated":
        return _migration_problem(body["data"])
    if type_ == "escalated":
        return _escalation_problem(body["data"])
    if type_ == "dismissed":
        data = body["data"]
        if data.keys() != {"deadline", "reason"}:
            return "dismissal data keys are not deadline and reason"
        if type(data["deadline"]) is not str or not _DEADLINE_KEY.match(data["deadline"]):
            return "dismissal deadline is not a deadline key"
        if data["reason"] not in DISMISS_REASONS:
            return "dismissal reason is not a dismissal reason"
    if type_ == "erased" and (
        body["data"].keys() != {"basis"} or body["data"]["basis"] not in ERASURE_BASES
    ):
        return "erasure data is not a basis code"
    if type_ == "corrected":
        data = body["data"]
        if data.keys() != {"seq", "reason"}:
            return "correction data keys are not seq and reason"
        if type(data["seq"]) is not int:
            return "correction seq is not an integer"
        if data["reason"] not in CORRECTION_REASONS:
            return "correction reason is not a correction reason"
    return None


def _sealed_problem(sealed: object) -> str | None:
    """What is wrong with a body's sealed part, by the format, or None."""
    if not isinstance(sealed, dict) or sealed.keys() != {"key", "fields"}:
        return "body sealed part is not a key and fields"
    key, fields = sealed["key"], sealed["fields"]
    if type(key) is not str or not IDENTIFIER.fullmatch(key):
        return "body sealed key is not a key id"
    if not isinstance(fields, dict) or not fields:
        return "body sealed fields are not fields"
    for value in fields.values():
        if type(value) is not str or not value.startswith(SEALED_PREFIX):
            return "body sealed fields are not sealed texts"
    return None


def _escalation_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the data of an escalation (a guidance gap), or None."""
    keys = data.keys()
    if not _ESCALATION_KEYS <= keys <= _ESCALATION_KEYS | _ESCALATION_OPTIONAL:
        return "escalation data keys are not deadline, due, action, role and version"
    if type(data["deadline"]) is not str or not _DEADLINE_KEY.match(data["deadline"]):
        return "escalation deadline is not a deadline key"
    if type(data["due"]) is not str or not TIME.match(data["due"]):
        return "escalation due is not YYYY-MM-DDTHH:MM:SS.ffffffZ"
    if data["action"] not in ACTIONS:
        return "escalation action is not notify, propose or fire"
    if data["role"] not in ROLES:
        return "escalation role is not a role"
    if type(data["version"]) is not str or not _HEX16.match(data["version"]):
        return "escalation version is not a step version (16 hex digits)"
    if ("trigger" in keys) != (data["action"] != "notify"):
        return "an escalation names a trigger exactly when it proposes or fires one"
    for key in sorted(keys & _ESCALATION_OPTIONAL):
        if type(data[key]) is not str or not IDENTIFIER.fullmatch(data[key]):
            return f"escalation {key} is not an identifier"
    return None


def _migration_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the data of a migration, by the rules of the format, or None."""
    if data.keys() != _MIGRATION_KEYS:
        return "migration data keys are not from, to, mapping and reason"
    if not all(type(data[k]) is str and HEX64.match(data[k]) for k in ("from", "to")):
        return "migration from and to are not SHA-256 hex digests"
    if data["from"] == data["to"]:
        return "a migration to the version it comes from"
    mapping = data["mapping"]
    if not isinstance(mapping, dict) or not all(
        type(v) is str and IDENTIFIER.fullmatch(v) and IDENTIFIER.fullmatch(k)
        for k, v in mapping.items()
    ):
        return "migration mapping is not an object of state names"
    if type(data["reason"]) is not str or not IDENTIFIER.fullmatch(data["reason"]):
        return "migration reason is not a code"
    return None
