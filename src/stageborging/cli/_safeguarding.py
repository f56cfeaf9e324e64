"""``stageborging report``, ``employer …`` and ``alerts``: reports of discrimination,
what a school knows of an employer, and the rejection-pattern alerts a person reviews."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core import Actor, EmployerRecord, InvalidInput, parse_date
from ..employers import load_register
from ..lifecycles import (
    ALERT_DISMISS_REASONS,
    CLOSE_REASONS,
    FLAG_BASES,
    FLAG_LIFT_REASONS,
    FLAG_REASONS,
    FLAGS,
    RECOGNITION_SOURCES,
    REPORTERS,
)
from ..privacy import MasterKey
from ._engines import configured_engine
from ._options import (
    OnceGroup,
    db_option,
    master_key_option,
    parse_actor,
    plugin_options,
    printable,
)

__all__ = ["alerts", "employer", "report"]

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                       show_default=True, help="How to print it.")  # fmt: skip
_INSTITUTION = click.option("--institution", metavar="ID",
                            help="The institution whose memory it is (default: none).")  # fmt: skip
_ACTOR = click.option("--actor", "actor", metavar="ROLE:ID", callback=parse_actor, required=True,
                      help="Who does it (a role and a pseudonymous id).")  # fmt: skip


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(parse_date(param.name or "date", value))
    except InvalidInput:
        raise click.BadParameter(f"{printable(value)!r}: give a date YYYY-MM-DD") from None


def _text(path: Path | None) -> str | None:
    """The free text in the file *path* (``-``: standard input), never on the command line
    (where the shell's history would keep it)."""
    if path is None:
        return None
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot be read ({type(exc).__name__})",
                                 param_hint="'--description-file'") from None  # fmt: skip


@click.command()
@db_option
@_ACTOR
@click.option("--phase", type=click.Choice(["search", "internship"]), required=True,
              help="When it happened: while searching, or during the internship.")  # fmt: skip
@click.option("--internship", metavar="ID", help="The internship it concerns.")
@click.option("--employer", metavar="ID", help="The employer (leerbedrijf) it concerns.")
@click.option("--student", metavar="ID", help="The student it is about (another reporter).")
@click.option("--reporter", type=click.Choice(REPORTERS),
              help="Who reports; 'anonymous' is registered only. Default: the actor.")  # fmt: skip
@click.option("--ground", metavar="CODE", help="A self-reported ground code (sealed).")
@click.option("--description-file", "description", type=click.Path(dir_okay=False,
              allow_dash=True, path_type=Path),
              help="What happened, from a file or '-' for standard input (sealed).")  # fmt: skip
