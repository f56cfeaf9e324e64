"""Employers: the rejection-pattern statistics (pure functions over counts) and the SBB
recognition register file."""

from ._patterns import PatternSettings, PatternTest, find_patterns, holm, lower_tail
from ._register import COLUMNS, STATUSES, Entry, Register, RegisterError, load_register

__all__ = [
    "COLUMNS",
    "STATUSES",
    "Entry",
    "PatternSettings",
    "PatternTest",
    "Register",
    "RegisterError",
    "find_patterns",
    "holm",
    "load_register",
    "lower_tail",
]
