"""The auditor's report: one self-contained HTML page (no script, no request, no asset
from elsewhere) with the verdict, the streams worth a look, each one's timeline and its
lifecycle drawn with the path it took. Pure: it is given what to show."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from html import escape
from typing import Any

from ..core import label
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
        "counts": "Streams that do not verify, then blocks, founded cases (and the internships "
        "they are about), refusals, watches and guidance gaps per stream, the gravest first; "
        "then the other cases",
        "deadlines": "Deadlines", "founded_case": "founded case about it",
        "at_blocked": "at a blocked employer",
        "notes": "notes", "does_not_verify": "does not verify", "block": "block",
        "outcome": "outcome", "chains": "chains intact; the checkpoint does not hold",
        "unverified": "This stream does not verify ({problem}): what is shown is what the "
        "database holds, not necessarily what was recorded.",
        "reasons": "Refusals and their reasons", "no_refusals": "No command was refused.",
        "guidance": "Guidance gaps and deadlines", "due": "due (UTC)", "status": "status",
        "step": "step", "role": "role", "no_deadlines": "No deadlines were set.",
        "escalated": "escalated", "linked": "Linked", "employer": "employer",
        "cases": "cases reported about it", "internship": "internship",
        "internships": "internships at this employer",
        "in_english": "",
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
        "counts": "Stromen die niet verifiëren, dan blokkades, gegronde meldingen (en de "
        "stages waarover ze gaan), weigeringen, aandachtssignaleringen en begeleidingsgaten "
        "per stroom, de ernstigste eerst; dan de andere meldingen",
        "deadlines": "Termijnen", "founded_case": "gegronde melding hierover",
        "at_blocked": "bij een geblokkeerd leerbedrijf",
        "notes": "opmerkingen", "does_not_verify": "verifieert niet", "block": "blokkade",
        "outcome": "uitkomst", "chains": "ketens intact; het controlepunt klopt niet",
        "unverified": "Deze stroom verifieert niet ({problem}): getoond wordt wat de database "
        "bevat, niet per se wat is vastgelegd.",
        "reasons": "Weigeringen en hun redenen", "no_refusals": "Geen opdracht is geweigerd.",
        "guidance": "Begeleidingsgaten en termijnen", "due": "uiterlijk (UTC)",
        "status": "stand", "step": "stap", "role": "rol",
        "no_deadlines": "Er zijn geen termijnen gezet.", "escalated": "geëscaleerd",
        "linked": "Gekoppeld", "employer": "leerbedrijf",
        "cases": "meldingen hierover", "internship": "stage",
        "internships": "stages bij dit leerbedrijf",
        "in_english": " (de meldingen van de verificatie zijn in het Engels)",
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
.diagram { border: 1px solid #e1e5ea; padding: .25rem; overflow-x: auto; }
.diagram svg { max-width: none; height: auto; }
th { overflow-wrap: normal; hyphens: auto; }
svg text { font: 13px system-ui, sans-serif; fill: #1a1a1a; }
td.when, td.who { white-space: nowrap; }
td.what, td.move { overflow-wrap: normal; }
.warning { border-left: 4px solid #a4000f; background: #fbe9e7; padding: .4rem .6rem; }
section.stream { border-top: 2px solid #c3ccd6; }
@media print { body { margin: 0; max-width: none; } section.stream { break-before: page; }
               a { color: inherit; } .diagram { overflow: visible; border: 0; }
               .diagram svg { width: 100%; height: auto; } }
"""


def _lines(event: Mapping[str, Any], lang: str) -> str:
    names = event.get("labels", {})
    source, dest = names.get("from", event["from"]), names.get("to", event["to"])
    move = dest if event["from"] == event["to"] else f"{source} → {dest}"
    refused = " refused" if event["what"].startswith("refused") else ""
    when = event["when"][:16].replace("T", " ")
    who = f"{names.get('role', event['who'])}: {event.get('actor', '')}".rstrip(": ")
    name = event.get("name", event["what"])
    if event.get("type") == "opened":
        name = label("lifecycle", name, lang)
    what = f"{names.get('type', '')} {name}".strip()
    cells = [f'<td class="{kind}{refused}">{escape(text)}</td>'
             for kind, text in (("when", when), ("who", who), ("what", what), ("move", move),
                                ("details", event["details"]))]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def _depths(definition: LifecycleDefinition) -> dict[str, int]:
    """Each state's distance in moves from the initial state (unreachable ones last)."""
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
    return depth


#: Pixels per character of a state's label, generously (13px system-ui).
_CHAR = 7.6
_BOX_H, _GAP_X, _GAP_Y, _MARGIN = 28, 36, 14, 44


