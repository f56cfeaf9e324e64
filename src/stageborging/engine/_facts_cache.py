"""Parsed facts of the streams an engine touched last, valid while their head is unchanged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..lifecycles import freeze
from ..store import StreamRow

__all__ = ["FactsCache"]


class FactsCache:
    """Facts parsed once per stream version, and their read-only view for plugins.

    Entries are keyed by stream id and checked against the row's head hash, so a
    stream changed by another engine (process, host) is never served stale.
    Callers never mutate the facts they get (:func:`~._projection.apply` makes new
    ones).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: dict[str, tuple[str, dict[str, Any], Mapping[str, Any] | None]] = {}

    def facts(self, row: StreamRow) -> dict[str, Any]:
        """The row's facts, parsed from its JSON at most once per version."""
        cached = self._entries.get(row.id)
        if cached is not None and cached[0] == row.head_hash:
            return cached[1]
        facts: dict[str, Any] = json.loads(row.facts)
        self._put(row.id, row.head_hash, facts, None)
        return facts

    def frozen(self, row: StreamRow, facts: dict[str, Any]) -> Mapping[str, Any]:
        """A read-only view of *facts* (the row's), made at most once per version."""
        cached = self._entries.get(row.id)
        if cached is not None and cached[0] == row.head_hash and cached[2] is not None:
            return cached[2]
        view = freeze(facts)
        self._put(row.id, row.head_hash, facts, view)
        return view

    def advance(self, row: StreamRow, head: str, facts: dict[str, Any] | None) -> None:
        """The stream of *row* moved on to *head*; *facts* None means unchanged."""
        if facts is not None:
            self._put(row.id, head, facts, None)
            return
        cached = self._entries.get(row.id)
        if cached is not None and cached[0] == row.head_hash:
            self._put(row.id, head, cached[1], cached[2])

    def _put(
        self, stream_id: str, head: str, facts: dict[str, Any], view: Mapping[str, Any] | None
    ) -> None:
        if len(self._entries) >= self._size:
            self._entries.clear()  # crude but thread-safe under the GIL, and refills fast
        self._entries[stream_id] = (head, facts, view)
