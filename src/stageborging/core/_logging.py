"""Operational logging: structlog loggers routed through the standard ``logging`` module.

A host that configures nothing sees nothing (the ``stageborging`` logger has a
``NullHandler``); a host that configures logging decides handlers and
rendering. Fields are passed as ``extra`` so that structlog's
``ProcessorFormatter`` with ``ExtraAdder`` (as the CLI uses) renders them.
Log lines never carry personal data: stream ids, triggers, roles, outcomes.
"""

from __future__ import annotations

import logging

import structlog

__all__ = ["LOGGER_NAME", "get_logger"]

LOGGER_NAME = "stageborging"


def get_logger(name: str = LOGGER_NAME) -> structlog.stdlib.BoundLogger:
    """A structlog logger over the standard logger *name*, independent of global config."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.render_to_log_kwargs,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return logger