def lifecycle_svg(
    definition: LifecycleDefinition,
    path: Sequence[str],
    current: str,
    words: Mapping[str, str],
    key: int = 0,
    lang: str = "en",
) -> str:
    """The lifecycle's states in columns by their distance from the initial one, named in
    *lang*, its transitions as arrows; the states of *path* filled, the *current* one
    outlined, the moves taken drawn bold. Moves to the next column are straight; longer
    ones run through the gaps between the columns and a lane above the boxes (forward) or
    below them (back), so that no arrow crosses a state. An inline SVG with a title;
    *key* keeps its ids apart from the page's other diagrams'."""
    depth = _depths(definition)
    names = {state: label("state", state, lang) for state in definition.states}
    columns: dict[int, list[str]] = {}
    for state in definition.states:
        columns.setdefault(depth[state], []).append(state)
    # each column as wide as its longest label
    widths = {c: max(72, int(max(len(names[s]) for s in states) * _CHAR) + 18)
              for c, states in columns.items()}  # fmt: skip
    starts, x = {}, 20
    for column in sorted(columns):
        starts[column], x = x, x + widths[column] + _GAP_X
    where = {state: (starts[column], _MARGIN + row * (_BOX_H + _GAP_Y), widths[column])
             for column, states in columns.items() for row, state in enumerate(states)}  # fmt: skip
    width = x - _GAP_X + 20
    bottom = _MARGIN + max(len(s) for s in columns.values()) * (_BOX_H + _GAP_Y)
    height = bottom + _MARGIN
    taken = set(itertools.pairwise(path))
    edges: list[str] = []
    lanes = {"up": 0, "down": 0}
    for t in definition.transitions:
        for source in t.sources:
            if source == t.dest or source not in where:
                continue
            (x1, y1, w1), (x2, y2, w2) = where[source], where[t.dest]
            c1, c2 = depth[source], depth[t.dest]
            mid1, mid2 = y1 + _BOX_H // 2, y2 + _BOX_H // 2
            if c2 == c1 + 1:  # the next column: straight across the gap
                points = [(x1 + w1, mid1), (x2, mid2)]
            elif c2 > c1:  # further on: up a gap, along a lane above, down a gap
                lane = 8 + 6 * (lanes["up"] % 5)
                lanes["up"] += 1
                out, into = x1 + w1 + _GAP_X // 3, x2 - _GAP_X // 3
                points = [(x1 + w1, mid1), (out, mid1), (out, lane), (into, lane),
                          (into, mid2), (x2, mid2)]  # fmt: skip
            elif c2 == c1:  # within a column: through the gap on its right
                out = x1 + w1 + _GAP_X // 2
                points = [(x1 + w1, mid1), (out, mid1), (out, mid2), (x2 + w2, mid2)]
            else:  # back: down a gap, along a lane below, up a gap
                lane = bottom + 8 + 6 * (lanes["down"] % 5)
                lanes["down"] += 1
                out, into = x1 - _GAP_X // 3, x2 + w2 + _GAP_X * 2 // 3
                points = [(x1, mid1), (out, mid1), (out, lane), (into, lane),
                          (into, mid2), (x2 + w2, mid2)]  # fmt: skip
            bold = (source, t.dest) in taken
            style = ('stroke="#0b3d91" stroke-width="3"' if bold
                     else 'stroke="#6b7785" stroke-width="1.5"')  # fmt: skip
            arrow = f"arrow-b-{key}" if bold else f"arrow-{key}"
            line = " ".join(f"{x},{y}" for x, y in points)
            edges.append(f'<polyline points="{line}" fill="none" {style} '
                         f'marker-end="url(#{arrow})"><title>{escape(t.trigger)}</title>'
                         "</polyline>")  # fmt: skip
    visited = set(path)
    boxes = []
    for state, (x, y, w) in where.items():
        fill = "#cfe3ff" if state in visited else "#ffffff"
        line = 'stroke="#0b3d91" stroke-width="3"' if state == current else 'stroke="#5f6b7a"'
        boxes.append(f'<rect x="{x}" y="{y}" width="{w}" height="{_BOX_H}" rx="6" '
                     f'fill="{fill}" {line}><title>{escape(state)}</title></rect>'
                     f'<text x="{x + 9}" y="{y + 19}">{escape(names[state])}</text>')  # fmt: skip
    described = escape(f"{words['current']}: {names.get(current, current)}; {words['visited']}: "
                       f"{', '.join(names.get(p, p) for p in path)}")  # fmt: skip
    markers = "".join(
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="{size}" '
        f'markerHeight="{size}" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
        for name, colour, size in ((f"arrow-{key}", "#6b7785", 11),
                                   (f"arrow-b-{key}", "#0b3d91", 13))
    )  # fmt: skip
    return (
        f'<div class="diagram"><svg role="img" aria-labelledby="t-{key}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<title id="t-{key}">{escape(definition.name)}: {described}</title>'
        f"<defs>{markers}</defs>{''.join(edges)}{''.join(boxes)}</svg></div>"
    )


