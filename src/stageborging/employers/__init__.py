"""Employers: the rejection-pattern statistics (pure functions over counts)."""

from ._patterns import PatternSettings, PatternTest, find_patterns, holm, lower_tail

__all__ = ["PatternSettings", "PatternTest", "find_patterns", "holm", "lower_tail"]
