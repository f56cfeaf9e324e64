"""``stageborging audit show``: one stream's timeline for people (read-only)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..core import Event, StreamNotFound, label
from ..engine import Engine
from ..store import StreamQuery, StreamRow
from ._engines import configured_engine
from ._options import db_option, plugin_options, printable

__all__ = ["case_facts", "deadlines_of", "linked", "show", "timeline_row"]

#: The column heads, per language.
_HEADS = {
    "en": ("seq", "when (UTC)", "who", "what", "from -> to", "details"),
    "nl": ("nr", "wanneer (UTC)", "wie", "wat", "van -> naar", "toelichting"),
}
_WORDS = {
    "en": {"deadlines": "Deadlines (UTC)", "employer": "Employer", "flags": "flags",
           "none": "none", "sealed": "sealed", "gap": "guidance gap", "refused": "refused",
           "cases": "Linked cases", "internship": "Internship", "broken": "WARNING",
           "internships": "Internships at this employer",
           "unverified": "this stream does not verify ({problem}): what follows is what "
                         "the database holds, not necessarily what was recorded; run "
                         "audit verify"},
    "nl": {"deadlines": "Termijnen (UTC)", "employer": "Leerbedrijf", "flags": "signaleringen",
           "none": "geen", "sealed": "versleuteld", "gap": "begeleidingsgat",
           "refused": "geweigerd", "cases": "Gekoppelde meldingen", "internship": "Stage",
           "internships": "Stages bij dit leerbedrijf",
           "broken": "WAARSCHUWING",
           "unverified": "deze stroom verifieert niet ({problem}): hieronder staat wat de "
                         "database bevat, niet per se wat is vastgelegd; voer audit verify "
                         "uit"},
}  # fmt: skip
#: How many case streams one page of the search for linked cases reads.
_PAGE = 500


def _details(event: Event, lang: str) -> str:
    """What an event says beyond its move: findings in the reader's language, a gap's
    step and escalation, the data's codes, the names of sealed fields (never their text)."""
    words = _WORDS[lang]
    parts: list[str] = []
    if event.type.value == "escalated":
        data = event.data
        key = str(data.get("deadline", ""))  # STREAM:STEP:SINCE:OCCURRENCE
        step = key.removeprefix(f"{event.stream_id}:").split(":")[0]
        parts.append(f"{words['gap']}: {step} ({data.get('action', '')})")
    elif event.data:
        shown = {k: v for k, v in event.data.items() if isinstance(v, (str, int, bool))}
        if shown:
            parts.append(", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    for finding in event.findings:
        message = finding.message_nl if lang == "nl" and finding.message_nl else finding.message
        severity = _named("severity", finding.severity.value, lang)
        parts.append(f"[{severity}] {finding.code}: {message}")
    if event.sealed:
        parts.append(f"{words['sealed']}: {', '.join(sorted(event.sealed))}")
    return "; ".join(parts)


def timeline_row(event: Event, lang: str) -> dict[str, Any]:
    """One event as a row of a timeline: codes for tools, labels in *lang* for people."""
    role, kind = event.actor.role.value, event.type.value
    return {
        "seq": event.seq,
        "when": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "who": f"{role}:{event.actor.id}",
        "role": role,
        "actor": event.actor.id,
        "type": kind,
        "name": event.name,
        "what": f"{kind} {event.name}",
        "from": event.from_state,
        "to": event.to_state,
        "details": _details(event, lang),
        "labels": {
            "role": label("role", role, lang),
            "type": label("type", kind, lang),
            "from": label("state", event.from_state, lang),
            "to": label("state", event.to_state, lang),
        },
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "message_nl": f.message_nl,
                "source": f.source,
                "params": dict(f.params),
            }
            for f in event.findings
        ],
        "sealed": sorted(event.sealed),
    }


def stream_check(engine: Engine, stream_id: str) -> str | None:
    """Why the stream does not verify (its first break), else None."""
    report = engine.verify(stream_id)
    if report.breaks:
        first = report.breaks[0]
        return f"seq {first.seq}: {first.problem}"
    return None if report.ok else "; ".join(report.problems)


