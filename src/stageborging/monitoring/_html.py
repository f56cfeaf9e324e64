"""A release as one self-contained HTML page: no script, no external asset, no request;
the tables with their definitions and two charts drawn as inline SVG from the published
values only (a hidden cell is never drawn, so a chart cannot leak what a table hides)."""

from __future__ import annotations

from html import escape

from ._measures import BANDS, MEASURES, Release
from ._render import MARK, check_release, figure_text, scope_text
from ._tables import Cell, Table

__all__ = ["release_html"]

#: Colours with at least 4.5:1 contrast on white for text, and distinguishable bands.
_BAND_COLOURS = dict(zip(BANDS, ("#2f6f4f", "#8a6d00", "#b54708", "#a4161a"), strict=True))
_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { border-bottom: 2px solid #1d4e89; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { margin-bottom: .3rem; }
.meta { color: #404040; }
.summary { background: #eef3f9; border-left: 4px solid #1d4e89; padding: .6rem 1rem; }
table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border: 1px solid #9a9a9a; padding: .25rem .6rem; }
th { background: #e8e8e8; text-align: left; }
td.n { text-align: right; }
td.hidden { background: repeating-linear-gradient(45deg, #f4f4f4, #f4f4f4 4px, #e0e0e0 4px,
            #e0e0e0 8px); text-align: center; color: #404040; }
tr.total th, tr.total td { font-weight: 600; }
.scroll { overflow-x: auto; }
p.definition { color: #404040; max-width: 60rem; margin-top: .2rem; }
figure { margin: 1rem 0; }
figcaption { font-weight: 600; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: middle;
          margin-right: .3rem; border: 1px solid #1b1b1b; }
@media print { body { margin: 0; max-width: none; } h2 { break-before: auto; }
               table, figure { break-inside: avoid; } }
"""


def _cell(cell: Cell) -> str:
    if cell.published:
        return f'<td class="n">{cell.value}</td>'
    return f'<td class="hidden" title="suppressed">{escape(MARK)}</td>'


def _figure(value: float | None, kind: str) -> str:
    return f'<td class="n">{figure_text(value, kind, missing="–")}</td>'


def _caption(table: Table) -> str:
    if table.counts:
        return f"Counts of {table.unit}"
    return f"Figures of {table.unit} (their number is not published)"


def _table(table: Table) -> str:
    counts = [*table.columns, "total"] if table.counts else []
    labels = (" / ".join(table.dimensions), *counts, *(f.label for f in table.figures))
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in labels)
    body = []
    for row in (*table.rows, table.total):
        css = ' class="total"' if row is table.total else ""
        cells = "".join(map(_cell, row.cells)) if table.counts else ""
        figures = "".join(
            _figure(v, f.kind) for v, f in zip(row.figures, table.figures, strict=True)
        )
        body.append(
            f'<tr{css}><th scope="row">{escape(" / ".join(row.key))}</th>{cells}{figures}</tr>'
        )
    return (
        f'<section id="{table.name}"><h3>{escape(table.title)}</h3>'
        f'<div class="scroll"><table><caption>{escape(_caption(table))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f'<p class="definition">{escape(table.definition)}</p></section>'
    )


def _placement_chart(table: Table) -> str:
    """Quartiles of the working days to placement, one bar per published row."""
    rows = [(r.key, r.figures) for r in table.rows if all(v is not None for v in r.figures)]
    if not rows:
        return '<p class="meta">No group is large enough to chart its time to placement.</p>'
    high = max(f[2] or 0 for _, f in rows) or 1
    width, left, bar = 640, 220, 22
    height = bar * len(rows) + 40
    scale = (width - left - 20) / high
    parts = []
    for n, (key, (q1, median, q3)) in enumerate(rows):
        y = 10 + n * bar
        assert q1 is not None
        assert median is not None
        assert q3 is not None
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(" / ".join(key))}</text>'
            f'<rect class="box" x="{left + q1 * scale:.1f}" y="{y + 3}" '
            f'width="{max((q3 - q1) * scale, 2):.1f}" '
            f'height="{bar - 6}" fill="#9cc3e6" stroke="#1d4e89"/>'
            f'<line x1="{left + median * scale:.1f}" x2="{left + median * scale:.1f}" y1="{y + 1}" '
            f'y2="{y + bar - 1}" stroke="#1b1b1b" stroke-width="3"/>'
        )
    axis = height - 22
    parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{axis}" y2="{axis}" stroke="#404040"/>')
    for tick in range(0, int(high) + 1, max(1, int(high) // 5)):
        x = left + tick * scale
        parts.append(f'<text x="{x:.1f}" y="{axis + 16}" text-anchor="middle">{tick}</text>')
    return (
        "<figure><figcaption>Working days from searching to a confirmed place: the box runs from "
        "the first to the third quartile, the line is the median</figcaption>"
        f'<svg role="img" aria-labelledby="ttp-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" '
        f'height="{height}" font-size="12"><title id="ttp-title">Time to placement by row</title>'
        f"{''.join(parts)}</svg></figure>"
    )


def _without_chart(table: Table) -> str:
    """Students without a place by weeks before the start, stacked, per published row."""
    rows = [r for r in (*table.rows, table.total) if all(c.published for c in r.cells)]
    rows = [r for r in rows if r.cells[-1].value]
    if not rows:
        return (
            '<p class="meta">No group without a place can be charted without revealing a '
            "small count.</p>"
        )
    high = max(r.cells[-1].value or 0 for r in rows)
    width, left, bar = 640, 220, 22
    height = bar * len(rows) + 20
    scale = (width - left - 60) / high
    parts = []
    for n, row in enumerate(rows):
        y = 5 + n * bar
        x = float(left)
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">'
            f"{escape(' / '.join(row.key))}</text>"
        )
        for column, cell in zip(table.columns, row.cells, strict=False):
            if not cell.value:
                continue
            w = cell.value * scale
            colour = _BAND_COLOURS.get(column, "#595959")
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{bar - 6}" fill="{colour}">'
                f"<title>{escape(column)}: {cell.value}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{row.cells[-1].value}</text>')
    legend = "".join(
        f'<span><span class="swatch" style="background:{_BAND_COLOURS.get(c, "#595959")}">'
        f"</span>{escape(c)}</span>"
        for c in table.columns
    )
    return (
        "<figure><figcaption>Without a place, by weeks before the planned start</figcaption>"
        f'<svg role="img" aria-labelledby="wp-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" '
        f'height="{height}" font-size="12"><title id="wp-title">'
        "Without a place by weeks before start</title>"
        f'{"".join(parts)}</svg><p class="legend">{legend}</p></figure>'
    )


def release_html(release: Release) -> str:
    """The release as a self-contained HTML page."""
    settings = check_release(release).settings
    by_name = {t.name: t for t in release.tables}
    period = settings.period if settings.period.start or settings.period.end else "all"
    body = [
        "<header><h1>Safeguarding internships: monitoring</h1>",
        f'<p class="meta">The log as it stood at the end of {release.at}; institution: '
        f"{escape(scope_text(release.institution))}; planned starts: {escape(str(period))}; "
        f"study year {release.study_year.start} to {release.study_year.end}; generated "
        f"{release.generated_at:%Y-%m-%d %H:%M} UTC.</p>",
        f'<p class="summary">{release.hidden} cells are hidden (<strong>{escape(MARK)}'
        f"</strong>): every count from 1 to {settings.min_cell - 1}, and as many more as keep "
        "those from being recomputed from the rest. "
        "Zeros are shown. Figures derived from a "
        "hidden count (medians, shares) are not shown (–).</p></header><main>",
    ]
    for section, names in MEASURES.items():
        body.append(f"<section><h2>{escape(section)}</h2>")
        if section == "Time to placement":
            body.append(_placement_chart(by_name["time_to_placement"]))
        if section == "Without a place":
            body.append(_without_chart(by_name["without_place"]))
        body += [_table(by_name[name]) for name in names]
        body.append("</section>")
    body.append("</main>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Monitoring: safeguarding internships</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
