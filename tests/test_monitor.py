"""The monitor on a real log, on SQLite and PostgreSQL: what each measure counts, that no
published count is small, that no hidden count can be recomputed, and the boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from attrs import evolve

from stageborging import Actor, Engine, InvalidInput
from stageborging.guidance import WorkingDays
from stageborging.monitoring import Release, Status
from stageborging.testing import Cast, FakeClock, Journey
from support.suppression import determined

SEARCH_DAY = date(2027, 1, 10)  # the fake clock's first day
PLACED_DAY = date(2027, 1, 25)


def journey(engine: Engine, clock: FakeClock, n: int) -> Journey:
    cast = evolve(Cast(), student=Actor(f"s-{n}", "student"))
    return Journey(engine, clock, cast=cast, employer=f"emp-{n}", document=f"doc-{n}")


@pytest.fixture
def cohort(engine: Engine, clock: FakeClock) -> Engine:
    """Six students of prog-a placed 15 days after they began searching, six of prog-b
    and one of prog-c still searching (planned start 2027-02-01)."""
    students: dict[str, list[tuple[Journey, str]]] = {"prog-a": [], "prog-b": [], "prog-c": []}
    n = 0
    for programme, size in (("prog-a", 6), ("prog-b", 6), ("prog-c", 1)):
        for _ in range(size):
            n += 1
            steps = journey(engine, clock, n)
            sid = steps.open(programme=programme, student=f"s-{n}")
            assert steps.search(sid)
            students[programme].append((steps, sid))
    clock.advance(days=(PLACED_DAY - SEARCH_DAY).days)
    for steps, sid in students["prog-a"]:
        assert steps.place(sid)
        assert steps.draft(sid)
        assert steps.sign(sid)
        assert steps.confirm(sid)
    return engine


def assert_safe(release: Release) -> None:
    threshold = release.settings.min_cell
    for table in release.tables:
        for row in (*table.rows, table.total):
            for cell in row.cells:
                if cell.published:
                    assert cell.value is not None
                    assert not 0 < cell.value < threshold
                else:
                    assert cell.value is None
        if not table.counts:  # figures only: no count of it is published
            assert all(c.status is Status.WITHHELD for r in table.rows for c in r.cells)
            continue
        rows = (*table.rows, table.total)
        statuses = [[cell.status for cell in row.cells] for row in rows]
        shape = [[0] * len(statuses[0]) for _ in statuses]  # the solver reads the pattern only
        assert determined(shape, statuses) == set(), table.name


def test_the_measures_count_what_the_log_holds(cohort: Engine) -> None:
    release = cohort.monitor(PLACED_DAY)
    assert_safe(release)
    ttp = release.table("time_to_placement")
    assert ttp.dimensions == ("programme", "level", "track")
    # figures only: the placed count is the allowance table's, never published twice
    assert not ttp.counts
    assert ttp.cell(("prog-a", "4", "BOL"), "placed").status is Status.WITHHELD
    (row,) = ttp.rows  # only prog-a placed anyone
    days = WorkingDays().between(SEARCH_DAY, PLACED_DAY)
    assert row.figures == (days, days, days)  # Q1, median, Q3: all placed on the same day
    without = release.table("without_place")
    assert without.dimensions == ("programme", "level")
    assert without.cell(("prog-c", "4"), "under_4_weeks").status is Status.PRIMARY
    # prog-b's six are not small, but hidden or not, its count is never published as 1..4
    assert without.total.cells[-1].value in (None, 7)
    assert release.suppressed["primary"] >= 2
    # the placed students' agreements record the kit's allowance (a full expense allowance)
    allowance = release.table("allowance")
    assert allowance.cell(("prog-a", "4"), "at_least_expenses").value == 6
    assert allowance.rows[0].figures == (1.0,)


def test_the_log_is_read_as_it_stood_at_the_reference_date(cohort: Engine) -> None:
    earlier = cohort.monitor(PLACED_DAY - timedelta(days=1))
    assert earlier.table("time_to_placement").rows == ()  # nobody placed yet
    assert earlier.table("allowance").rows == ()
    assert earlier.table("without_place").total.cells[-1].value == 13  # all still searching


def test_the_period_and_the_rows_are_chosen(cohort: Engine) -> None:
    later = cohort.monitor(PLACED_DAY, period="2027-03-01..")
    assert later.table("time_to_placement").rows == ()
    by = cohort.monitor(PLACED_DAY, by="programme")
    assert by.table("time_to_placement").dimensions == ("programme",)
    assert {r.key for r in by.table("invitations").rows} <= {("prog-a",), ("prog-b",), ("prog-c",)}


def test_group_splits_come_only_from_the_hosts_file(cohort: Engine, tmp_path: Path) -> None:
    groups = tmp_path / "groups.csv"
    groups.write_text("student,group\n" + "".join(f"s-{n},g{n % 2}\n" for n in range(1, 14)))
    release = cohort.monitor(PLACED_DAY, by="programme", groups=groups)
    ttp = release.table("time_to_placement")
    assert ttp.dimensions == ("programme", "group")
    assert {r.key[1] for r in ttp.rows} == {"g0", "g1"}
    assert_safe(release)
    # prog-a splits 3 / 3: each group too small, so no quartile is shown
    assert all(v is None for r in ttp.rows for v in r.figures)
    with pytest.raises(InvalidInput) as raised:
        cohort.monitor(PLACED_DAY, by="programme,group")
    assert raised.value.field == "by"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_cell": 2}, "min_cell"),
        ({"min_cell": 11}, "min_cell"),
        ({"min_cell": True}, "min_cell"),
        ({"by": "colour"}, "by"),
        ({"by": "programme,programme"}, "by"),
        ({"period": "2027-02-30.."}, "period"),
        ({"period": "2027-2029"}, "period"),
        ({"period": "2027-03-01..2027-02-01"}, "period"),
        ({"at": "2027-02-30"}, "at"),
        ({"groups": {"s-1": 3}}, "groups"),
    ],
)
def test_bad_input_is_named(engine: Engine, kwargs: dict[str, object], field: str) -> None:
    kwargs = dict(kwargs)  # the parameters are shared by both backends
    at = kwargs.pop("at", PLACED_DAY)
    with pytest.raises(InvalidInput) as raised:
        engine.monitor(at, **kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        "group,student\ns-1,a\n",
        "student,group\ns-1\n",
        "student,group\ns-1,a\ns-1,b\n",
        "student,group\ns-1,Total\n",
        "student,group\ns-1,\n",
        "student,group\n" + "".join(f"s-{n},g{n}\n" for n in range(51)),
        "student,group\ns-1," + "g" * 65 + "\n",
    ],
)
def test_a_bad_groups_file_is_named(engine: Engine, tmp_path: Path, text: str) -> None:
    path = tmp_path / "groups.csv"
    path.write_text(text)
    with pytest.raises(InvalidInput) as raised:
        engine.monitor(PLACED_DAY, groups=path)
    assert raised.value.field.startswith("groups")


def test_groups_files_from_spreadsheets_are_read(cohort: Engine, tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark; a Dutch Excel separates by
    semicolons. Both are read; the labels never show in a repr."""
    bom = tmp_path / "bom.csv"
    bom.write_bytes("student,group\n".encode("utf-8-sig") + b"s-1,g1\n")
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("student;group\ns-1;g1\n")
    for path in (bom, semicolons):
        release = cohort.monitor(PLACED_DAY, by="programme", groups=path)
        assert {r.key[1] for r in release.table("time_to_placement").rows} == {"g1", "not_stated"}
        assert "g1" not in repr(release.settings)


