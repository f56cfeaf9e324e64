"""``stageborging audit keygen | checkpoint | prove | verify-proof | export |
verify-export``: signed checkpoints of the log's Merkle tree, proofs against them, and
the log exported to verify elsewhere (all read-only on the database)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..audit import (
    Checkpoint,
    check_consistency,
    check_inclusion,
    key_id,
    lines_of,
    load_private_key,
    load_public_key,
    parse_proof,
    read_json,
    verify_export,
    write_key_pair,
)
from ..core import MAX_INT, InvalidInput
from ..store import (
    check_checkpoint,
    make_checkpoint,
    open_store,
    prove_consistency,
    prove_inclusion,
)
from ._options import (
    check_new,
    db_option,
    existing_db,
    given_once,
    iso_moment,
    new_file,
    printable,
    shown_path,
)

__all__ = ["check_against", "checkpoint", "keygen", "prove", "verify_proof"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, path_type=Path)


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in the file *path* (InvalidInput naming it when it is none)."""
    return Checkpoint.from_json(read_json(path, "checkpoint"))


def check_against(db: Path | str, checkpoint: Path, public_key: Path) -> str | None:
    """Why the log of *db* does not extend the checkpoint in the file *checkpoint*, held
    under the trusted key in *public_key*; else None."""
    trusted = load_public_key(public_key)
    held = read_checkpoint(checkpoint)
    store = open_store(existing_db(db), read_only=True)
    try:
        return check_checkpoint(store, held, trusted)
    finally:
        store.close()


