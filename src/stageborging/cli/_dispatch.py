"""``stageborging dispatch``: deliver the outbox through the channel plugins, list the dead
letters, retry one by hand."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import click
import tenacity

from ..core import InvalidInput
from ..engine import Engine
from ..outbox import DispatchReport, RetryPolicy
from ._engines import configured_engine
from ._options import db_option, plugin_options, printable

__all__ = ["dispatch"]

#: The keys of the config file's [dispatch] table.
_KEYS = ("attempts", "timeout", "lease", "backoff", "backoff_max", "jitter")
#: The keys of the wait between attempts, with their defaults (RetryPolicy's), in seconds.
_WAITS = {"backoff": 60, "backoff_max": 21_600, "jitter": 60}


def policy_of(config: dict[str, Any] | None) -> tuple[RetryPolicy, dict[str, Any] | None]:
    """The ``[dispatch]`` table of the config file as a retry policy, and the rest."""
    if config is None or "dispatch" not in config:
        return RetryPolicy(), config
    rest = {k: v for k, v in config.items() if k != "dispatch"}
    table = dict(config["dispatch"])
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise click.BadParameter(
            f"[dispatch] {unknown[0]}: unknown; it takes {', '.join(_KEYS)}", param_hint="--config"
        )
    try:
        wait = {}
        if _WAITS.keys() & table.keys():
            first, most, jitter = (table.pop(name, default) for name, default in _WAITS.items())
            for name, value in zip(_WAITS, (first, most, jitter), strict=True):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise InvalidInput(name, value, "must be a number of seconds, 0 or more")
            if most < first:
                raise InvalidInput("backoff_max", most, f"must be at least backoff ({first})")
            wait["wait"] = tenacity.wait_exponential(multiplier=first, max=most) + (
                tenacity.wait_random(0, jitter)
            )
        return RetryPolicy(**table, **wait), rest
    except InvalidInput as exc:
        raise click.BadParameter(f"[dispatch] {exc.field}: {exc.problem}",
                                 param_hint="--config") from None  # fmt: skip


@click.command()
@db_option
@click.option("--once", is_flag=True,
              help="Deliver what is due now, then stop (the default; for cron).")  # fmt: skip
@click.option("--loop", is_flag=True,
              help="Keep delivering until stopped (SIGTERM, Ctrl-C): for a service.")  # fmt: skip
@click.option("--pending", is_flag=True,
              help="List the entries not yet delivered: tries, last error, next try.")  # fmt: skip
@click.option("--failed", is_flag=True,
              help="List the dead letters: the entries that could not be delivered.")  # fmt: skip
@click.option("--retry", "retry", metavar="KEY|all",
              help="Make the dead letter KEY pending again (after fixing its cause); 'all': "
                   "every dead letter (of the --channel given).")  # fmt: skip
@click.option("--by", metavar="ID",
              help="With --retry: who retries (recorded; default: operator).")  # fmt: skip
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Only this channel (repeatable); others may be served elsewhere.")  # fmt: skip
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="With --loop: seconds to wait when nothing is due.")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="The most entries per channel in one pass.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table for people, or JSON for tools.")  # fmt: skip
@plugin_options
def dispatch(
    db: Path | str,
    once: bool,
    loop: bool,
    pending: bool,
    failed: bool,
    retry: str | None,
    by: str | None,
    channels: tuple[str, ...],
    interval: float,
    limit: int,
    fmt: str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Deliver the notifications in the outbox through the channel plugins.

    Each entry goes to every person holding its role on its stream (the
    recipients plugin), in their language (the contact plugin), by its channel
    (e-mail, a webhook …). A failure is tried again later, with a growing wait;
    when its attempts are used up, or it cannot be delivered at all, the entry is
    a dead letter: --failed lists them, --retry KEY makes one pending again.
    Several dispatchers (processes, hosts) may run at once: each entry is leased to
    one at a time. Retries, timeout and lease come from the config file's
    [dispatch] table (attempts, timeout, lease, backoff, backoff_max, jitter: in
    seconds). No address and no message is printed or logged. Exit status: 0, or 1
    when the pass made dead letters (--once), 2 on a usage error.
    """
    chosen = [name for name, on in (("--once", once), ("--loop", loop), ("--pending", pending),
              ("--failed", failed), ("--retry", retry is not None)) if on]  # fmt: skip
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} do different things: give one")
    if by is not None and retry is None:
        raise click.UsageError("--by says who retries: give it with --retry")
    policy, rest = policy_of(config)
    if retry is not None:
        with configured_engine(db, block, rest) as engine:
            _retry(engine, retry, by or "operator", channels, fmt)
        return
    if pending or failed:
        with configured_engine(db, block, rest, read_only=True) as engine:
            _list(engine, fmt, dead=failed, channels=channels)
        return
    with configured_engine(db, block, rest) as engine:
        dispatcher = engine.dispatcher(channels=channels or None, policy=policy)
        if not dispatcher.channels:
            raise click.UsageError(
                "no channel is offered: install a channel plugin (such as stageborging-email "
                "or stageborging-webhook) and give its settings (its table in --config); "
                "nothing can be delivered"
            )
        _warn_undeliverable(engine, set(dispatcher.channels))
        if not loop:
            report = dispatcher.run_once(limit)
            _show(report, fmt)
            if report.dead:
                sys.exit(1)
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"dispatching ({', '.join(dispatcher.channels)}); stop with SIGTERM or Ctrl-C",
                   err=True)  # fmt: skip
        dispatcher.run(stop, interval, on_pass=lambda report: _show(report, fmt))
        click.echo("stopped", err=True)


