"""The auditor's report: one self-contained HTML page (no script, no request, no asset
from elsewhere) with the verdict, the streams worth a look, each one's timeline and its
lifecycle drawn with the path it took. Pure: it is given what to show."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ..lifecycles import LifecycleDefinition

__all__ = ["WORDS", "lifecycle_svg", "report_html"]

#: The page's words, per language.
WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Audit report", "summary": "Summary", "streams": "streams",
        "events": "events", "verdict": "Verification", "intact": "intact",
        "broken": "BROKEN", "checkpoint": "Checkpoint", "none": "none",
        "attention": "Streams worth a look", "refusals": "refusals", "gaps": "guidance gaps",
        "flags": "flags", "case": "case", "more": "and {n} more not shown",
        "timeline": "Timeline", "diagram": "Lifecycle: the path taken",
        "when": "when (UTC)", "who": "who", "what": "what", "move": "from → to",
        "details": "details", "state": "state", "made": "made at", "stream": "stream",
        "current": "current state", "visited": "state passed", "other": "not reached",
        "no_checkpoint": "no checkpoint given",
        "counts": "Refusals, flags and guidance gaps per stream, the gravest first; cases too",
    },
    "nl": {
        "title": "Auditrapport", "summary": "Samenvatting", "streams": "stromen",
        "events": "gebeurtenissen", "verdict": "Verificatie", "intact": "intact",
        "broken": "GEBROKEN", "checkpoint": "Controlepunt", "none": "geen",
        "attention": "Stromen om naar te kijken", "refusals": "weigeringen",
        "gaps": "begeleidingsgaten", "flags": "signaleringen", "case": "melding",
        "more": "en {n} meer, niet getoond", "timeline": "Tijdlijn",
        "diagram": "Levenscyclus: de afgelegde weg", "when": "wanneer (UTC)", "who": "wie",
        "what": "wat", "move": "van → naar", "details": "toelichting", "state": "status",
        "made": "gemaakt op", "stream": "stroom", "current": "huidige status",
        "visited": "doorlopen status", "other": "niet bereikt",
        "no_checkpoint": "geen controlepunt gegeven",
        "counts": "Weigeringen, signaleringen en begeleidingsgaten per stroom, de ernstigste "
        "eerst; ook meldingen",
    },
}  # fmt: skip

_CSS = """
:root { color: #1a1a1a; background: #fff; font: 15px/1.45 system-ui, sans-serif; }
body { max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #8a8a8a; padding: .25rem .45rem; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #e8eef5; }
td.refused { background: #fbe9e7; }
.ok { color: #0b6623; font-weight: 600; } .bad { color: #a4000f; font-weight: 600; }
.key span { display: inline-block; margin-right: 1.2rem; }
.swatch { display: inline-block; width: 1.6em; height: .9em; margin-right: .35em;
          vertical-align: middle; border: 1px solid #5f6b7a; border-radius: 3px; }
.swatch.visited { background: #cfe3ff; } .swatch.current { border: 3px solid #0b3d91; }
.diagram { border: 1px solid #e1e5ea; padding: .25rem; }
.diagram svg { width: 100%; height: auto; }
svg text { font: 13px system-ui, sans-serif; fill: #1a1a1a; }
td.when { white-space: nowrap; }
section.stream { border-top: 2px solid #c3ccd6; }
@media print { body { margin: 0; max-width: none; } section.stream { break-before: page; }
               a { color: inherit; } .diagram { overflow: visible; border: 0; }
               .diagram svg { width: 100%; height: auto; } }
"""


def _lines(event: Mapping[str, Any]) -> str:
    move = event["to"] if event["from"] == event["to"] else f"{event['from']} → {event['to']}"
    refused = " refused" if event["what"].startswith("refused") else ""
    when = event["when"][:16].replace("T", " ")
    cells = [f'<td class="when{refused}">{escape(when)}</td>']
    cells += [f'<td class="{refused.strip()}">{escape(str(c))}</td>'
              for c in (event["who"], event["what"], move, event["details"])]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def lifecycle_svg(
    definition: LifecycleDefinition,
    path: Sequence[str],
    current: str,
    words: Mapping[str, str],
    key: int = 0,
) -> str:
    """The lifecycle's states in columns by their distance from the initial one, its
    transitions as arrows; the states of *path* filled, the *current* one outlined, the
    moves taken drawn bold. An inline SVG with a title; *key* keeps its ids apart from the
    page's other diagrams'."""
    depth = {definition.initial: 0}
    frontier = [definition.initial]
    while frontier:
        nxt = []
        for state in frontier:
            for t in definition.transitions:
                if state in t.sources and t.dest not in depth:
                    depth[t.dest] = depth[state] + 1
                    nxt.append(t.dest)
        frontier = nxt
    for state in definition.states:
        depth.setdefault(state, max(depth.values(), default=0) + 1)
    columns: dict[int, list[str]] = {}
    for state in definition.states:
        columns.setdefault(depth[state], []).append(state)
    box_w, box_h, gap_x, gap_y = 124, 28, 22, 12
    where: dict[str, tuple[int, int]] = {}
    for column, states in columns.items():
        for row, state in enumerate(states):
            where[state] = (20 + column * (box_w + gap_x), 20 + row * (box_h + gap_y))
    width = 40 + (max(columns) + 1) * (box_w + gap_x)
    height = 40 + max(len(s) for s in columns.values()) * (box_h + gap_y)
    taken = set(itertools.pairwise(path))
    edges, boxes = [], []
    for t in definition.transitions:
        for source in t.sources:
            if source == t.dest or source not in where:
                continue
            (x1, y1), (x2, y2) = where[source], where[t.dest]
            bold = (source, t.dest) in taken
            start = (x1 + box_w, y1 + box_h // 2) if x2 > x1 else (x1, y1 + box_h // 2)
            end = (x2, y2 + box_h // 2) if x2 > x1 else (x2 + box_w, y2 + box_h // 2)
            style = 'stroke="#0b3d91" stroke-width="3"' if bold else 'stroke="#9aa5b1"'
            trigger = escape(t.trigger)
            edges.append(f'<line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" '
                         f'{style} marker-end="url(#arrow-{key})"><title>{trigger}</title>'
                         "</line>")  # fmt: skip
    visited = set(path)
    for state, (x, y) in where.items():
        fill = "#cfe3ff" if state in visited else "#ffffff"
        line = 'stroke="#0b3d91" stroke-width="3"' if state == current else 'stroke="#5f6b7a"'
        label = escape(state)
        boxes.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" '
                     f'fill="{fill}" {line}/>'
                     f'<text x="{x + 8}" y="{y + 19}">{label}</text>')  # fmt: skip
    described = escape(f"{words['current']}: {current}; {words['visited']}: "
                       f"{', '.join(path)}")  # fmt: skip
    return (
        f'<div class="diagram"><svg role="img" aria-labelledby="t-{key}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<title id="t-{key}">'
        f'{escape(definition.name)}: {described}</title><defs><marker id="arrow-{key}" '
        'viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6b7a"/>'
        f"</marker></defs>{''.join(edges)}{''.join(boxes)}</svg></div>"
    )


def report_html(
    summary: Mapping[str, Any],
    attention: Sequence[Mapping[str, Any]],
    hidden: int,
    streams: Sequence[Mapping[str, Any]],
    lang: str,
) -> str:
    """The page. *summary*: ``streams``, ``events``, ``ok``, ``breaks`` (texts),
    ``checkpoint`` (a text or None) and ``made_at``; *attention*: rows of ``id``,
    ``lifecycle``, ``state``, ``refusals``, ``gaps``, ``flags``; *hidden*: how many more
    there were; *streams*: each shown one's ``id``, ``lifecycle``, ``state``, ``events``
    (the timeline's rows), ``path`` (its states in order) and ``svg``."""
    w = WORDS[lang]
    verdict = (f'<span class="ok">{w["intact"]}</span>' if summary["ok"]
               else f'<span class="bad">{w["broken"]}</span>')  # fmt: skip
    breaks = "".join(f"<li>{escape(b)}</li>" for b in summary["breaks"])
    point = escape(summary["checkpoint"] or w["no_checkpoint"])
    body = [
        f"<h1>{w['title']}</h1>",
        f"<h2>{w['summary']}</h2><ul><li>{summary['streams']} {w['streams']}, "
        f"{summary['events']} {w['events']}</li><li>{w['verdict']}: {verdict}"
        f"{f'<ul>{breaks}</ul>' if breaks else ''}</li><li>{w['checkpoint']}: {point}</li>"
        f"<li>{w['made']} {escape(summary['made_at'])}</li></ul>",
    ]
    if attention:
        head = "".join(f'<th scope="col">{w[k]}</th>'
                       for k in ("stream", "state", "refusals", "gaps", "flags"))  # fmt: skip
        rows = "".join(
            f'<tr><td><a href="#s-{escape(a["id"])}">{escape(a["id"])}</a> '
            f"({escape(a['lifecycle'])})</td><td>{escape(a['state'])}</td>"
            f"<td>{a['refusals']}</td><td>{a['gaps']}</td><td>{a['flags']}</td></tr>"
            for a in attention
        )
        more = f"<p>{w['more'].format(n=hidden)}</p>" if hidden else ""
        table = f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
        body.append(f"<h2>{w['attention']}</h2><table><caption>{w['counts']}</caption>"
                    f"{table}</table>{more}")  # fmt: skip
    for stream in streams:
        head = "".join(f'<th scope="col">{w[k]}</th>'
                       for k in ("when", "who", "what", "move", "details"))  # fmt: skip
        rows = "".join(_lines(event) for event in stream["events"])
        body.append(
            f'<section class="stream" id="s-{escape(stream["id"])}">'
            f"<h2>{w['stream']} {escape(stream['id'])}</h2>"
            f"<p>{escape(stream['lifecycle'])} · {w['state']}: "
            f"<strong>{escape(stream['state'])}</strong></p>"
            f"<h3>{w['diagram']}</h3>{stream['svg']}"
            f'<p class="key"><span><i class="swatch"></i>{w["other"]}</span>'
            f'<span><i class="swatch visited"></i>{w["visited"]}</span>'
            f'<span><i class="swatch visited current"></i>{w["current"]}</span></p>'
            f"<table><caption>{w['timeline']} {escape(stream['id'])}</caption>"
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{w['title']}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
