"""Guidance: the steps institutions register, with their deadlines and escalation."""

from ._calendar import WorkingDays, end_of_day
from ._steps import collect_steps

__all__ = ["WorkingDays", "collect_steps", "end_of_day"]
