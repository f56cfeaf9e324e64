"""The SBB recognition register: its file format and reading live in the core
(:mod:`stageborging.employers`), shared with ``stageborging employer import-register``;
this plugin answers recognition questions from it."""

from __future__ import annotations

from stageborging.employers import (
    COLUMNS,
    STATUSES,
    Entry,
    Register,
    RegisterError,
    load_register,
)

__all__ = ["COLUMNS", "STATUSES", "Entry", "Register", "RegisterError", "load_register"]