@_INSTITUTION
@master_key_option
@plugin_options
def report(
    db: Path | str,
    actor: Actor,
    phase: str,
    internship: str | None,
    employer: str | None,
    student: str | None,
    reporter: str | None,
    ground: str | None,
    description: Path | None,
    institution: str | None,
    master_key: MasterKey | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Report discrimination: open a case, linked to an internship and an employer.

    The ground and the description are sealed (give the master key); the case id is
    printed. The confidential advisor acknowledges it within three working days.
    """
    with configured_engine(db, block, config, master_key=master_key) as engine:
        event = engine.report(
            actor=actor, phase=phase, internship=internship, employer=employer,
            student=student, reporter=reporter, ground=ground,
            description=_text(description), institution=institution,
        )  # fmt: skip
    click.echo(f"reported: case {event.stream_id}")


@click.group(cls=OnceGroup)
def employer() -> None:
    """What the school knows of an employer: flags, SBB's decisions, alerts."""


@employer.command()
@db_option
@click.argument("employer_id", metavar="ID")
@_INSTITUTION
@_FORMAT
def show(db: Path | str, employer_id: str, institution: str | None, fmt: str) -> None:
    """Show an employer: its flags, open recommendations and alerts, SBB's decisions
    and its history (no case details). Read-only."""
    with configured_engine(db, (), None, read_only=True, institution=institution) as engine:
        record = engine.employer(employer_id)
    if fmt == "json":
        click.echo(json.dumps(record.to_json(), indent=2))
        return
    _print_record(record)


def _print_record(record: EmployerRecord) -> None:
    click.echo(f"employer {printable(record.employer)} ({record.state})")
    if record.closed_on:
        click.echo(f"  closed down on {record.closed_on}")
    click.echo("flags:" if record.flags else "flags: none")
    for flag in record.flags:
        status = "active" if flag.active else "expired"
        click.echo(f"  {flag.flag:28} {status:8} since {flag.raised_on} by {flag.role}, "
                   f"{flag.reason} ({flag.basis}); review {flag.review_on}, "
                   f"until {flag.expires_on}")  # fmt: skip
    for rec in record.recommendations:
        click.echo(f"  recommended: {rec['flag']} on {rec['on']} (recommendation {rec['seq']})")
    for qualification, decision in sorted(record.recognitions.items()):
        click.echo(f"recognition {qualification}: {decision['status']} as of "
                   f"{decision['effective_on']}")  # fmt: skip
    alerts = record.open_alerts
    click.echo("open alerts:" if alerts else "open alerts: none")
    for alert in alerts:
        click.echo("  " + _alert_line(alert.seq, alert.raised_on, alert.statistics))
    click.echo("history:")
    for item in record.history:
        data = ", ".join(f"{k}={v}" for k, v in sorted(item.data.items()) if k != "employer")
        click.echo(f"  {item.seq:>4} {item.occurred_at:%Y-%m-%d} {item.name:24} "
                   f"{item.role:20} {data}")  # fmt: skip


def _alert_line(seq: int, raised_on: str, stats: Any) -> str:
    level = f" level {stats['level']}" if "level" in stats else ""
    return (f"alert {seq} ({raised_on}): {stats.get('programme')}{level}: invited "
            f"{stats.get('invited')} of {stats.get('applications')}, the rest "
            f"{stats.get('others_invited')} of {stats.get('others_applications')}; "
            f"p {stats.get('p_value')}, Holm {stats.get('adjusted_p')}")  # fmt: skip


@employer.command("raise-flag")
@db_option
@click.argument("employer_id", metavar="ID")
@click.argument("flag", type=click.Choice(FLAGS))
@_ACTOR
@click.option("--reason", type=click.Choice(FLAG_REASONS), required=True, help="Why.")
@click.option("--basis", type=click.Choice(FLAG_BASES), required=True,
              help="What it rests on (a block: recommendation or external_decision).")  # fmt: skip
@click.option("--review-on", callback=_date, required=True, metavar="DATE",
              help="When it is reviewed.")  # fmt: skip
@click.option("--expires-on", callback=_date, required=True, metavar="DATE",
              help="The day it no longer counts.")  # fmt: skip
@click.option("--recommendation", type=int, metavar="SEQ",
              help="The confidential advisor's recommendation it answers.")  # fmt: skip
@click.option("--alert", type=int, metavar="SEQ", help="The pattern alert it accepts (a watch).")
@_INSTITUTION
@plugin_options
def raise_flag(db: Path | str, employer_id: str, flag: str, actor: Actor, reason: str,
               basis: str, review_on: date, expires_on: date, recommendation: int | None,
               alert: int | None, institution: str | None, block: tuple[str, ...],
               config: dict[str, Any] | None) -> None:  # fmt: skip
    """Raise a flag on an employer: a person's decision (placement office, team lead)."""
    with configured_engine(db, block, config) as engine:
        event = engine.raise_flag(
            employer_id, flag, actor=actor, reason=reason, basis=basis, review_on=review_on,
            expires_on=expires_on, recommendation=recommendation, alert=alert,
            institution=institution,
        )  # fmt: skip
    click.echo(f"raised {flag} on {printable(employer_id)} (seq {event.seq})")


@employer.command("lift-flag")
@db_option
@click.argument("employer_id", metavar="ID")
@click.argument("flag", type=click.Choice(FLAGS))
@_ACTOR
@click.option("--reason", type=click.Choice(FLAG_LIFT_REASONS), required=True, help="Why.")
@_INSTITUTION
@plugin_options
def lift_flag(db: Path | str, employer_id: str, flag: str, actor: Actor, reason: str,
              institution: str | None, block: tuple[str, ...],
              config: dict[str, Any] | None) -> None:  # fmt: skip
    """Lift a flag from an employer."""
    with configured_engine(db, block, config) as engine:
        event = engine.lift_flag(employer_id, flag, actor=actor, reason=reason,
                                 institution=institution)  # fmt: skip
    click.echo(f"lifted {flag} from {printable(employer_id)} (seq {event.seq})")


@employer.command("dismiss-alert")
@db_option
@click.argument("employer_id", metavar="ID")
@click.argument("alert", type=int, metavar="SEQ")
@_ACTOR
@click.option("--reason", type=click.Choice(ALERT_DISMISS_REASONS), required=True, help="Why.")
@_INSTITUTION
@plugin_options
def dismiss_alert(db: Path | str, employer_id: str, alert: int, actor: Actor, reason: str,
                  institution: str | None, block: tuple[str, ...],
                  config: dict[str, Any] | None) -> None:  # fmt: skip
    """Dismiss a pattern alert (accept one with raise-flag ... watch --alert SEQ)."""
    with configured_engine(db, block, config) as engine:
        event = engine.dismiss_alert(employer_id, alert, actor=actor, reason=reason,
                                     institution=institution)  # fmt: skip
    click.echo(f"dismissed alert {alert} on {printable(employer_id)} (seq {event.seq})")


def _recognition_command(name: str, verb: str, method: str) -> click.Command:
    @click.command(name)
    @db_option
    @click.argument("employer_id", metavar="ID")
    @click.argument("qualification", metavar="CREBO")
    @click.option("--on", "on", callback=_date, required=True, metavar="DATE",
                  help="The day it takes effect.")  # fmt: skip
    @click.option("--source", type=click.Choice(RECOGNITION_SOURCES), default="sbb",
                  show_default=True, help="Where the decision comes from.")  # fmt: skip
    @click.option("--actor", "actor", metavar="ROLE:ID", callback=parse_actor,
                  help="Who records it [default: system:register].")  # fmt: skip
    @_INSTITUTION
    @plugin_options
    def command(db: Path | str, employer_id: str, qualification: str, on: date, source: str,
                actor: Actor | None, institution: str | None, block: tuple[str, ...],
                config: dict[str, Any] | None) -> None:  # fmt: skip
        with configured_engine(db, block, config) as engine:
            who = {} if actor is None else {"actor": actor}  # the engine's default: register
            event = getattr(engine, method)(employer_id, qualification, on, source=source,
                                            institution=institution, **who)  # fmt: skip
            later = verb != "reinstate" and on > event.occurred_at.astimezone(
                engine.timezone).date()  # fmt: skip
        waiting = " (what it does to the placements there follows on that day's first tick)" if (
            later) else ""  # fmt: skip
        click.echo(f"recorded {name} of {printable(employer_id)} for {qualification} as of "
                   f"{on} (seq {event.seq}){waiting}")  # fmt: skip

    command.help = (
        f"Record SBB's {verb} of an employer's recognition for a qualification (crebo). "
        + {
            "revoke": "From that day its placements for the qualification are cancelled "
            "(not started) or terminated (running), and each student gets a replacement "
            "search; run again, it records nothing twice.",
            "suspend": "No new placement there is verified, and each coach is asked to decide.",
            "reinstate": "New placements are verified again.",
        }[verb.split()[0]]
    )
    return command


for _name, _verb, _method in (
    ("revoke-recognition", "revoke", "revoke_recognition"),
    ("suspend-recognition", "suspend", "suspend_recognition"),
    ("reinstate-recognition", "reinstate", "reinstate_recognition"),
):
    employer.add_command(_recognition_command(_name, _verb, _method))


@employer.command("close")
@db_option
@click.argument("employer_id", metavar="ID")
@click.option("--on", "on", callback=_date, required=True, metavar="DATE",
              help="The day it closed down.")  # fmt: skip
@click.option("--reason", type=click.Choice(CLOSE_REASONS), default="closed", show_default=True)
@_ACTOR
@_INSTITUTION
@plugin_options
def close(db: Path | str, employer_id: str, on: date, reason: str, actor: Actor,
          institution: str | None, block: tuple[str, ...],
          config: dict[str, Any] | None) -> None:  # fmt: skip
    """Record that an employer closed down: its placements are cancelled or terminated
    from that day, each student gets a replacement search."""
    with configured_engine(db, block, config) as engine:
        event = engine.close_employer(employer_id, on, actor=actor, reason=reason,
                                      institution=institution)  # fmt: skip
    click.echo(f"recorded the closure of {printable(employer_id)} as of {on} (seq {event.seq})")


@employer.command("import-register")
@db_option
@click.argument("register_file", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))  # fmt: skip
@click.option("--on", "on", callback=_date, metavar="DATE",
              help="The day the register holds [default: today].")  # fmt: skip