def test_the_api_refuses_what_the_cli_refuses(engine: Engine) -> None:
    """Periods, dates and groups are checked alike from Python and the command line."""
    from datetime import date as day

    from stageborging.monitoring import Period

    for call in (
        lambda: Period(day(2027, 8, 1), day(2026, 7, 31)),
        lambda: Period("2026-08-01", None),  # type: ignore[arg-type]
        lambda: engine.monitor(day(9999, 12, 31)),
        lambda: engine.monitor(day(1, 1, 1)),
        lambda: engine.monitor(PLACED_DAY, period="0001-01-01.."),
        lambda: engine.monitor(PLACED_DAY, groups={f"s-{n}": f"g{n}" for n in range(51)}),
        lambda: engine.monitor(PLACED_DAY, groups={"s-1": ""}),
        lambda: engine.monitor(PLACED_DAY, groups=["s-1"]),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidInput):
            call()


def test_reports_are_counted_in_one_table_and_timed_in_another(
    engine: Engine, clock: FakeClock
) -> None:
    """Reports by phase, consent and outcome in one table of counts (so no two tables
    share a total); their response times as figures only, where enough reports got so
    far."""
    handler = Actor("ch-1", "case_handler")
    for n in range(7):
        phase = "search" if n < 6 else "internship"
        case = engine.report(actor=Actor(f"s-{n}", "student"), phase=phase, employer="emp-1")
        engine.fire(case.stream_id, "acknowledge", actor=handler)
    release = engine.monitor(clock().date())
    assert_safe(release)
    outcomes = release.table("report_outcomes")
    assert outcomes.dimensions == ("phase", "consent")
    assert outcomes.total.cells[-1].value == 7
    assert outcomes.cell(("internship", "not_given"), "open").status is Status.PRIMARY
    assert not outcomes.cell(("search", "not_given"), "open").published  # it would give it back
    response = release.table("report_response")
    assert not response.counts
    (search,) = (r for r in response.rows if r.key == ("search",))
    assert search.figures == (0, None)  # acknowledged the same day; no intake yet
    (internship,) = (r for r in response.rows if r.key == ("internship",))
    assert internship.figures == (None, None)  # one report: too few to time


def test_the_store_reads_events_by_type_or_name_in_the_global_order(cohort: Engine) -> None:
    """The store contract's events_of, on both backends: types or names, in position
    order, paged; a bad selector is named."""
    store = cohort.store
    found = store.events_of(("opened",), ("signature",), 0, 1000)
    assert [p for p, _ in found] == sorted(p for p, _ in found)
    assert {e.type for _, e in found} == {"opened", "recorded"}
    assert {e.name for _, e in found if e.type == "recorded"} == {"signature"}
    # the 13 internships, and the employers' streams their placements opened
    opened = [e for _, e in found if e.type == "opened"]
    assert sum(e.lifecycle == "mbo_bpv" for e in opened) == 13
    first = store.events_of(("opened",), (), 0, 5)
    rest = store.events_of(("opened",), (), first[-1][0], 1000)
    assert len(first) == 5
    assert [e for _, e in first + rest] == opened
    assert store.events_of(("opened",), (), 0, 1000, institution="elsewhere") == []
    for types, names in (((), ()), ("opened", ()), ((1,), ())):
        with pytest.raises(InvalidInput):
            store.events_of(types, names, 0, 10)  # type: ignore[arg-type]