def _table(caption: str, heads: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of escaped cells, with a caption and column heads."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)  # fmt: skip
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")  # fmt: skip


def _summary(summary: Mapping[str, Any], w: Mapping[str, str]) -> str:
    if summary["ok"]:
        verdict = f'<span class="ok">{w["intact"]}</span>'
    elif summary.get("chains_ok", False):  # only the checkpoint: said once, beside it
        verdict = f'<span class="bad">{w["broken"]}</span>: {w["chains"]}'
    else:
        verdict = f'<span class="bad">{w["broken"]}</span>{w["in_english"]}'
    breaks = "".join(f"<li>{escape(b)}</li>" for b in summary["breaks"])
    checkpoint = summary["checkpoint"]
    point = escape(checkpoint or w["no_checkpoint"])
    if checkpoint and not summary.get("checkpoint_ok", True):
        point = f'<span class="bad">{point}</span>'
    return (
        f"<h2>{w['summary']}</h2><ul><li>{summary['streams']} {w['streams']}, "
        f"{summary['events']} {w['events']}</li><li>{w['verdict']}: {verdict}"
        f"{f'<ul>{breaks}</ul>' if breaks else ''}</li><li>{w['checkpoint']}: {point}</li>"
        f"<li>{w['made']} {escape(summary['made_at'])}</li></ul>"
    )


def _attention(attention: Sequence[Mapping[str, Any]], hidden: int, w: Mapping[str, str],
               lang: str) -> str:  # fmt: skip
    heads = "".join(f'<th scope="col">{w[k]}</th>'
                    for k in ("stream", "state", "notes", "refusals", "gaps", "flags"))  # fmt: skip
    rows = []
    for a in attention:
        notes = []
        if a.get("broken"):
            notes.append(f'<span class="bad">{w["does_not_verify"]}</span>')
        if a.get("blocks"):
            notes.append(f"{w['block']} ×{a['blocks']}")
        if a.get("outcome"):
            notes.append(f"{w['outcome']}: {escape(label('outcome', a['outcome'], lang))}")
        if a.get("blocked_employer"):
            notes.append(w["at_blocked"])
        if a.get("founded_cases"):
            notes.append(f"{w['founded_case']} ×{a['founded_cases']}")
        state = "—" if a["state"] is None else escape(label("state", a["state"], lang))
        lifecycle = ("" if a["lifecycle"] is None
                     else f" ({escape(label('lifecycle', a['lifecycle'], lang))})")  # fmt: skip
        name = (f'<a href="#s-{escape(a["id"])}">{escape(a["id"])}</a>' if a["lifecycle"]
                else escape(a["id"]))  # fmt: skip
        rows.append(f"<tr><td>{name}{lifecycle}</td><td>{state}</td><td>{'; '.join(notes)}"
                    f"</td><td>{a['refusals']}</td><td>{a['gaps']}</td><td>{a['flags']}</td>"
                    "</tr>")  # fmt: skip
    more = f"<p>{w['more'].format(n=hidden)}</p>" if hidden else ""
    table = f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody>"
    return f"<h2>{w['attention']}</h2><table><caption>{w['counts']}</caption>{table}</table>{more}"


def _anchor(stream_id: str, shown: Collection[str]) -> str:
    """A stream's id, linked to its section where the page has one."""
    sid = escape(stream_id)
    return f'<a href="#s-{sid}">{sid}</a>' if stream_id in shown else sid


def _links(links: Mapping[str, Any], w: Mapping[str, str], lang: str,
           shown: Collection[str]) -> str:  # fmt: skip
    items = []
    employer = links.get("employer")
    if employer:
        flags = ", ".join(f"{label('flag', f['flag'], lang)} ({f['raised_on']})"
                          for f in employer["flags"])  # fmt: skip
        items.append(f"{w['employer']}: {escape(employer['employer'])} "
                     f"({escape(label('state', employer['state'], lang))}); {w['flags']}: "
                     f"{escape(flags or w['none'])}")  # fmt: skip
    if links.get("internship"):
        items.append(f"{w['internship']}: {_anchor(links['internship'], shown)}")
    if "cases" in links:
        cases = ", ".join(
            f"{_anchor(c['case'], shown)} ({escape(label('state', c['state'], lang))}"
            f"{'; ' + escape(label('outcome', c['outcome'], lang)) if c['outcome'] else ''})"
            for c in links["cases"]
        )
        items.append(f"{w['cases']}: {cases or w['none']}")
    if "internships" in links:
        placed = ", ".join(f"{_anchor(i['internship'], shown)} "
                           f"({escape(label('state', i['state'], lang))})"
                           for i in links["internships"])  # fmt: skip
        items.append(f"{w['internships']}: {placed or w['none']}")
    if not items:
        return ""
    return f"<h3>{w['linked']}</h3><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _stream_section(
    stream: Mapping[str, Any], w: Mapping[str, str], lang: str, shown: Collection[str]
) -> str:
    sid = escape(stream["id"])
    parts = [f'<section class="stream" id="s-{sid}"><h2>{w["stream"]} {sid}</h2>',
             f"<p>{escape(label('lifecycle', stream['lifecycle'], lang))} · {w['state']}: "
             f"<strong>{escape(label('state', stream['state'], lang))}</strong></p>"]  # fmt: skip
    if stream.get("problem"):
        warning = escape(w["unverified"].format(problem=stream["problem"]))
        parts.append(f'<p class="warning" role="note">{warning}</p>')
    parts.append(_links(stream.get("links", {}), w, lang, shown))
    key = (f'<p class="key"><span><i class="swatch"></i>{w["other"]}</span>'
           f'<span><i class="swatch visited"></i>{w["visited"]}</span>'
           f'<span><i class="swatch visited current"></i>{w["current"]}</span></p>')  # fmt: skip
    parts.append(f"<h3>{w['diagram']}</h3>{stream['svg']}{key}")
    refusals = stream.get("refusals", ())
    parts.append(f"<h3>{w['reasons']}</h3>")
    if refusals:
        parts.append("<ul>" + "".join(
            f"<li>{r['when'][:16].replace('T', ' ')} · {escape(r['name'])} (seq {r['seq']}): "
            f"{escape(' '.join(r['reasons']))}</li>" for r in refusals) + "</ul>")  # fmt: skip
    else:
        parts.append(f"<p>{w['no_refusals']}</p>")
    parts.append(f"<h3>{w['guidance']}</h3>")
    deadlines = stream.get("deadlines", ())
    if deadlines:
        parts.append(_table(w["deadlines"], (w["step"], w["due"], w["status"], w["role"]),
                            [(d["step"], d["due_at"][:16].replace("T", " "),
                              label("status", d["status"], lang), label("role", d["role"], lang))
                             for d in deadlines]))  # fmt: skip
    else:
        parts.append(f"<p>{w['no_deadlines']}</p>")
    gaps = stream.get("gaps", ())
    if gaps:
        parts.append("<ul>" + "".join(
            f"<li>{w['escalated']} {g['when'][:16].replace('T', ' ')} (seq {g['seq']}): "
            f"{escape(g['details'])}</li>" for g in gaps) + "</ul>")  # fmt: skip
    head = "".join(f'<th scope="col">{w[k]}</th>'
                   for k in ("when", "who", "what", "move", "details"))  # fmt: skip
    rows = "".join(_lines(event, lang) for event in stream["events"])
    parts.append(f"<table><caption>{w['timeline']} {sid}</caption><thead><tr>{head}</tr>"
                 f"</thead><tbody>{rows}</tbody></table></section>")  # fmt: skip
    return "".join(parts)


