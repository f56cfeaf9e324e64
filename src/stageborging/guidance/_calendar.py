"""Working days: the calendar guidance deadlines count in.

A working day is a weekday that is no public holiday (as the maintained ``holidays``
library lists them for the country, the Netherlands by default) and no closure day
the institution configures; an institution may also name days it is open despite a
holiday. A deadline of N working days after an anchor falls at the **end of the Nth
working day after the anchor's local date**, the anchor day itself being day 0: a
step due 3 working days after a report on Friday 23 April 2027 is due at the end of
Thursday 29 April (Monday 26, Wednesday 28, Thursday 29: King's Day, Tuesday 27,
does not count).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

import holidays
from attrs import field, frozen

from ..core import InvalidInput

__all__ = ["WorkingDays", "end_of_day"]

#: The most working days a deadline may count (about forty years).
MAX_DAYS = 10_000


@functools.lru_cache(maxsize=256)
def _holidays(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    """The public holidays of *country* in *year* (one library call per year, cached)."""
    found = holidays.country_holidays(country, years=year, categories=categories)
    return frozenset(found)


def _dates(field_name: str, values: Iterable[date]) -> frozenset[date]:
    if not isinstance(values, Iterable):
        raise InvalidInput(field_name, values, "must be a list of dates (datetime.date)")
    days = frozenset(values)
    for day in days:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInput(field_name, day, "must be dates (datetime.date)")
    return days


def _closures(values: Iterable[date]) -> frozenset[date]:
    return _dates("closures", values)


def _open_days(values: Iterable[date]) -> frozenset[date]:
    return _dates("open_days", values)


def _country(value: object) -> str:
    if not isinstance(value, str) or value not in holidays.list_supported_countries():
        raise InvalidInput("country", value, "must be a country code the holidays library knows")
    return value


def _categories(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)  # one category, not its letters
    if not isinstance(value, Iterable):
        raise InvalidInput("categories", value, "must name holiday categories ('public', …)")
    found = tuple(value)
    if not found or not all(isinstance(c, str) for c in found):
        raise InvalidInput("categories", found, "must name holiday categories ('public', …)")
    return found


@frozen
class WorkingDays:
    """The working days of an institution.

    Attributes:
        country: The country whose public holidays do not count (ISO code, ``NL``).
        categories: The library's holiday categories that do not count: ``public``
            by default; ``optional`` adds Liberation Day in the years it is no
            public holiday.
        closures: Days the institution is closed (a study day, the week between
            Christmas and New Year).
        open_days: Days it is open although they are holidays.
    """

    country: str = field(default="NL", converter=_country)
    categories: tuple[str, ...] = field(default=("public",), converter=_categories)
    closures: frozenset[date] = field(factory=frozenset, converter=_closures)
    open_days: frozenset[date] = field(factory=frozenset, converter=_open_days)

    def __attrs_post_init__(self) -> None:
        try:
            _holidays(self.country, self.categories, 2027)
        except (NotImplementedError, ValueError):
            raise InvalidInput(
                "categories", self.categories, f"not all are categories of {self.country}"
            ) from None

    def is_working_day(self, day: date) -> bool:
        """Whether *day* is a working day."""
        if day in self.open_days:
            return True
        if day.weekday() >= 5 or day in self.closures:
            return False
        return day not in _holidays(self.country, self.categories, day.year)

    def add(self, anchor: date, days: int) -> date:
        """The Nth working day after *anchor* (day 0); for a negative *days*, before it;
        *anchor* itself for 0."""
        if isinstance(days, bool) or not isinstance(days, int) or abs(days) > MAX_DAYS:
            raise InvalidInput("days", days, f"must be a whole number within ±{MAX_DAYS}")
        step = timedelta(days=1 if days > 0 else -1)
        day, left = anchor, abs(days)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """How many working days come after *start* up to and including *end* (0 when
        *end* is not after *start*)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The last moment of *day* in *tz*: when a deadline that falls on it is due."""
    return datetime.combine(day, time.max, tzinfo=tz)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first moment of *day* in *tz*: when what takes effect on it begins."""
    return datetime.combine(day, time.min, tzinfo=tz)
