"""The root ``stageborging`` group: library errors as messages, logging on stderr.

Exit codes: 0 success, 1 a verified problem (a broken audit chain, an unsound
lifecycle), 2 usage errors, files and databases that cannot be opened, read or
written (an operating-system error on a path is one line, never a traceback).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
import structlog

from .. import __version__
from ..core import LOGGER_NAME
from ..exceptions import StageborgingError
from ._audit import audit
from ._checkpoints import (
    checkpoint,
    export,
    fingerprint,
    keygen,
    prove,
    verify_export_command,
    verify_proof,
)
from ._demo import demo
from ._dispatch import dispatch
from ._events import events
from ._guidance import due, guidance, tick
from ._import import import_csv
from ._lifecycle import lifecycle
from ._migrate import add_version, migrate
from ._monitor import monitor
from ._new_plugin import new_plugin
from ._options import OnceGroup, printable, shown_path
from ._plugins import plugins
from ._privacy import erase, keys, subject
from ._report_page import audit_report
from ._safeguarding import alerts, employer, report
from ._show import show
from ._streams import streams

__all__ = ["main"]


def _configure_logging(verbose: int) -> None:
    """Render the library's log lines on stderr (the library itself never configures)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.ExtraAdder(),
            ],
        )
    )
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


class _Failure(click.ClickException):
    """A library error shown as ``error: …`` with exit status 2 (not a traceback)."""

    exit_code = 2


class _Group(OnceGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StageborgingError as exc:
            raise _Failure(printable(str(exc))) from None
        except BrokenPipeError:  # the reader went away (``| head``): stop, quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
            sys.exit(1)
        except OSError as exc:  # a path the system refuses: too long, not writable …
            where = f"{shown_path(exc.filename)}: " if exc.filename is not None else ""
            raise _Failure(f"{where}{exc.strerror or exc}") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stageborging")
@click.option("-v", "--verbose", count=True, help="Log one line per command on stderr.")
def main(verbose: int) -> None:
    """Safeguard internships: run the demo, show lifecycles, verify the audit log."""
    _configure_logging(verbose)


for _audit_command in (
    show,
    audit_report,
    keygen,
    fingerprint,
    checkpoint,
    prove,
    verify_proof,
    export,
    verify_export_command,
):
    audit.add_command(_audit_command)
lifecycle.add_command(migrate)
lifecycle.add_command(add_version)
for _command in (
    demo,
    audit,
    events,
    streams,
    import_csv,
    lifecycle,
    plugins,
    new_plugin,
    tick,
    due,
    dispatch,
    guidance,
    keys,
    erase,
    subject,
    report,
    employer,
    alerts,
    monitor,
):
    main.add_command(_command)