def _retry(engine: Engine, retry: str, by: str, channels: tuple[str, ...], fmt: str) -> None:
    if retry != "all":
        keys = [engine.retry_dead_letter(retry, by=by).key]
    else:
        offered = {entry.notification.channel for entry in engine.dead_letters()}
        for name in channels:
            if name not in offered:
                click.echo(f"warning: --channel {printable(name)}: no dead letter is of it",
                           err=True)  # fmt: skip
        keys = [entry.key for name in channels or (None,)
                for entry in engine.retry_dead_letters(by=by, channel=name)]  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps({"pending_again": keys}))
    elif retry != "all":
        click.echo(f"{printable(keys[0])} is pending again: the next dispatch delivers it")
    else:
        click.echo(f"{len(keys)} dead letters are pending again")


def _show(report: DispatchReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({"channels": report.channels, "delivered": report.delivered,
                               "retry": report.retried, "dead": report.dead}))  # fmt: skip
        return
    click.echo(f"delivered {report.delivered}, retry {report.retried}, dead {report.dead}")
    for name, counts in report.channels.items():
        if counts:
            shown = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items()))
            click.echo(f"  {name}: {shown}")
    if report.dead:
        click.echo(f"warning: {report.dead} new dead letters: stageborging dispatch --failed",
                   err=True)  # fmt: skip


def _list(engine: Engine, fmt: str, *, dead: bool, channels: tuple[str, ...]) -> None:
    """The dead letters (*dead*), else the live entries not yet delivered."""
    found = [entry for entry in engine.store.outbox(None, True, engine.institution, dead=dead)
             if not channels or entry.notification.channel in channels]  # fmt: skip
    if fmt == "json":
        rows = [{"key": e.key, "stream_id": e.stream_id, "channel": e.notification.channel,
                 "kind": e.notification.template, "attempts": e.attempts,
                 "error": e.last_error, "dead_at": e.dead_at,
                 "next_attempt_at": e.next_attempt_at} for e in found]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    noun = "dead letters" if dead else "entries pending"
    if not found:
        click.echo(f"no {noun}")
        return
    error = max(18, *(len(e.last_error or "-") for e in found))
    when = "dead since (UTC)" if dead else "next try (UTC)"
    click.echo(f"{when:20}  {'channel':10}  {'kind':30}  {'tries':>5}  {'error':{error}}  key")
    for entry in found:
        note = entry.notification
        moment = (entry.dead_at if dead else entry.next_attempt_at) or ("" if dead else "now")
        click.echo(
            f"{moment[:19]:20}  {note.channel:10}  {note.template:30}  "
            f"{entry.attempts:>5}  {entry.last_error or '-':{error}}  {printable(entry.key)}"
        )
    if dead:
        click.echo(f"{len(found)} dead letters; fix the cause, then: "
                   "stageborging dispatch --retry KEY (or all)")  # fmt: skip
    else:
        click.echo(f"{len(found)} entries pending")


def _warn_undeliverable(engine: Engine, served: set[str]) -> None:
    """Warn, at start-up, of pending entries this dispatcher cannot deliver: a channel it
    does not serve, a kind without a template (those become dead letters)."""
    pending = engine.store.outbox(None, True, engine.institution, dead=False)
    unserved = Counter(e.notification.channel for e in pending
                       if e.notification.channel not in served)  # fmt: skip
    for name, count in sorted(unserved.items()):
        click.echo(f"warning: {count} entries wait for the channel {name!r}, which this "
                   "dispatcher does not serve", err=True)  # fmt: skip
    untemplated = Counter(e.notification.template for e in pending
                          if e.notification.template not in engine.templates)  # fmt: skip
    for kind, count in sorted(untemplated.items()):
        click.echo(f"warning: {count} entries are of the kind {kind!r}, which has no template: "
                   "they become dead letters (add it, then retry them)", err=True)  # fmt: skip
