"""``stageborging audit``: inspect the audit log (read-only)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from .. import LifecycleDefinition, verify_database
from ..exceptions import InvalidInput, PluginError, StoreError
from ..lifecycles import builtin
from ..store import MAX_WORKERS, open_store, worker_count
from ._checkpoints import check_against
from ._options import (
    OnceGroup,
    db_option,
    existing_db,
    given_once,
    plugin_options,
    printable,
    registry,
    shown_path,
)

__all__ = ["audit", "known_lifecycles"]


@click.group(cls=OnceGroup)
def audit() -> None:
    """Inspect the audit log (read-only; never changes the database)."""


def known_lifecycles(
    block: tuple[str, ...], config: Mapping[str, Any] | None
) -> list[LifecycleDefinition]:
    """The built-in lifecycles and those of installed plugins (a broken plugin: built-ins)."""
    try:
        return list(registry(block, config).lifecycles.values())
    except PluginError as exc:
        click.echo(f"warning: plugin lifecycles not loaded: {exc}", err=True)
        return list(builtin())


def _progress() -> Callable[[int], None] | None:
    """On a terminal, a line on standard error that counts the events verified."""
    if not sys.stderr.isatty():
        return None
    return lambda count: click.echo(f"\rverified {count:,} events …", err=True, nl=False)


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


#: What a checkpoint that holds says, by language and by whether the rows verified too:
#: it vouches for the hashed headers in their order, not for the columns beside them.
EXTENDS = {
    "en": {True: "the log extends it (only appended to)",
           False: "every event it covered is still there, in order, with its hash: the "
                  "breaks are in what the hashes do not cover (columns, projection rows)"},
    "nl": {True: "het logboek bouwt erop voort (alleen aangevuld)",
           False: "elke gebeurtenis die het dekte staat er nog, op volgorde, met haar hash: "
                  "de breuken zitten in wat de hashes niet dekken (kolommen, projectierijen)"},
}  # fmt: skip


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _workers(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return worker_count(int(value), 0)
    except (ValueError, InvalidInput):
        raise click.BadParameter(
            f"{printable(value)!r}: must be a whole number from 1 to {MAX_WORKERS} or auto"
        ) from None


@audit.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people or for tools.",
)
@click.option("--checkpoint", "held", type=_FILE, multiple=True, callback=given_once,
              metavar="FILE", help="Also check that the log extends this checkpoint you "
              "kept (from audit checkpoint); needs --public-key.")  # fmt: skip
@click.option("--public-key", type=_FILE, multiple=True, callback=given_once,
              metavar="FILE", help="The school's public key, as you were handed it: the "
              "checkpoint's signature is checked against it.")  # fmt: skip
@click.option(
    "--stream",
    "stream_id",
    metavar="ID",
    help="Verify this one stream only (its chain, columns, facts and row).",
)
@click.option("--workers", default="auto", show_default=True, metavar="N|auto",
              callback=lambda _ctx, _param, value: _workers(value),
              help=f"How many processes verify, 1 to {MAX_WORKERS} (auto: one per CPU for "
              "a log of 200,000 events or more, else one).")  # fmt: skip
@plugin_options
def verify(
    db: Path | str,
    fmt: str,
    held: Path | None,
    public_key: Path | None,
    stream_id: str | None,
    workers: int | str,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Recompute every stream's hash chain and check every stored column.

    Each event is checked against the version of its definition stamped on it
    (its trigger or fact, its states) and every stream's facts are recomputed
    event by event, across migrations. The versions known are those the
    database stored, every built-in version a release shipped, and those of
    installed plugins. It counts the events that hold sealed free text and
    those whose subject was erased (from the chain's erased events, checked
    against the keys table).

    Exit status: 0 intact, 1 broken (the stream and sequence number of the
    first broken link of each broken stream are printed), 2 the database
    cannot be opened, or streams are under a definition version this verifier
    does not know (the digests are printed: their chains are intact, but the
    events could not be judged against their definition). What this cannot see
    on its own (a cut-off tail with a rewritten projection, a whole stream
    recomputed) is explained in the docs; a checkpoint kept off-site
    (--checkpoint, --public-key) closes both gaps.
    """
    if (held is None) != (public_key is None):
        raise click.UsageError("--checkpoint and --public-key go together: a checkpoint is "
                               "checked against the key you were handed")  # fmt: skip
    try:
        report = verify_database(db, known_lifecycles(block, config), _progress(), workers,
                                 stream_id)  # fmt: skip
        extends = (
            None if held is None or public_key is None else (check_against(db, held, public_key))
        )
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    broken_checkpoint = held is not None and extends is not None
    if fmt == "json":
        payload = {
            "ok": report.ok and not broken_checkpoint,
            "chains_ok": report.ok,
            "judged": report.judged,
            "streams": report.streams,
            "events": report.events,
            "versions": report.versions,
            "breaks": [
                {"stream": b.stream_id, "seq": b.seq, "problem": b.problem} for b in report.breaks
            ],
            "problems": list(report.problems),
            "unknown": [
                {"lifecycle": u.lifecycle, "digest": u.digest, "streams": u.streams}
                for u in report.unknown
            ],
            "stamped": [
                {
                    "lifecycle": v.lifecycle,
                    "digest": v.digest,
                    "streams": v.streams,
                    "known": v.known,
                }
                for v in report.stamped
            ],
            "warnings": list(report.warnings),
            "sealed": report.sealed,
            "erased": report.erased,
        }
        if held is not None:
            payload["checkpoint"] = {"ok": extends is None, "problem": extends}
        click.echo(json.dumps(payload, indent=2))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if broken_checkpoint:  # the verdict first: the chains below may all hold
            click.echo(f"BROKEN: checkpoint {shown_path(held or '')}: {extends}")
        if report.ok and report.judged:
            chains = "chains intact" if broken_checkpoint else "intact"
            click.echo(f"{chains}: {_many(report.streams, 'stream')}, "
                       f"{_many(report.events, 'event')} verified")  # fmt: skip
        elif report.ok:
            click.echo(
                f"CANNOT JUDGE: chains intact ({report.streams} streams, {report.events} "
                "events), but some definition versions are unknown to this verifier"
            )
        else:
            broken = f"{len(report.breaks)} of {_many(report.streams, 'stream')}"
            if report.problems:
                broken += f", {len(report.problems)} problem(s) beside them"
            click.echo(f"BROKEN: {broken}")
            for brk in report.breaks:
                click.echo(f"  {brk}")
            for problem in report.problems:
                click.echo(f"  {problem}")
        for version in report.stamped:
            click.echo(f"  {version}")
        if report.sealed:
            click.echo(
                f"  sealed: {report.sealed} event(s) hold free text or sealed codes; "
                f"{report.erased} of them erased (their subject's key is destroyed)"
            )
        if held is not None and not broken_checkpoint:
            click.echo(f"checkpoint {shown_path(held)}: {EXTENDS['en'][report.ok]}")
    if broken_checkpoint or not report.ok:
        sys.exit(1)
    sys.exit(0 if report.judged else 2)


