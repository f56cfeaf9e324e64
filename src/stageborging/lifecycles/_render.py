"""Renderings of a lifecycle definition for people: a Mermaid diagram and a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._definition import LifecycleDefinition
    from ._model import Transition

__all__ = ["to_mermaid", "to_table"]


def to_mermaid(definition: LifecycleDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of *definition*; guards are shown in brackets."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}"]
    for t in definition.transitions:
        guards = f" [{', '.join(g.value for g in t.guards)}]" if t.guards else ""
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest}: {t.trigger}{guards}")
    lines.extend(f"    {state} --> [*]" for state in definition.final)
    return "\n".join(lines) + "\n"


def to_table(definition: LifecycleDefinition) -> str:
    """A plain-text table: trigger, from, to, roles, guards and fields per transition."""
    header = ("trigger", "from", "to", "roles", "guards", "data")
    open_states = {s for s in definition.states if s not in definition.final}

    def sources(t: Transition) -> str:
        return "any non-final state" if set(t.sources) == open_states else ", ".join(t.sources)

    rows = [
        (
            t.trigger,
            sources(t),
            t.dest,
            ", ".join(str(r) for r in t.roles),
            ", ".join(g.value for g in t.guards) or "-",
            "; ".join(f.describe() for f in t.fields) or "-",
        )
        for t in definition.transitions
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    title = f"{definition.name} ({definition.kind}; {definition.description or 'custom'})"
    summary = (
        f"initial: {definition.initial}; final: {', '.join(definition.final)}; "
        f"digest: {definition.digest[:16]}"
    )
    facts = [
        f"  {f.name}: {', '.join(str(r) for r in f.roles)}"
        + (f" [{', '.join(g.value for g in f.guards)}]" if f.guards else "")
        for f in definition.facts
    ]
    parts = [title, summary, "", line(header), line((*("-" * w for w in widths), "----"))]
    parts.extend(line(row) for row in rows)
    if facts:
        parts.extend(["", "facts (recorded without a state change):", *facts])
    return "\n".join(parts) + "\n"
