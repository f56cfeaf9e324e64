"""Parsed facts of the streams an engine touched last, valid while their head is unchanged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core import freeze
from ..store import StreamRow

__all__ = ["FactsCache"]


class _Entry(NamedTuple):
    """One stream's facts at one head: parsed, and their read-only view once asked for."""

    head: str
    facts: dict[str, Any]
    view: Mapping[str, Any] | None


class FactsCache:
    """Facts parsed once per stream version, and their read-only view for plugins.

    Entries are keyed by stream id and checked against the row's head hash, so a
    stream changed by another engine (process, host) is never served stale.
    Callers never mutate the facts they get (:func:`~stageborging.lifecycles.apply`
    makes new ones). Entries are replaced, never changed in place, so threads
    sharing an engine see whole entries.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: dict[str, _Entry] = {}

    def facts(self, row: StreamRow) -> dict[str, Any]:
        """The row's facts, parsed from its JSON at most once per version."""
        entry = self._entries.get(row.id)
        if entry is not None and entry.head == row.head_hash:
            return entry.facts
        facts: dict[str, Any] = json.loads(row.facts)
        self._put(row.id, _Entry(row.head_hash, facts, None))
        return facts

    def frozen(self, row: StreamRow, facts: dict[str, Any]) -> Mapping[str, Any]:
        """A read-only view of *facts* (the row's), made at most once per version."""
        entry = self._entries.get(row.id)
        if entry is not None and entry.head == row.head_hash and entry.view is not None:
            return entry.view
        view: Mapping[str, Any] = freeze(facts)
        self._put(row.id, _Entry(row.head_hash, facts, view))
        return view

    def advance(self, row: StreamRow, head: str, facts: dict[str, Any] | None) -> None:
        """The stream of *row* moved on to *head*; *facts* None means unchanged."""
        if facts is not None:
            self._put(row.id, _Entry(head, facts, None))
            return
        entry = self._entries.get(row.id)
        if entry is not None and entry.head == row.head_hash:
            self._put(row.id, _Entry(head, entry.facts, entry.view))

    def _put(self, stream_id: str, entry: _Entry) -> None:
        if len(self._entries) >= self._size:
            self._entries.clear()  # crude but thread-safe under the GIL, and refills fast
        self._entries[stream_id] = entry
