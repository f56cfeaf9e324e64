"""Guidance: the steps institutions register, with their deadlines and escalation."""

from ._steps import collect_steps

__all__ = ["collect_steps"]