def _write(data: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(data, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    with new_file(out) as file:  # never over what was kept
        file.write(text)
    click.echo(f"wrote {shown_path(out)}", err=True)


@click.command()
@click.option("--out", type=_OUT, required=True, metavar="KEYFILE",
              help="The private key's file (new; readable by you only); the public key "
                   "goes beside it as KEYFILE.pub.")  # fmt: skip
def keygen(out: Path) -> None:
    """Make the school's checkpoint key (Ed25519).

    Keep KEYFILE where checkpoints are made, and hand KEYFILE.pub to each auditor
    over a channel you both trust (in person, or on paper with its fingerprint):
    an auditor checks checkpoints against the public key they hold, never against
    a key a checkpoint names.
    """
    if out.suffix.lower() == ".pub":
        raise click.BadParameter(
            f"{shown_path(out)}: names the private key; its public key goes beside it as "
            "KEYFILE.pub",
            param_hint="'--out'",
        )
    public = write_key_pair(out)
    fingerprint = key_id(load_public_key(public))
    click.echo(f"wrote {shown_path(out)} (private) and {shown_path(public)} (public)")
    click.echo(f"fingerprint (key_id): {fingerprint}")


@click.command()
@click.argument("public_key", type=_FILE, metavar="FILE.pub")
def fingerprint(public_key: Path) -> None:
    """Print the fingerprint (key_id) of a public key, to confirm with the school (by
    telephone, on paper) that the key you were handed is theirs."""
    click.echo(key_id(load_public_key(public_key)))


@click.command()
@db_option
@click.option("--key", "key_file", type=_FILE, required=True, metavar="KEYFILE",
              help="The school's private checkpoint key (from audit keygen).")  # fmt: skip
@click.option("--out", type=_OUT, metavar="FILE", help="Write it to this new file.")
def checkpoint(db: Path | str, key_file: Path, out: Path | None) -> None:
    """Sign the head of the log's Merkle tree: every event so far, in the global order.

    Give the checkpoint to whoever must later be able to tell that the log was only
    appended to: an auditor keeps it off-site, and ``audit verify --checkpoint``
    detects any event removed at the tail or changed, removed or inserted before it.
    Read-only: the database is not changed.
    """
    key = load_private_key(key_file)
    store = open_store(existing_db(db), read_only=True)
    try:
        made = make_checkpoint(store, key, datetime.now(UTC))
    finally:
        store.close()
    _write(made.to_json(), out)


@click.command()
@db_option
@click.option("--inclusion", metavar="STREAM:SEQ",
              help="Prove that this event is in the checkpoint's tree.")  # fmt: skip
@click.option("--consistency", nargs=2, type=_FILE, metavar="OLD NEW",
              help="Prove that the older checkpoint's log is a prefix of the newer's.")  # fmt: skip
@click.option("--checkpoint", "held", type=_FILE, metavar="FILE", multiple=True,
              callback=given_once,
              help="With --inclusion: the checkpoint to prove it in.")  # fmt: skip
@click.option("--out", type=_OUT, metavar="FILE", help="Write the proof to this new file.")
def prove(
    db: Path | str,
    inclusion: str | None,
    consistency: tuple[Path, Path] | None,
    held: Path | None,
    out: Path | None,
) -> None:
    """Make a proof from the log: an event's inclusion in a checkpoint's tree, or the
    consistency of two checkpoints (the older one's log is a prefix of the newer's).

    The proof is checked later with ``audit verify-proof``, without the database.
    """
    if (inclusion is None) == (consistency is None):
        raise click.UsageError("give --inclusion STREAM:SEQ --checkpoint FILE, or "
                               "--consistency OLD NEW")  # fmt: skip
    if inclusion is not None and held is None:
        raise click.UsageError("--inclusion needs --checkpoint FILE")
    if consistency is not None and held is not None:
        raise click.UsageError("--checkpoint goes with --inclusion: --consistency takes its "
                               "two checkpoints itself")  # fmt: skip
    if out is not None:
        check_new(out)
    store = open_store(existing_db(db), read_only=True)
    try:
        if inclusion is not None:
            assert held is not None
            stream_id, sep, seq = inclusion.rpartition(":")
            if not sep or not (seq.isascii() and seq.isdecimal()):
                raise click.BadParameter(f"{printable(inclusion)!r}: give STREAM:SEQ",
                                         param_hint="'--inclusion'")  # fmt: skip
            files = {"checkpoint": held}
            proof = _proved(files, lambda: prove_inclusion(store, stream_id, int(seq),
                                                           read_checkpoint(held)))  # fmt: skip
        else:
            assert consistency is not None
            files = {"old": consistency[0], "new": consistency[1]}
            old, new = (read_checkpoint(path) for path in consistency)
            proof = _proved(files, lambda: prove_consistency(store, old, new))
    finally:
        store.close()
    _write(proof, out)


def _proved(files: Mapping[str, Path], make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The proof *make* makes; a checkpoint it refuses is named by its file."""
    try:
        return make()
    except InvalidInput as exc:
        if exc.field not in files:
            raise
        raise click.UsageError(f"{shown_path(files[exc.field])}: {exc.problem}") from None


@click.command("verify-proof")
@click.argument("proof_file", type=_FILE, metavar="PROOF")
@click.option("--checkpoint", "held", type=_FILE, multiple=True, required=True, metavar="FILE",
              help="The checkpoint the proof is in (inclusion), or the older and the newer "
                   "(consistency: give it twice).")  # fmt: skip
@click.option("--public-key", type=_FILE, required=True, metavar="FILE", multiple=True,
              callback=given_once,
              help="The school's public key, as you were handed it (trusted).")  # fmt: skip
def verify_proof(proof_file: Path, held: tuple[Path, ...], public_key: Path) -> None:
    """Check a proof from ``audit prove`` against checkpoints, with no database.

    Each checkpoint's signature is checked against the public key you were handed;
    then the proof against their tree heads. Exit status: 0 it holds, 1 it does not
    (saying why), 2 a file cannot be read.
    """
    trusted = load_public_key(public_key)
    data = read_json(proof_file, "proof")
    kind = "consistency" if isinstance(data, dict) and "old_size" in data else "inclusion"
    proof = parse_proof(data, kind)
    points = [read_checkpoint(path) for path in held]
    wanted = 2 if kind == "consistency" else 1
    if len(points) != wanted:
        raise click.UsageError(
            "an inclusion proof is checked against one checkpoint" if wanted == 1
            else "a consistency proof is checked against two checkpoints: the older, then "
            "the newer"
        )  # fmt: skip
    if kind == "consistency" and points[0].tree_size > points[1].tree_size:
        raise click.UsageError("the checkpoints are given the wrong way round: the older "
                               "(smaller) one first, then the newer")  # fmt: skip
    for path, point in zip(held, points, strict=True):
        problem = point.problem(trusted)
        if problem is not None:
            click.echo(f"DOES NOT HOLD: checkpoint {shown_path(path)}: {problem}")
            sys.exit(1)
    # each checkpoint holds: a proof made for others is the auditor's mix-up, no evidence
    made_for = (
        [(proof["tree_size"], proof["root"])] if kind == "inclusion"
        else [(proof["old_size"], proof["old_root"]), (proof["new_size"], proof["new_root"])]
    )  # fmt: skip
    if made_for != [(point.tree_size, point.root) for point in points]:
        sizes = " and ".join(str(size) for size, _ in made_for)
        raise click.UsageError(f"the proof was made for the checkpoint(s) of {sizes} events, "
                               "not these: give the checkpoint(s) it was made for")  # fmt: skip
    if kind == "inclusion":
        problem = check_inclusion(proof, points[0])
        what = f"event {printable(str(proof['stream_id']))}:{proof['seq']}"
        holds = (f"{what} (its header proved by its hash) is in the log checkpointed at "
                 f"{points[0].time}: leaf {proof['index']} of {points[0].tree_size}")  # fmt: skip
    else:
        problem = check_consistency(proof, points[0], points[1])
        holds = (f"the log of {points[0].tree_size} events checkpointed at {points[0].time} "
                 f"is a prefix of the {points[1].tree_size} checkpointed at {points[1].time}: "
                 "it was only appended to")  # fmt: skip
    if problem is not None:
        click.echo(f"DOES NOT HOLD: {problem}")
        sys.exit(1)
    click.echo(f"holds: {holds}")


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> int | datetime:
    """``--since``: a position in the global order, or an ISO time (with its offset)."""
    if value is None:
        return 0
    digits = value[1:] if value[:1] in "+-" else value
    if digits.isascii() and digits.isdecimal():
        position = int(value) if len(digits) <= 20 else -1
        if not 0 <= position <= MAX_INT:
            raise click.BadParameter(
                f"{printable(value[:24])}: a position is a whole number from 0 (the log's "
                "start) to its last position"
            )
        return position
    if _DAY.fullmatch(value):
        raise click.BadParameter(f"{printable(value)}: give a time with its offset, such as "
                                 f"{value}T00:00:00+01:00 (a day starts at another moment in "
                                 "each time zone)")  # fmt: skip
    return iso_moment(value)


@click.command()
@db_option
@click.option("--stream", "stream_id", metavar="ID", help="Only this stream's events.")
@click.option("--since", callback=_since, metavar="POSITION|ISO",
              help="Only the events after this position in the global order (the "
                   "one cursor to resume from), or recorded from this time on.")  # fmt: skip
@click.option("--out", type=_OUT, metavar="FILE",
              help="Write it to this new file (readable by you only).")  # fmt: skip
def export(db: Path | str, stream_id: str | None, since: int | datetime, out: Path | None) -> None:
    """Write the log as JSON Lines, to verify on another machine (audit verify-export).

    Every event as stored (header and body exactly as hashed; an erased subject's
    body stays as ciphertext whose key is gone), every definition version the
    database stored, the streams' heads. Streams page by page, in flat memory.
    Read-only.
    """
    from ..store import SCHEMA_VERSION, export_lines

    position, moment = (since, None) if isinstance(since, int) else (0, since)
    store = open_store(existing_db(db), read_only=True)
    try:
        lines = export_lines(store, stream_id=stream_id, since=position, from_time=moment,
                             schema=SCHEMA_VERSION)  # fmt: skip
        if out is None:
            for line in lines:
                click.echo(line)
            return
        with new_file(out) as file:  # whole or not at all: a cut export is no export
            for line in lines:
                file.write(line + "\n")
    finally:
        store.close()
    click.echo(f"wrote {shown_path(out)}", err=True)


@click.command("verify-export")
@click.argument("export_file", type=_FILE, metavar="FILE")
@click.option("--checkpoint", "held", type=_FILE, metavar="FILE", multiple=True,
              callback=given_once,
              help="Also check that the log extends this checkpoint (--public-key).")  # fmt: skip
@click.option("--public-key", type=_FILE, metavar="FILE", multiple=True,
              callback=given_once,
              help="The school's public key, as you were handed it.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output for people or for tools.")  # fmt: skip
def verify_export_command(
    export_file: Path, held: Path | None, public_key: Path | None, fmt: str
) -> None:
    """Verify an export with no database: every event's hash and body hash, each
    stream's chain, the definitions the events are stamped with, the streams' heads,
    its end, and (with --checkpoint) that the log extends a checkpoint you kept.

    Exit status: 0 intact, 1 broken (each problem names its line), 2 a file cannot
    be read or is no export, or a part of the log (--since, --stream) was given a
    checkpoint, which covers a whole log (CANNOT JUDGE).
    """
    if (held is None) != (public_key is None):
        raise click.UsageError("--checkpoint and --public-key go together")
    point = None
    if held is not None and public_key is not None:
        point = read_checkpoint(held)
        problem = point.problem(load_public_key(public_key))
        if problem is not None:
            if fmt == "json":
                said = f"the checkpoint does not hold: {problem}"
                click.echo(json.dumps({"ok": False, "checkpoint": {"ok": False, "problem": said}}))
            else:
                click.echo(f"BROKEN: checkpoint {shown_path(held)}: {problem}")
            sys.exit(1)
    with export_file.open(encoding="utf-8", errors="surrogateescape") as file:
        report = verify_export(lines_of(file), point)
    if not report.export:
        raise click.UsageError(f"{shown_path(export_file)}: is not an export (its first line "
                               "starts none): give a file from audit export")  # fmt: skip
    held_verdict = None if held is None else {"ok": report.checkpoint is None,
                                              "judged": report.judged,
                                              "problem": report.checkpoint}  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps({"ok": report.ok, "events": report.events,
                               "streams": report.streams, "definitions": report.definitions,
                               "partial": report.partial, "root": report.root,
                               "problems": list(report.problems),
                               "problem_count": report.problem_count,
                               "checkpoint": held_verdict}, indent=2))  # fmt: skip
    elif report.ok:
        whole = "part of the log" if report.partial else f"tree head {report.root}"
        click.echo(f"intact: {report.events} events of {report.streams} streams, "
                   f"{report.definitions} definition versions ({whole})")  # fmt: skip
        if not report.judged:
            click.echo(f"CANNOT JUDGE: checkpoint {shown_path(held or '')}: it covers a whole "
                       "log, and this export is a part (--since or --stream): export the "
                       "whole log to check it")  # fmt: skip
        elif held is not None:
            click.echo(f"checkpoint {shown_path(held)}: the log extends it (only appended to)")
    else:
        if report.checkpoint is not None:
            click.echo(f"BROKEN: checkpoint {shown_path(held or '')}: {report.checkpoint}")
        if report.problem_count:
            click.echo(f"BROKEN: {report.problem_count} problem(s)")
        for problem in report.problems:
            click.echo(f"  {printable(problem)}")
        if report.problem_count > len(report.problems):
            click.echo(f"  … and {report.problem_count - len(report.problems)} more")
    sys.exit(1 if not report.ok else 0 if report.judged else 2)
