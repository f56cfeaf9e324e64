"""``stageborging tick``, ``due`` and ``guidance …``: deadlines escalated, work listed,
gaps counted."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..core import DISMISS_REASONS, Actor
from ..engine import Engine
from ..store import open_store
from ._engines import configured_engine as _engine
from ._options import OnceGroup, db_option, iso_moment, parse_actor, plugin_options, printable

__all__ = ["due", "guidance", "tick"]


def _now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """``--now`` as an aware datetime (an ISO time with its offset, or a date: its start in
    UTC), else a usage error."""
    return None if value is None else iso_moment(value)


_NOW = click.option(
    "--now",
    callback=_now,
    metavar="ISO",
    help="The moment to look from (an ISO time with offset); default: now.",
)
_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for tools.",
)


@click.command()
@db_option
@_NOW
@click.option("--institution", metavar="ID", help="Only this institution's deadlines.")
@plugin_options
def tick(
    db: Path | str,
    now: datetime | None,
    institution: str | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Escalate every guidance deadline due: each exactly once.

    Each missed deadline is recorded as a guidance gap on its stream and
    escalated as its step says (a notification, a proposed transition, or
    assisted search fired for the student). "missed" counts the gaps; notified,
    proposed and fired what each led to (a refused fire is proposed instead; a
    step whose stream an earlier fire moved on does nothing more); "cancelled"
    the deadlines no longer applying, "paused" those waiting for SBB's decision,
    "met" the hours checks found on track. Run it every few minutes (cron, a
    systemd timer); running it again, or from several hosts at once, never
    escalates a deadline twice. The steps come from the installed plugins;
    the working days from the config file's [calendar] table (country,
    categories, closures, open_days).
    """
    with _engine(db, block, config, institution=institution) as engine:
        report = engine.tick(now)
    click.echo(
        f"missed {report.missed}: notified {report.notified}, proposed {report.proposed}, "
        f"fired {report.fired}, refused {report.refused}; cancelled {report.cancelled}, "
        f"paused {report.paused}, met {report.met}; cascaded {report.cascaded}, "
        f"alerts {report.alerts}"
    )


@click.command()
@db_option
@click.option("--role", help="Only what this role must do (coach, placement_office …).")
@click.option("--person", metavar="ID", help="Only what this person must do (a pseudonymous id).")
@click.option("--within", type=click.IntRange(0, 366), default=0, show_default=True,
              help="Also what falls due in so many days.")  # fmt: skip
@click.option("--institution", metavar="ID", help="Only this institution's streams.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="The most items to print.")  # fmt: skip
@_NOW
@_FORMAT
@plugin_options
def due(
    db: Path | str,
    role: str | None,
    person: str | None,
    within: int,
    institution: str | None,
    limit: int,
    now: datetime | None,
    fmt: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """List what needs action now: overdue and due guidance steps, proposals.

    Most urgent first. An overdue step (missed: the gap is recorded) stays here
    until it is done or no longer applies; a proposal until someone fires its
    trigger or dismisses it (stageborging guidance dismiss). --person asks the
    recipients plugins who holds each role on each stream. Notifications that
    could not be delivered (dead letters) are counted first.

    Read-only: the database is never changed or migrated.
    """
    with _engine(db, block, config, read_only=True) as engine:
        if person is not None and not engine.registry.host.implemented("stageborging_recipients"):
            click.echo("warning: --person needs a recipients plugin (stageborging_recipients) "
                       "to say who holds each role; none is installed", err=True)  # fmt: skip
        items = engine.due(now, role=role, person=person, within=within,
                           institution=institution, limit=limit)  # fmt: skip
        tz = engine.timezone
        dead = len(engine.dead_letters()) if role is None and person is None else 0
    letters = (f"{dead} notifications could not be delivered (dead letters): "
               "stageborging dispatch --failed")  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps([item.to_json() for item in items], indent=2))
        if dead:
            click.echo(f"warning: {letters}", err=True)
        return
    if dead:
        click.echo(letters)
    if not items:
        click.echo("nothing due")
        return
    click.echo(f"{'due (local time)':22}  {'':8}  {'role':20}  {'stream':32}  step")
    for item in items:
        status = "proposal" if item.kind == "proposal" else ("overdue" if item.overdue else "")
        what = item.step + (f" -> {item.trigger}" if item.trigger else "")
        click.echo(
            f"{item.due_at.astimezone(tz):%Y-%m-%d %H:%M %z}  {status:8}  {item.role.value:20}  "
            f"{printable(item.stream_id):32}  {what}"
        )


@click.group(cls=OnceGroup)
def guidance() -> None:
    """Guidance steps: the gaps recorded, and proposals dismissed."""


@guidance.command()
@db_option
@click.option("--institution", metavar="ID", help="Only this institution's streams.")
@click.option("--programme", help="Only this programme.")
@click.option("--step", help="Only this step.")
@click.option("--list", "each", is_flag=True, help="Every gap, not the counts.")
@_FORMAT
def gaps(
    db: Path | str,
    institution: str | None,
    programme: str | None,
    step: str | None,
    each: bool,
    fmt: str,
) -> None:
    """Count the guidance gaps (missed steps) by programme and step.

    A gap is an 'escalated' event in the audit log, recorded by tick when a
    step's deadline passed without what completes it. Read-only.
    """
    with Engine(open_store(db, read_only=True)) as engine:
        found = list(engine.guidance_gaps(institution=institution, programme=programme,
                                          step=step))  # fmt: skip
    if each:
        rows = [gap.to_json() for gap in found]
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
            return
        for row in rows:
            programme = printable(row["programme"] or "-")
            click.echo(
                f"{row['due_at'][:10]}  {programme:16}  {row['step']:28}  {row['action']:8}  "
                f"{printable(row['stream_id'])}"
            )
        return
    counts = Counter((g.programme, g.step) for g in found)
    if fmt == "json":
        listed = [{"programme": p, "step": s, "gaps": n} for (p, s), n in sorted(counts.items())]
        click.echo(json.dumps(listed, indent=2))
        return
    click.echo(f"{'programme':16}  {'step':28}  {'gaps':>6}")
    for (prog, name), count in sorted(counts.items()):
        click.echo(f"{printable(prog or '-'):16}  {name:28}  {count:>6}")
    click.echo(f"{'total':16}  {'':28}  {sum(counts.values()):>6}")


@guidance.command()
@db_option
@click.argument("stream_id")
@click.argument("step")
@click.option("--actor", "actor", metavar="ROLE:ID", callback=parse_actor, required=True,
              help="Who dismisses (the step's escalation role, or placement_office).")  # fmt: skip
@click.option("--reason", type=click.Choice(DISMISS_REASONS), required=True,
              help="Why the proposal is turned down.")  # fmt: skip
@plugin_options
def dismiss(
    db: Path | str,
    stream_id: str,
    step: str,
    actor: Actor,
    reason: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Turn down the transition a missed STEP proposed on STREAM_ID."""
    with _engine(db, block, config) as engine:
        event = engine.dismiss(stream_id, step, actor=actor, reason=reason)
    click.echo(f"dismissed {step} on {printable(stream_id)} (seq {event.seq})")
