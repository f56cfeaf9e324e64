"""Guidance: the steps institutions register, with their deadlines and escalation."""

from ._calendar import WorkingDays, end_of_day, start_of_day
from ._escalation import TEMPLATES, escalation, notice, proposal
from ._hours import active_days, hours_on_track
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
    "active_days",
    "collect_steps",
    "end_of_day",
    "escalation",
    "hours_on_track",
    "notice",
    "proposal",
    "settings_of",
    "start_of_day",
]
