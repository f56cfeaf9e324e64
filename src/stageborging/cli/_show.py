"""``stageborging audit show``: one stream's timeline for people (read-only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..core import Event, StreamNotFound
from ..engine import Engine
from ._engines import configured_engine
from ._options import db_option, plugin_options, printable

__all__ = ["show", "timeline_row"]

#: The column heads, per language.
_HEADS = {
    "en": ("seq", "when (UTC)", "who", "what", "from -> to", "details"),
    "nl": ("nr", "wanneer (UTC)", "wie", "wat", "van -> naar", "toelichting"),
}
_WORDS = {
    "en": {"deadlines": "Deadlines", "employer": "Employer", "flags": "flags", "none": "none",
           "sealed": "sealed", "gap": "guidance gap", "refused": "refused"},
    "nl": {"deadlines": "Termijnen", "employer": "Leerbedrijf", "flags": "signaleringen",
           "none": "geen", "sealed": "versleuteld", "gap": "begeleidingsgat",
           "refused": "geweigerd"},
}  # fmt: skip


def _details(event: Event, lang: str) -> str:
    """What an event says beyond its move: findings in the reader's language, a gap's
    step and escalation, the data's codes, the names of sealed fields (never their text)."""
    words = _WORDS[lang]
    parts: list[str] = []
    if event.type.value == "escalated":
        data = event.data
        parts.append(f"{words['gap']}: {data.get('deadline', '')} ({data.get('action', '')})")
    elif event.data:
        shown = {k: v for k, v in event.data.items() if isinstance(v, (str, int, bool))}
        if shown:
            parts.append(", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    for finding in event.findings:
        message = finding.message_nl if lang == "nl" and finding.message_nl else finding.message
        parts.append(f"[{finding.severity.value}] {finding.code}: {message}")
    if event.sealed:
        parts.append(f"{words['sealed']}: {', '.join(sorted(event.sealed))}")
    return "; ".join(parts)


def timeline_row(event: Event, lang: str) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "when": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "who": f"{event.actor.role.value}:{event.actor.id}",
        "what": f"{event.type.value} {event.name}",
        "from": event.from_state,
        "to": event.to_state,
        "details": _details(event, lang),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "message_nl": f.message_nl,
            }
            for f in event.findings
        ],
        "sealed": sorted(event.sealed),
    }


def _employer(engine: Engine, facts: dict[str, Any]) -> dict[str, Any] | None:
    employer = facts.get("employer")
    if not isinstance(employer, str):
        return None
    try:
        record = engine.employer(employer)
    except StreamNotFound:
        return None
    flags = [{"flag": f.flag, "raised_on": f.raised_on, "active": f.active, "reason": f.reason}
             for f in record.flags]  # fmt: skip
    return {"employer": employer, "state": record.state, "flags": flags}


@click.command()
@db_option
@click.argument("stream_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table for people, or JSON for tools.")  # fmt: skip
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True,
              help="The language of the headings and of the findings' messages.")  # fmt: skip
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
    gaps, the deadlines and the employer's flags.

    Sealed fields (free text, a report's ground) are named, never shown: reading
    them is for the roles allowed, through the engine, and is logged. Read-only.
    """
    with configured_engine(db, block, config, read_only=True) as engine:
        stream = engine.stream(stream_id)
        events = [timeline_row(event, lang) for event in engine.history(stream_id)]
        deadlines = [{"step": d.step, "due_at": d.due_at, "status": d.status, "kind": d.kind}
                     for d in engine.store.deadlines(stream_id, open_only=False)]  # fmt: skip
        employer = _employer(engine, dict(stream.facts))
    if fmt == "json":
        click.echo(json.dumps({"stream": {"id": stream.id, "lifecycle": stream.lifecycle,
                                          "state": stream.state, "version": stream.version},
                               "events": events, "deadlines": deadlines,
                               "employer": employer}, indent=2))  # fmt: skip
        return
    words = _WORDS[lang]
    click.echo(f"{printable(stream.id)}  {stream.lifecycle}  {stream.state}  (v{stream.version})")
    heads = _HEADS[lang]
    click.echo(f"{heads[0]:>3}  {heads[1]:19}  {heads[2]:28}  {heads[3]:34}  {heads[4]:36}  "
               f"{heads[5]}")  # fmt: skip
    for row in events:
        move = f"{row['from']} -> {row['to']}" if row["from"] != row["to"] else row["to"]
        click.echo(f"{row['seq']:>3}  {row['when'][:19]:19}  {printable(row['who']):28}  "
                   f"{printable(row['what']):34}  {printable(move):36}  "
                   f"{printable(row['details'])}")  # fmt: skip
    click.echo(f"\n{words['deadlines']}:")
    for deadline in deadlines or [{"step": words["none"], "due_at": "", "status": ""}]:
        step, status = printable(deadline["step"]), printable(deadline["status"])
        click.echo(f"  {step:32}  {deadline['due_at'][:19]:19}  {status}")
    if employer is not None:
        flags = printable(", ".join(f"{f['flag']} ({f['raised_on']})" for f in employer["flags"]))
        name, state = printable(employer["employer"]), printable(employer["state"])
        click.echo(f"\n{words['employer']}: {name} ({state}); "
                   f"{words['flags']}: {flags or words['none']}")  # fmt: skip
