"""``stageborging dispatch``: deliver the outbox through the channel plugins, list the dead
letters, retry one by hand."""

from __future__ import annotations

import json
import signal
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
            wait["wait"] = tenacity.wait_exponential(multiplier=first, max=most) + (
                tenacity.wait_random(0, jitter)
            )
        return RetryPolicy(**table, **wait), rest
    except InvalidInput as exc:
        raise click.BadParameter(f"[dispatch] {exc.field}: {exc.problem}",
                                 param_hint="--config") from None  # fmt: skip


@click.command()
@db_option
@click.option("--once", "mode", flag_value="once", default=True,
              help="Deliver what is due now, then stop (the default; for cron).")  # fmt: skip
@click.option("--loop", "mode", flag_value="loop",
              help="Keep delivering until stopped (SIGTERM, Ctrl-C): for a service.")  # fmt: skip
@click.option("--failed", "mode", flag_value="failed",
              help="List the dead letters: the entries that could not be delivered.")  # fmt: skip
@click.option("--retry", "retry", metavar="KEY|all",
              help="Make the dead letter KEY pending again (after fixing its cause); 'all': "
                   "every dead letter (of the --channel given).")  # fmt: skip
@click.option("--by", default="operator", show_default=True, metavar="ID",
              help="Who retries (recorded with --retry).")  # fmt: skip
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
    mode: str,
    retry: str | None,
    by: str,
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
    seconds). No address and no message is printed or logged.
    """
    policy, rest = policy_of(config)
    if retry is not None:
        with configured_engine(db, block, rest) as engine:
            if retry == "all":
                found = [engine.retry_dead_letters(by=by, channel=name)
                         for name in channels or (None,)]  # fmt: skip
                click.echo(f"{sum(map(len, found))} dead letters are pending again")
                return
            entry = engine.retry_dead_letter(retry, by=by)
        click.echo(f"{printable(entry.key)} is pending again: the next dispatch delivers it")
        return
    if mode == "failed":
        with configured_engine(db, block, rest, read_only=True) as engine:
            _list_failed(engine, fmt)
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
        if mode == "once":
            _show(dispatcher.run_once(limit), fmt)
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"dispatching ({', '.join(dispatcher.channels)}); stop with SIGTERM or Ctrl-C",
                   err=True)  # fmt: skip
        dispatcher.run(stop, interval, on_pass=lambda report: _show(report, fmt))
        click.echo("stopped", err=True)


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


def _list_failed(engine: Engine, fmt: str) -> None:
    dead = engine.dead_letters()
    if fmt == "json":
        rows = [{"key": e.key, "stream_id": e.stream_id, "channel": e.notification.channel,
                 "kind": e.notification.template, "attempts": e.attempts,
                 "error": e.last_error, "dead_at": e.dead_at} for e in dead]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    if not dead:
        click.echo("no dead letters")
        return
    error = max(18, *(len(e.last_error or "-") for e in dead))
    click.echo(f"{'dead since':20}  {'channel':10}  {'kind':30}  {'tries':>5}  "
               f"{'error':{error}}  key")  # fmt: skip
    for entry in dead:
        note = entry.notification
        click.echo(
            f"{(entry.dead_at or '')[:19]:20}  {note.channel:10}  {note.template:30}  "
            f"{entry.attempts:>5}  {entry.last_error or '-':{error}}  {printable(entry.key)}"
        )
    click.echo(f"{len(dead)} dead letters; fix the cause, then: stageborging dispatch --retry KEY")


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