def report_html(
    summary: Mapping[str, Any],
    attention: Sequence[Mapping[str, Any]],
    hidden: int,
    streams: Sequence[Mapping[str, Any]],
    lang: str,
) -> str:
    """The page. *summary*: ``streams``, ``events``, ``ok``, ``chains_ok``, ``breaks``
    (texts), ``checkpoint`` (a text or None), ``checkpoint_ok`` and ``made_at``;
    *attention*: rows of ``id``, ``lifecycle``, ``state`` (None: unreadable), ``broken``,
    ``blocks``, ``outcome``, ``refusals``, ``gaps``, ``flags``; *hidden*: how many more
    there were; *streams*: each shown one's ``id``, ``lifecycle``, ``state``, ``events``
    (the timeline's rows), ``path`` (its states in order), ``svg``, and optionally
    ``problem`` (why it does not verify), ``links``, ``refusals`` (``seq``, ``when``,
    ``name``, ``reasons``), ``gaps`` and ``deadlines``."""
    w = WORDS[lang]
    body = [f"<h1>{w['title']}</h1>", _summary(summary, w)]
    if attention:
        body.append(_attention(attention, hidden, w, lang))
    shown = {stream["id"] for stream in streams}
    body.extend(_stream_section(stream, w, lang, shown) for stream in streams)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{w['title']}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
