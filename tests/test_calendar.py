"""Working days: weekends, Dutch public holidays and an institution's closures do not count."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stageborging import InvalidInput
from stageborging.guidance import WorkingDays, end_of_day

NL = WorkingDays()
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))


@pytest.mark.parametrize(
    "day",
    ["2027-01-01", "2027-03-29", "2027-04-27", "2027-05-06", "2027-05-17", "2027-12-27"],
)
def test_dutch_public_holidays_and_weekends_are_no_working_days(day: str) -> None:
    """New Year, Easter Monday, King's Day, Ascension, Whit Monday; 27 December 2027 is a
    Monday after a Christmas on the weekend (a working day) except where said."""
    parsed = date.fromisoformat(day)
    expected = parsed == date(2027, 12, 27)
    assert NL.is_working_day(parsed) is expected
    assert not NL.is_working_day(date(2027, 4, 24))  # a Saturday


def test_the_anchor_day_is_day_zero_and_holidays_are_skipped() -> None:
    """Three working days after Friday 23 April 2027: Monday, (King's Day,) Wednesday,
    Thursday."""
    assert NL.add(date(2027, 4, 23), 3) == date(2027, 4, 29)
    assert NL.add(date(2027, 4, 23), 0) == date(2027, 4, 23)
    assert NL.add(date(2027, 4, 29), -3) == date(2027, 4, 23)


def test_liberation_day_counts_only_in_the_category_that_names_it() -> None:
    may_5 = date(2027, 5, 5)  # a Wednesday, a public holiday only every five years
    assert NL.is_working_day(may_5)
    assert not WorkingDays(categories=("public", "optional")).is_working_day(may_5)
    assert not NL.is_working_day(date(2025, 5, 5))  # a lustrum: a public holiday
    assert WorkingDays(categories="optional").categories == ("optional",)  # not its letters


def test_closures_and_open_days_are_the_institutions() -> None:
    study_day = date(2027, 3, 10)
    school = WorkingDays(closures={study_day}, open_days={date(2027, 3, 26)})
    assert not school.is_working_day(study_day)
    assert school.is_working_day(date(2027, 3, 26))  # Good Friday, open here
    assert not NL.is_working_day(date(2027, 3, 26))
    assert school.add(date(2027, 3, 9), 1) == date(2027, 3, 11)


@given(anchor=days, count=st.integers(0, 60))
def test_the_nth_working_day_is_a_working_day_n_working_days_on(anchor: date, count: int) -> None:
    due = NL.add(anchor, count)
    assert NL.between(anchor, due) == count
    if count:
        assert NL.is_working_day(due)
        assert NL.add(due, -count) <= anchor  # back again: the anchor or a day off before
        assert NL.between(anchor, due - timedelta(days=1)) == count - 1


@given(anchor=days, a=st.integers(0, 40), b=st.integers(0, 40))
def test_more_working_days_never_fall_earlier(anchor: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert NL.add(anchor, low) <= NL.add(anchor, high)
    if low < high:
        assert NL.add(anchor, low) < NL.add(anchor, high)


def test_a_deadline_is_due_at_the_end_of_its_local_day() -> None:
    due = end_of_day(date(2027, 4, 29), ZoneInfo("Europe/Amsterdam"))
    assert due.isoformat() == "2027-04-29T23:59:59.999999+02:00"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": 7}, "country"),
        ({"categories": ()}, "categories"),
        ({"categories": ("nonsense",)}, "categories"),
        ({"closures": ["2027-03-10"]}, "closures"),
        ({"open_days": [7]}, "open_days"),
        ({"closures": 20270310}, "closures"),
        ({"categories": 7}, "categories"),
    ],
)
def test_a_calendar_that_cannot_be_used_is_named(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        WorkingDays(**arguments)  # type: ignore[arg-type]
    assert error.value.field == field


@pytest.mark.parametrize("count", [1.5, True, "3", 10**6])
def test_a_count_of_days_must_be_a_whole_number(count: object) -> None:
    with pytest.raises(InvalidInput) as error:
        NL.add(date(2027, 1, 4), count)  # type: ignore[arg-type]
    assert error.value.field == "days"
