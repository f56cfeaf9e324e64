"""Guidance: the steps institutions register, with their deadlines and escalation."""

from ._calendar import WorkingDays, end_of_day
from ._escalation import TEMPLATES, escalation, notice, proposal
from ._items import DueItem, Gap
from ._schedule import Happened, Scheduler, settings_of
from ._steps import collect_steps

__all__ = [
    "TEMPLATES",
    "DueItem",
    "Gap",
    "Happened",
    "Scheduler",
    "WorkingDays",
    "collect_steps",
    "end_of_day",
    "escalation",
    "notice",
    "proposal",
    "settings_of",
]
