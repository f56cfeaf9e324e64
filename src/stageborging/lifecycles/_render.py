"""Renderings of a lifecycle definition for people: a Mermaid diagram and tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._definition import LifecycleDefinition
    from ._fields import FieldSpec
    from ._model import Transition

__all__ = ["to_dot", "to_mermaid", "to_table"]


def to_mermaid(definition: LifecycleDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of *definition*; guards are shown in brackets."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}"]
    for t in definition.transitions:
        guards = f" [{', '.join(g.value for g in t.guards)}]" if t.guards else ""
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest}: {t.trigger}{guards}")
    lines.extend(f"    {state} --> [*]" for state in definition.final)
    return "\n".join(lines) + "\n"


def _dot_id(text: str) -> str:
    """*text* as a quoted DOT identifier."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(definition: LifecycleDefinition) -> str:
    """A Graphviz ``digraph`` of *definition*: final states drawn double, guards in brackets.

    For pictures rendered where the diagram is read without a script (the
    documentation draws it with Graphviz's ``dot`` at build time).
    """
    lines = [
        f"digraph {_dot_id(definition.name)} {{",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
        '    "__start__" [shape=point, width=0.15, label=""];',
    ]
    for state in definition.states:
        extra = ", peripheries=2" if state in definition.final else ""
        lines.append(f"    {_dot_id(state)} [label={_dot_id(state)}{extra}];")
    lines.append(f'    "__start__" -> {_dot_id(definition.initial)};')
    for t in definition.transitions:
        guards = f" [{', '.join(g.value for g in t.guards)}]" if t.guards else ""
        label = _dot_id(t.trigger + guards)
        for source in t.sources:
            lines.append(f"    {_dot_id(source)} -> {_dot_id(t.dest)} [label={label}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _columns(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """*rows* under *header* in aligned columns (the last one unpadded), with a rule."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    rule = (*("-" * w for w in widths), "-" * len(header[-1]))
    return [line(header), line(rule), *(line(row) for row in rows)]


def _fields(specs: tuple[FieldSpec, ...]) -> str:
    return "; ".join(spec.describe() for spec in specs) or "-"


def _names(values: tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values) or "-"


def to_table(definition: LifecycleDefinition) -> str:
    """Plain-text tables of everything a definition says.

    The transitions (from, to, roles, guards, effects, data), the facts (roles,
    effect, guards, the states they may be recorded in, data), the opening data
    and who may open, and the phases of states that are not phases themselves.
    """
    open_states = {s for s in definition.states if s not in definition.final}

    def sources(t: Transition) -> str:
        return "any non-final state" if set(t.sources) == open_states else ", ".join(t.sources)

    transitions = [
        (t.trigger, sources(t), t.dest, _names(t.roles), _names(t.guards), _names(t.effects),
         _fields(t.fields))
        for t in definition.transitions
    ]  # fmt: skip
    facts = [
        (f.name, _names(f.roles), str(f.effect), _names(f.guards),
         ", ".join(definition.fact_states(f)), _fields(f.fields))
        for f in definition.facts
    ]  # fmt: skip
    title = f"{definition.name} ({definition.kind}; {definition.description or 'custom'})"
    summary = (
        f"initial: {definition.initial}; final: {', '.join(definition.final)}; "
        f"digest: {definition.digest[:16]}"
    )
    parts = [title, summary, ""]
    parts += _columns(("trigger", "from", "to", "roles", "guards", "effects", "data"), transitions)
    if facts:
        parts += ["", "facts (recorded without a state change):"]
        parts += _columns(("fact", "roles", "effect", "guards", "states", "data"), facts)
    parts += [
        "",
        f"opened by: {_names(definition.open_roles)}",
        f"opening data: {_fields(definition.open_fields)}",
    ]
    mapped = [(s, p) for s, p in definition.phase_of.items() if s != p]
    if mapped:
        parts.append("phases: " + ", ".join(f"{s} = {p}" for s, p in mapped))
    return "\n".join(parts) + "\n"