def _employer(engine: Engine, employer: object) -> dict[str, Any] | None:
    if not isinstance(employer, str):
        return None
    try:
        record = engine.employer(employer)
    except StreamNotFound:
        return None
    flags = [{"flag": f.flag, "raised_on": f.raised_on, "active": f.active, "reason": f.reason}
             for f in record.flags]  # fmt: skip
    return {"employer": employer, "stream": record.stream_id, "state": record.state,
            "flags": flags}  # fmt: skip


def case_facts(engine: Engine) -> Iterator[tuple[StreamRow, dict[str, Any], dict[str, Any]]]:
    """Every case's projection row, its facts and its opening details (what it is
    about: ``internship``, ``employer``), page by page."""
    after = None
    while True:
        page = engine.store.streams(StreamQuery(lifecycle="case"), after, _PAGE)
        for row in page:
            facts = json.loads(row.facts)
            details = facts.get("details")
            yield row, facts, details if isinstance(details, dict) else {}
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _cases_of(engine: Engine, about: str, key: str = "internship") -> list[dict[str, Any]]:
    """The cases reported about the internship (*key*: or the employer) *about*: id,
    state and outcome (no case detail)."""
    return [{"case": row.id, "state": row.state, "outcome": facts.get("outcome")}
            for row, facts, details in case_facts(engine) if details.get(key) == about]  # fmt: skip


def linked(engine: Engine, stream_id: str, lifecycle: str, facts: dict[str, Any]) -> dict[str, Any]:
    """What a stream is linked to: an internship's employer (its flags) and the cases
    reported about it; a case's internship and employer; an employer's own flags, the
    cases about it and its internships (the first 500). Ids, states, flags and outcomes
    only: a case's text is sealed and never shown here."""
    if lifecycle == "case":
        details = facts.get("details")
        details = details if isinstance(details, dict) else {}
        return {"internship": details.get("internship"),
                "employer": _employer(engine, details.get("employer"))}  # fmt: skip
    if lifecycle == "employer":  # its stream is employer:ID
        employer = facts.get("employer", stream_id.removeprefix("employer:"))
        placed = [] if not isinstance(employer, str) else engine.store.streams(
            StreamQuery(employer=employer), None, _PAGE
        )  # fmt: skip
        return {"employer": _employer(engine, employer),
                "cases": [] if not isinstance(employer, str) else
                _cases_of(engine, employer, "employer"),
                "internships": [{"internship": r.id, "state": r.state} for r in placed
                                if r.lifecycle not in ("case", "employer")]}  # fmt: skip
    return {"employer": _employer(engine, facts.get("employer")),
            "cases": _cases_of(engine, stream_id)}  # fmt: skip


def deadlines_of(engine: Engine, stream_id: str) -> list[dict[str, Any]]:
    """Every deadline of the stream, open or closed: its step, due time, status and role."""
    rows = engine.store.deadlines(stream_id, open_only=False)
    return [{"step": d.step, "due_at": d.due_at, "status": d.status, "kind": d.kind,
             "role": d.role} for d in rows]  # fmt: skip


@click.command()
@db_option
@click.argument("stream_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table for people, or JSON for tools.")  # fmt: skip
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True,
              help="The language of the headings, labels and findings' messages.")  # fmt: skip
