"""``stageborging keys``, ``erase`` and ``subject``: the master key, erasure and retention,
and access requests (GDPR art. 15 and 17)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from .. import Actor, Engine, Refused
from ..core import ERASURE_BASES
from ..lifecycles import Kind
from ..privacy import MasterKey
from ._options import (
    OnceGroup,
    db_option,
    existing_db,
    master_key_option,
    parse_actor,
    plugin_options,
    registry,
)

__all__ = ["erase", "keys", "subject"]


@click.group(cls=OnceGroup)
def keys() -> None:
    """Make and rotate the installation's master key (it wraps every subject key)."""


@keys.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write the new key to (it must not exist).")  # fmt: skip
def generate(out: Path) -> None:
    """Write a new random master key (base64) to a file only its owner may read.

    Keep the file outside the database's backups and back it up apart: without it
    no free text can be read. Give it to commands as --key-file, or its content as
    $STAGEBORGING_MASTER_KEY.
    """
    key = MasterKey.generate()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.to_base64() + "\n")
    click.echo(f"wrote a new master key to {out} (readable by its owner only)")


@keys.command()
@db_option
@master_key_option
@click.option("--new-key-file", "new_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The new master key (from 'stageborging keys generate').")  # fmt: skip
def rotate(db: Path | str, master_key: MasterKey | None, new_file: Path) -> None:
    """Re-wrap every subject key under a new master key, in one transaction.

    Give the current key (--key-file or $STAGEBORGING_MASTER_KEY) and the new one.
    When it reports success, use the new key everywhere and destroy the old one:
    the wrapped keys in backups taken before then need the old key, so destroying
    it makes those copies useless too.
    """
    if master_key is None:
        raise click.UsageError(
            "give the current master key: --key-file or $STAGEBORGING_MASTER_KEY"
        )
    new = MasterKey.from_file(new_file)
    with Engine(existing_db(db), master_key=master_key) as engine:
        count = engine.rotate_master_key(new)
    click.echo(f"re-wrapped {count} subject key(s) under the new master key")


def _retention(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, int]:
    """``--retain KIND=DAYS`` (repeatable) as days by kind."""
    retention: dict[str, int] = {}
    kinds = ", ".join(k.value for k in Kind)
    for value in values:
        kind, sep, days = value.partition("=")
        if not sep or kind not in Kind._value2member_map_ or not days.isdigit():
            raise click.BadParameter(f"{value!r}: give KIND=DAYS (kinds: {kinds})", ctx, param)
        if kind in retention:
            raise click.BadParameter(f"{kind} is given twice", ctx, param)
        retention[kind] = int(days)
    return retention


@click.command()
@db_option
@click.argument("subject_id", required=False, metavar="[SUBJECT]")
@click.option("--actor", "actor", metavar="ROLE:ID", callback=parse_actor,
              help="Who erases: privacy_officer:ID (--due: system:retention).")  # fmt: skip
@click.option("--basis", type=click.Choice(ERASURE_BASES),
              help="The legal basis (--due: retention_expired).")  # fmt: skip
@click.option("--due", is_flag=True, help="List the subjects past their retention period.")
@click.option("--retain", "retention", multiple=True, metavar="KIND=DAYS", callback=_retention,
              help="With --due: how long a kind of stream is kept after it ended "
              "(internship=2555, case=1825); a kind not named is kept.")  # fmt: skip
