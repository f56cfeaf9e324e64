"""Monitoring: the aggregate figures a school accounts for its safeguarding with, and the
small-cell suppression that keeps them from identifying anyone."""

from ._collect import Collector
from ._html import release_html
from ._measures import MEASURES, Release, measure, study_year
from ._render import SCHEMA, as_json, release_csv, release_json, release_text, table_text
from ._settings import (
    DIMENSIONS,
    MonitorSettings,
    Period,
    check_day,
    check_groups,
    load_groups,
    parse_period,
)
from ._suppression import Status, exposed, suppress
from ._tables import Cell, Figure, Row, Table, Tally

__all__ = [
    "DIMENSIONS",
    "MEASURES",
    "SCHEMA",
    "Cell",
    "Collector",
    "Figure",
    "MonitorSettings",
    "Period",
    "Release",
    "Row",
    "Status",
    "Table",
    "Tally",
    "as_json",
    "check_day",
    "check_groups",
    "exposed",
    "load_groups",
    "measure",
    "parse_period",
    "release_csv",
    "release_html",
    "release_json",
    "release_text",
    "study_year",
    "suppress",
    "table_text",
]