@plugin_options
def show(
    db: Path | str,
    stream_id: str,
    fmt: str,
    lang: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Show one internship's or case's timeline: when, who (role and pseudonymous id),
    what, from -> to, why a command was refused (its findings, in --lang), guidance
    gaps, the deadlines, the employer's flags and the cases linked to it.

    The stream is verified first: one that does not verify is shown all the same,
    under a warning (and "verified": false in the JSON), with exit status 1. Sealed
    fields (free text, a report's ground) are named, never shown: reading them is for
    the roles allowed, through the engine, and is logged. Read-only.
    """
    with configured_engine(db, block, config, read_only=True) as engine:
        stream = engine.stream(stream_id)
        problem = stream_check(engine, stream_id)
        events = [timeline_row(event, lang) for event in engine.history(stream_id)]
        deadlines = deadlines_of(engine, stream_id)
        links = linked(engine, stream_id, stream.lifecycle, dict(stream.facts))
    words = _WORDS[lang]
    warning = None if problem is None else (
        f"{words['broken']}: {words['unverified'].format(problem=problem)}"
    )  # fmt: skip
    if warning is not None:
        click.echo(warning, err=True)
    if fmt == "json":
        click.echo(json.dumps({"stream": {"id": stream.id, "lifecycle": stream.lifecycle,
                                          "state": stream.state, "version": stream.version},
                               "verified": problem is None, "problem": problem,
                               "events": events, "deadlines": deadlines, **links},
                              indent=2))  # fmt: skip
    else:
        if warning is not None:  # in the output too: a saved timeline keeps it
            click.echo(printable(warning))
        _table(stream.id, stream.lifecycle, stream.state, stream.version, events, lang)
        click.echo(f"\n{words['deadlines']}:")
        for deadline in deadlines:
            step = printable(deadline["step"])
            status = printable(_named("status", deadline["status"], lang))
            click.echo(f"  {step:32}  {deadline['due_at'][:19]:19}  {status}")
        if not deadlines:
            click.echo(f"  {words['none']}")
        _links(links, words, lang)
    if problem is not None:
        sys.exit(1)  # shown, but it does not verify: as audit verify says a break


def _named(kind: str, code: str, lang: str) -> str:
    """A code as the table shows it: itself in English (as the log and the JSON write
    it), its label in Dutch."""
    return code if lang == "en" else label(kind, code, lang)


def _table(
    sid: str, lifecycle: str, state: str, version: int, events: list[dict[str, Any]], lang: str
) -> None:
    """The timeline as a table (codes in English, labels in Dutch); each column as wide
    as its widest cell."""

    def named(kind: str, code: str) -> str:
        return _named(kind, code, lang)

    click.echo(f"{printable(sid)}  {lifecycle}  {named('state', state)}  (v{version})")
    rows = []
    for row in events:
        source, dest = named("state", row["from"]), named("state", row["to"])
        move = dest if row["from"] == row["to"] else f"{source} -> {dest}"
        who = f"{named('role', row['role'])}:{row['actor']}"
        name = named("lifecycle", row["name"]) if row["type"] == "opened" else row["name"]
        what = f"{named('type', row['type'])} {name}"
        rows.append((str(row["seq"]), row["when"][:19], printable(who), printable(what),
                     printable(move), printable(row["details"])))  # fmt: skip
    heads = _HEADS[lang]
    widths = [max([len(heads[i]), *(len(r[i]) for r in rows)]) for i in range(5)]
    for cells in (heads, *rows):
        padded = [cells[0].rjust(widths[0])]
        padded += [cell.ljust(width) for cell, width in zip(cells[1:5], widths[1:], strict=True)]
        click.echo("  ".join([*padded, cells[5]]).rstrip())


def _links(links: dict[str, Any], words: dict[str, str], lang: str) -> None:
    employer = links.get("employer")
    if employer is not None:
        flags = printable(", ".join(f"{_named('flag', f['flag'], lang)} ({f['raised_on']})"
                                    for f in employer["flags"]))  # fmt: skip
        name = printable(employer["employer"])
        state = printable(_named("state", employer["state"], lang))
        click.echo(f"\n{words['employer']}: {name} ({state}); "
                   f"{words['flags']}: {flags or words['none']}")  # fmt: skip
    if links.get("internship"):
        click.echo(f"\n{words['internship']}: {printable(links['internship'])}")
    if "cases" in links:
        cases = ", ".join(
            f"{c['case']} ({_named('state', c['state'], lang)}"
            f"{', ' + _named('outcome', c['outcome'], lang) if c['outcome'] else ''})"
            for c in links["cases"]
        )
        click.echo(f"\n{words['cases']}: {printable(cases) or words['none']}")
    if "internships" in links:
        placed = ", ".join(f"{i['internship']} ({_named('state', i['state'], lang)})"
                           for i in links["internships"])  # fmt: skip
        click.echo(f"\n{words['internships']}: {printable(placed) or words['none']}")
    sys.stdout.flush()