@click.option("--yes", is_flag=True, help="With --due: erase them, not only list them.")
@plugin_options
def erase(
    db: Path | str,
    subject_id: str | None,
    actor: Actor | None,
    basis: str | None,
    due: bool,
    retention: dict[str, int],
    yes: bool,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Erase a subject (a student, or the reporter of a report naming no student).

    Destroys their key and records an 'erased' event on each of their streams: from
    then on their free text is unreadable everywhere, and the audit log still
    verifies. A subject with an open case or a running internship is refused until
    it has ended. With --due (and --retain) it lists the subjects whose streams all
    ended longer ago than their kind is kept, and with --yes erases them, as
    system:retention with the basis retention_expired. No master key is needed:
    erasure destroys, it reads nothing.
    """
    if due == (subject_id is not None):
        raise click.UsageError("give a SUBJECT, or --due")
    if yes and not due:
        raise click.UsageError("--yes goes with --due")
    if due and (actor is not None or basis is not None):
        raise click.UsageError("--due erases as system:retention, basis retention_expired: "
                               "leave out --actor and --basis")  # fmt: skip
    with Engine(existing_db(db), registry=registry(block, config)) as engine:
        if not due:
            if actor is None or basis is None:
                raise click.UsageError("erasing a subject needs --actor and --basis")
            assert subject_id is not None
            try:
                done = engine.erase(subject_id, actor=actor, basis=basis)
            except Refused as refused:
                raise click.ClickException(_refusal(refused)) from None
            click.echo(f"erased {done.subject}: {len(done.streams)} stream(s); "
                       f"{', '.join(done.scrubbed)}")  # fmt: skip
            return
        if not retention:
            raise click.UsageError("--due needs --retain KIND=DAYS (e.g. case=1825)")
        subjects = engine.erasure_due(retention)
        if not yes:
            for subject in subjects:
                click.echo(subject)
            click.echo(f"{len(subjects)} subject(s) past retention; erase them with --yes",
                       err=True)  # fmt: skip
            return
        who = Actor("retention", "system")
        for subject in subjects:  # the files are scrubbed once, after the last
            engine.erase(subject, actor=who, basis="retention_expired", scrub=False)
        scrubbed = engine.store.scrub() if subjects else ()
        click.echo(f"erased {len(subjects)} subject(s) past retention"
                   + (f"; {', '.join(scrubbed)}" if scrubbed else ""))  # fmt: skip


@click.group(cls=OnceGroup)
def subject() -> None:
    """Answer a data-protection request about one subject."""


@subject.command()
@db_option
@click.argument("subject_id", metavar="SUBJECT")
@click.option("--actor", "actor", metavar="ROLE:ID", callback=parse_actor, required=True,
              help="Who exports: privacy_officer:ID, or the subject.")  # fmt: skip
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON to this new file, readable by its owner only (default: "
              "standard output).")  # fmt: skip
@master_key_option
@plugin_options
def export(
    db: Path | str,
    subject_id: str,
    actor: Actor,
    out: Path | None,
    master_key: MasterKey | None,
    block: tuple[str, ...],
    config: dict[str, Any] | None,
) -> None:
    """Write everything held about a subject as JSON (an access request, GDPR art. 15):
    their streams, facts and events, free text in the clear (needs the master key).

    Each stream read is recorded in the access log. Review it before handing it out:
    a report's description may name other people.
    """
    found = registry(block, config)
    # the file first: a path that cannot be written fails before anything is read (and
    # logged); a new file only, readable by its owner (it holds special-category data)
    target = (
        None
        if out is None
        else os.fdopen(
            os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8"
        )
    )
    try:
        with Engine(existing_db(db), master_key=master_key, registry=found) as engine:
            try:
                data = engine.subject_export(subject_id, actor=actor)
            except Refused as refused:
                raise click.ClickException(_refusal(refused)) from None
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if target is None:
            click.echo(text)
            return
        target.write(text + "\n")
    except BaseException:
        if target is not None and out is not None:
            target.close()
            out.unlink(missing_ok=True)  # no half-written export stays behind
        raise
    target.close()
    click.echo(f"wrote {len(data['streams'])} stream(s) about {subject_id} to {out}", err=True)


def _refusal(refused: Refused) -> str:
    """A refusal as the command line says it: what was refused, and each finding's why."""
    reasons = "; ".join(f.message for f in refused.findings if f.blocks)
    return f"{refused}: {reasons}"