@_INSTITUTION
@plugin_options
def import_register(db: Path | str, register_file: Path, on: date | None,
                    institution: str | None, block: tuple[str, ...],
                    config: dict[str, Any] | None) -> None:  # fmt: skip
    """Compare a new SBB register file (CSV or JSON: employer, crebo, status,
    valid_from, valid_until) with the last import, for the employers known here: a
    recognition it no longer lists is revoked (and cascades), one it marks suspended is
    suspended, one listed again is reinstated. Importing the same file again records
    nothing."""
    register = load_register(register_file)
    with configured_engine(db, block, config) as engine:
        done = engine.import_register(register, on=on, institution=institution)
    click.echo(f"compared {done.employers} employer(s): {len(done.listed)} listed, "
               f"{len(done.revoked)} revoked, {len(done.suspended)} suspended, "
               f"{len(done.reinstated)} reinstated")  # fmt: skip
    for change in ("revoked", "suspended", "reinstated"):
        for employer_id, qualification in getattr(done, change):
            click.echo(f"  {change}: {printable(employer_id)} {qualification}")


@click.command()
@db_option
@click.option("--refresh", is_flag=True,
              help="Run the statistics first (the first tick of a day does too).")  # fmt: skip
@_INSTITUTION
@_FORMAT
@plugin_options
def alerts(db: Path | str, refresh: bool, institution: str | None, fmt: str,
           block: tuple[str, ...], config: dict[str, Any] | None) -> None:  # fmt: skip
    """List the open rejection-pattern alerts, each for a person to review: raise a
    watch on it (employer raise-flag ID watch --basis pattern_alert --alert SEQ) or
    dismiss it (employer dismiss-alert). The window, minimum and level come from the
    config file's [patterns] table."""
    with configured_engine(db, block, config, read_only=not refresh) as engine:
        if refresh:
            run = engine.refresh_alerts(institution=institution)
            click.echo(f"tested {len(run.tested)} employer(s) over {run.since} to {run.day}: "
                       f"{len(run.raised)} new alert(s)", err=fmt == "json")  # fmt: skip
        found = engine.open_alerts(institution=institution)
    if fmt == "json":
        click.echo(json.dumps([{"employer": e, **a.to_json()} for e, a in found], indent=2))
        return
    if not found:
        click.echo("no open alerts")
    for employer_id, alert in found:
        click.echo(f"{printable(employer_id)}: "
                   + _alert_line(alert.seq, alert.raised_on, alert.statistics))  # fmt: skip
