"""Deeply read-only values: what records hold and what plugins are shown.

A record (a :class:`~stageborging.Stream`'s facts, an event's data, a finding's
params) never holds a dict or list that someone can change after the fact: the
log is what counts. :func:`freeze` turns the plain JSON-shaped values the library
builds into :class:`FrozenMap` and tuples, all the way down, so records can be
hashed and shared between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["FrozenMap", "freeze"]


class FrozenMap(dict[str, Any]):
    """A read-only, hashable mapping.

    A ``dict`` underneath, so that ``json`` encodes it like any mapping and reads
    cost what a dict's do; every method that would change it raises
    ``TypeError``. Its hash is that of its items, so its values must be hashable
    (:func:`freeze` makes them so). Like any read-only Python value it guards
    against mistakes, not against code that calls ``dict.__setitem__`` on it.
    """

    __slots__ = ("_hash",)

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("this mapping is read-only (a record's data never changes)")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._hash
        except AttributeError:
            self._hash: int = hash(frozenset(self.items()))
            return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Any]]]:
        return (FrozenMap, (dict(self),))


#: Values that are immutable already: returned as they are, without a call per leaf.
_LEAVES = frozenset({str, int, bool, float, type(None)})


def freeze(value: Any) -> Any:
    """*value* with every mapping a :class:`FrozenMap` and every list a tuple, recursively.

    Strings, numbers, booleans, ``None`` and other immutable values are returned as
    they are; so is a FrozenMap, which is frozen all the way down already.
    """
    kind = type(value)
    if kind is FrozenMap or kind in _LEAVES:
        return value
    if kind is dict or isinstance(value, Mapping):
        return FrozenMap({k: v if type(v) in _LEAVES else freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple([v if type(v) in _LEAVES else freeze(v) for v in value])
    if kind is set or kind is frozenset:
        return frozenset(freeze(item) for item in value)
    return value
