"""The *default* rules of DOMAIN.md §4, as a plugin an institution may replace.

Hard rules are not here: they live in the lifecycle definitions' guards and
cannot be unregistered. These defaults can be turned off with
``Engine(..., defaults=False)`` and replaced by an institution's own checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core import Finding, Stream, finding
from ..hookspecs import hookimpl
from ..lifecycles import Transition

__all__ = ["DefaultRules"]


class DefaultRules:
    """Required agreement fields on ``draft_agreement``; end date or hours on ``finish``."""

    name = "stageborging.defaults"

    @hookimpl
    def stageborging_check_transition(
        self, stream: Stream, transition: Transition, data: Mapping[str, Any], now: datetime
    ) -> list[Finding] | None:
        if transition.trigger == "finish":
            return self._finish(stream, now)
        present = next((f for f in transition.fields if f.name == "fields_present"), None)
        if present is None:
            return None
        missing = [code for code in present.codes if code not in data.get("fields_present", ())]
        if missing:
            return [finding("agreement.fields_missing", missing=", ".join(missing))]
        return None

    @staticmethod
    def _finish(stream: Stream, now: datetime) -> list[Finding] | None:
        details = stream.facts["details"]
        end, planned = details.get("planned_end"), details.get("planned_hours")
        hours = stream.facts.get("hours", 0)
        end_reached = end is not None and now.date().isoformat() >= end
        hours_met = planned is not None and hours >= planned
        if end_reached or hours_met:
            return None
        return [finding("finish.too_early", end=end, hours=hours, planned=planned)]