@audit.command()
@db_option
@click.option(
    "--after",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Only entries after this position (the last one a previous page showed).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=1000,
    show_default=True,
    help="At most this many entries.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table for people, or JSON for tools.")  # fmt: skip
def access(db: Path | str, after: int, limit: int, fmt: str) -> None:
    """List the access log: every read of sealed fields (free text, a report's ground)
    through an engine, granted or refused: when, who (role and pseudonymous id), which
    stream and fields (SEQ.FIELD). Audit commands read it and never add to it.
    """
    store = open_store(existing_db(db), read_only=True)
    try:
        entries = store.access_log(after, limit)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps([entry._asdict() for entry in entries], indent=2))
        return
    width = max((len(e.stream_id) for e in entries), default=6)
    click.echo(f"{'POSITION':>8}  {'AT':<27}  {'ROLE':<22}  {'ACTOR':<16}  {'OUTCOME':<7}  "
               f"{'STREAM':<{width}}  FIELDS")  # fmt: skip
    for e in entries:
        click.echo(f"{e.position:>8}  {e.at:<27}  {e.actor_role:<22}  {e.actor_id:<16}  "
                   f"{e.outcome:<7}  {e.stream_id:<{width}}  {','.join(e.fields)}")  # fmt: skip
    if not entries:
        click.echo("(no reads of sealed fields)", err=True)
