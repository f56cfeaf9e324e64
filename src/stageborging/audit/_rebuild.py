"""The quick check of a well-formed event: its header rebuilt from its own columns.

Nearly every stored event is exactly what the library sealed. For such an event,
the canonical header text rebuilt from its columns is found around the stored
header's plugin list: that shows at once that the header is canonical JSON of
the format's keys and that every column agrees with it, without parsing the
header. The values the rebuild cannot vouch for (a time, a digest, a role) are
then checked one by one, and the body is decoded and found canonical.

The quick check only ever says "fine" or "look closer": whatever it does not
accept goes to the full check (:func:`._verify._check_event`), which names what
is wrong. It must never accept what the full check refuses; the test suite
compares the two on every kind of tampering.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ..core import IDENTIFIER, canonical_bytes
from ..lifecycles import IMPORT_ROLES
from ._chain import GENESIS, SealedEvent, header_around_plugins
from ._format import (
    EVENT_TYPES,
    HEX64,
    MOVES,
    NAMES,
    PLAIN,
    ROLES,
    TIME,
    decode_canonical,
    no_float,
)

__all__ = ["QuickCheck"]

#: The Python types of a well-formed row's columns, in :class:`SealedEvent` order
#: (the command id may be absent).
_ROW_TYPES = frozenset(
    (str, int, str, str, str, str, str, str, str, str, str, bytes, bytes, str, str, str, command,
     str)
    for command in (str, type(None))
)  # fmt: skip
#: A run of digits long enough to be an integer outside the canonical subset: such a body
#: (and one that is not ASCII, whose keys might not be) is decoded by the full decoder,
#: which checks every key and integer.
_LONG_DIGITS = re.compile(rb"\d{16}")
#: Decodes an ASCII body that has no long integers: its keys are ASCII and its integers
#: within the subset, so only floats and constants need a hook (met only when present).
_ASCII_DECODER = json.JSONDecoder(parse_float=no_float, parse_constant=no_float)
#: How many distinct plugin lists one check remembers (a log has a handful).
_PLUGIN_LISTS = 1024


class QuickCheck:
    """The quick check of events, remembering the plugin lists it has judged."""

    def __init__(self) -> None:
        #: plugin list bytes (between the brackets) -> whether any plugin is named, or
        #: None when the list breaks the format
        self._plugins: dict[bytes, bool | None] = {}
        #: digests already found to be SHA-256 hex (definitions, the last event's hash)
        self._digests: set[str] = {GENESIS}
        self._last = GENESIS

    def body(self, event: SealedEvent, expected_seq: int) -> dict[str, Any] | None:
        """The decoded body of *event* if it passes the quick check at *expected_seq*,
        else None (the full check must judge it)."""
        if tuple(map(type, event)) not in _ROW_TYPES or event.seq != expected_seq:
            return None
        header = event.header
        if hashlib.sha256(header).hexdigest() != event.hash:
            return None
        try:
            head, tail = header_around_plugins(
                *event[:11], event.body_hash, event.prev_hash, event.command_id, event.institution
            )
            before, after = head.encode(), tail.encode()
        except UnicodeEncodeError:  # a lone surrogate in a column
            return None
        if not (
            len(header) >= len(before) + len(after)
            and header.startswith(before)
            and header.endswith(after)
        ):
            return None
        named = self._named_plugins(header[len(before) : len(header) - len(after)])
        body = event.body
        assert body is not None  # the row types say bytes
        # the body's hash is a hexdigest here, so a digest; so is the last event's hash
        if named is None or hashlib.sha256(body).hexdigest() != event.body_hash:
            return None
        digests = self._digests
        if event.definition not in digests:
            if HEX64.match(event.definition) is None:
                return None
            digests.add(event.definition)
        if event.prev_hash != self._last and HEX64.match(event.prev_hash) is None:
            return None
        if not _values_fit(event, named):
            return None
        value = _decoded(body)
        if value is not None:
            self._last = event.hash
        return value

    def _named_plugins(self, listed: bytes) -> bool | None:
        """Whether the plugin list *listed* names any plugin, or None if it breaks the format."""
        if listed in self._plugins:
            return self._plugins[listed]
        value, problem = decode_canonical(b'{"plugins":[' + listed + b"]}", "plugins")
        # one key only: the list's bytes may close it and open another key ('],"pm":[')
        plugins = None if problem is not None or len(value) != 1 else value["plugins"]
        named: bool | None = None
        if isinstance(plugins, list) and all(
            type(p) is list and len(p) == 2 and type(p[0]) is str and type(p[1]) is str
            for p in plugins
        ):
            names = [p[0] for p in plugins]
            named = bool(names) if names == sorted(set(names)) else None
        if len(self._plugins) < _PLUGIN_LISTS:
            self._plugins[listed] = named
        return named


def _values_fit(event: SealedEvent, named: bool) -> bool:
    """Whether the values of a header rebuilt from *event*'s columns fit the format (its
    digests checked apart)."""
    kind, role = event.type, event.actor_role
    return (
        kind in EVENT_TYPES
        and TIME.match(event.occurred_at) is not None
        and (event.command_id is None or IDENTIFIER.fullmatch(event.command_id) is not None)
        and (not event.institution or IDENTIFIER.fullmatch(event.institution) is not None)
        and not (named and kind in PLAIN)
        and NAMES.get(kind, event.name) == event.name
        and role in ROLES
        and (kind != "imported" or role in IMPORT_ROLES)
        and (kind != "escalated" or role == "system")
        and (kind in MOVES or event.from_state == event.to_state)
    )


def _decoded(raw: bytes) -> dict[str, Any] | None:
    """The value of the body *raw* if it is a canonical JSON object, else None."""
    if not raw.isascii() or _LONG_DIGITS.search(raw) is not None:
        value, problem = decode_canonical(raw, "body")
        return None if problem is not None else value
    try:
        value = _ASCII_DECODER.decode(raw.decode("ascii"))
    except (ValueError, RecursionError):
        return None
    if type(value) is not dict or canonical_bytes(value) != raw:
        return None
    return value
