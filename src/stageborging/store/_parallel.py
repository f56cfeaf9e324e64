"""Verification in several processes: the streams split into ranges of stream ids, each
range verified in a process of its own, the parts made one report.

Each stream lies wholly in one range, so a range is verified like a whole log
(:func:`~stageborging.audit.verify_part`). The processes are spawned (the only start
method safe beside threads on every platform): a script that verifies with more
than one worker must start under ``if __name__ == "__main__":``, as every
``multiprocessing`` program does.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..audit import VerifyPart
from ..core import InvalidInput, StoreError
from ..lifecycles import LifecycleDefinition

__all__ = [
    "MAX_WORKERS",
    "PARALLEL_FROM",
    "Range",
    "only",
    "range_where",
    "ranges_of",
    "run_ranges",
    "worker_count",
]

#: Below this many events one process verifies sooner than it could start others.
PARALLEL_FROM = 200_000
#: The most worker processes one verification starts.
MAX_WORKERS = 64
#: How often (seconds) the waiting parent looks whether its workers still run.
_POLL = 0.2
#: How long the parent waits for the report of a worker that has ended.
_LAST_LOOK = 5.0

#: A range of stream ids: from *low* (None: from the first) to before *high* (None: to
#: the last).
Range = tuple[str | None, str | None]
#: Verifies one range in the calling process: (range, progress) -> its part and the
#: snapshot mark (what must be equal in every process for the parts to be of one log).
OwnRange = Callable[[Range, Callable[[int], None] | None], tuple[VerifyPart, object]]


def only(stream_id: str) -> Range:
    """The range of the one stream *stream_id* (an identifier: no id lies between it and
    it followed by the character 1, which no identifier holds)."""
    return (stream_id, stream_id + "\x01")


def range_where(
    column: str, span: Range, mark: str = "?", collate: str = "", nulls_first: bool = True
) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause of one range of stream ids (*mark*: the driver's placeholder;
    *collate*: what makes the comparison code point order). An id a tampered table holds
    that is NULL falls in the first range where NULL sorts first (SQLite, which also puts
    numbers before text and blobs after it), else in the last (PostgreSQL)."""
    low, high = span
    ordered = f"{column}{collate}"
    if low is None and high is None:
        return "", ()
    if low is None:
        null = f" OR {column} IS NULL" if nulls_first else ""
        return f" WHERE ({ordered} < {mark}{null})", (str(high),)
    if high is None:
        null = "" if nulls_first else f" OR {column} IS NULL"
        return f" WHERE ({ordered} >= {mark}{null})", (low,)
    return f" WHERE {ordered} >= {mark} AND {ordered} < {mark}", (low, high)


def worker_count(workers: object, events: int) -> int:
    """How many processes verify a log of about *events* events: *workers* (an int from
    1, or ``"auto"``: the CPUs this process may use, for a log of at least
    :data:`PARALLEL_FROM` events)."""
    if workers == "auto":
        if events < PARALLEL_FROM:
            return 1
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return max(1, min(MAX_WORKERS, len(usable) if usable else (os.cpu_count() or 1)))
    if type(workers) is not int or not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(
            "workers", workers, f'must be a whole number from 1 to {MAX_WORKERS} or "auto"'
        )
    return workers


def ranges_of(points: Iterable[object]) -> list[Range]:
    """The ranges between split *points* (stream ids in increasing order; one repeated, or
    one that is not text in a tampered table, starts no range)."""
    kept: list[str] = []
    for point in points:
        if isinstance(point, str) and (not kept or point > kept[-1]):
            kept.append(point)
    bounds: list[str | None] = [None, *kept, None]
    return list(itertools.pairwise(bounds))


def run_ranges(
    target: str,
    snapshot: str | None,
    ranges: Sequence[Range],
    definitions: Sequence[LifecycleDefinition],
    own: OwnRange,
    progress: Callable[[int], None] | None,
) -> list[tuple[VerifyPart, object]]:
    """Verify ``ranges[0]`` here (*own*) and every other range in a spawned process of
    its own that opens *target* read-only (in the database's exported *snapshot*, when it
    has one). Their parts and marks, in range order.

    Raises:
        StoreError: a worker could not verify its range, or stopped without a word.
    """
    context = multiprocessing.get_context("spawn")
    counts: Any = context.Array("q", len(ranges))  # events verified by each range so far
    results: Any = context.Queue()
    workers = [
        context.Process(
            target=verify_range,
            args=(target, snapshot, index, low, high, tuple(definitions), counts, results),
            daemon=True,
        )
        for index, (low, high) in enumerate(ranges)
        if index
    ]
    told = 0

    def tell(own_count: int) -> None:
        nonlocal told
        counts[0] = own_count
        total = int(sum(counts[:]))
        if progress is not None and total // 100_000 > told // 100_000:
            told = total
            progress(total - total % 100_000)

    try:
        for worker in workers:
            worker.start()
        found: dict[int, tuple[VerifyPart, object]] = {0: own(ranges[0], tell)}
        while len(found) < len(ranges):
            try:
                index, part, mark, failure = results.get(timeout=_POLL)
            except queue.Empty:
                tell(counts[0])
                lost = [i for i, w in enumerate(workers, 1) if i not in found and not w.is_alive()]
                if not lost:
                    continue
                try:  # a report put just before its worker ended may still be on its way
                    index, part, mark, failure = results.get(timeout=_LAST_LOOK)
                except queue.Empty:
                    raise StoreError(
                        "a verification worker stopped without its report (a script that "
                        'verifies with several workers must start under if __name__ == "__main__":)'
                    ) from None
            if failure is not None:
                raise StoreError(f"a verification worker failed: {failure}")
            found[index] = (part, mark)
            tell(counts[0])
        return [found[i] for i in range(len(ranges))]
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        results.close()


def verify_range(
    target: str,
    snapshot: str | None,
    index: int,
    low: str | None,
    high: str | None,
    definitions: tuple[LifecycleDefinition, ...],
    counts: Any,
    results: Any,
) -> None:
    """A worker's work: verify the range from *low* to before *high* of *target* and put
    ``(index, part, mark, None)`` on *results*, or ``(index, None, None, why)``."""
    from ._open import open_store  # here: the stores _open imports import this module

    def tell(n: int) -> None:
        counts[index] = n

    try:
        store = open_store(target, read_only=True)
        try:
            part, mark = store.verify_range((low, high), definitions, snapshot, tell)
        finally:
            store.close()
        results.put((index, part, mark, None))
    except Exception as exc:  # the parent raises it as a StoreError
        results.put((index, None, None, f"{type(exc).__name__}: {exc}"))
