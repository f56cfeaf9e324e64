"""A cohort through half a year with a controllable clock: the defaults' reminders and
escalations fall on the right (working) days, each exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from stageborging import Actor, Engine
from stageborging.testing import FakeClock

from conftest import COACH, OFFICE, STUDENT, details

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIELDS = ["parties", "qualification", "level", "track", "dates", "hours", "allowance",
          "workplace_supervisor", "work_processes", "assessment",
          "termination_conditions"]  # fmt: skip


def _sign(engine: Engine, sid: str, version: int) -> None:
    for party, role in (("student", "student"), ("school", "placement_office"),
                        ("employer", "employer")):  # fmt: skip
        engine.record(sid, "signature", actor=Actor(f"{role}-1", role),
                      data={"party": party, "agreement_version": version})  # fmt: skip


def _draft(engine: Engine, sid: str) -> None:
    data = {"document": "pok-1", "hours_per_week": 32, "fields_present": FIELDS}
    engine.fire(sid, "draft_agreement", actor=OFFICE, data=data)


def test_half_a_year_of_three_students(
    make_engine: Callable[..., Engine], clock: FakeClock
) -> None:
    engine = make_engine(vog_programmes=[], disabled_steps=["hours_check"])  # its own test
    ids: dict[str, str] = {}

    def apply(n: int) -> Callable[[], object]:
        data = {"application": f"b-{n}", "employer": f"lb-{n}"}
        return lambda: engine.record(ids["B"], "application_sent", actor=STUDENT, data=data)

    # what happens on each day (at 10:00 Amsterdam), in order
    plan: dict[str, list[Callable[[], object]]] = {
        "2027-01-11": [
            lambda: ids.update(
                A=engine.open("mbo_bpv", actor=OFFICE, data=details(programme="ict")).stream_id,
                B=engine.open("mbo_bpv", actor=OFFICE, data=details(
                    programme="ict", planned_start="2027-06-07",
                    planned_end="2027-10-29")).stream_id,
                C=engine.open("mbo_bpv", actor=OFFICE, data=details(programme="ict")).stream_id,
            ),
            *(lambda who=who: engine.fire(ids[who], "begin_search", actor=STUDENT)
              for who in "ABC"),
        ],
        "2027-01-12": [
            apply(0),
            *(lambda who=who: engine.fire(ids[who], "propose_placement", actor=STUDENT,
                                          data={"employer": "lb-100"}) for who in "AC"),
        ],
        "2027-01-13": [lambda: [engine.fire(ids[w], "verify_employer", actor=OFFICE)
                                for w in "AC"]],
        "2027-01-14": [apply(1), lambda: [_draft(engine, ids[w]) for w in "AC"]],
        "2027-01-15": [lambda: _sign(engine, ids["A"], 1)],
        "2027-01-18": [apply(2), lambda: engine.fire(ids["A"], "confirm_signatures", actor=OFFICE)],
        "2027-01-20": [apply(3)],  # the fourth application, none invited: stalled
        "2027-02-26": [lambda: _sign(engine, ids["C"], 1)],
        "2027-03-01": [lambda: engine.fire(ids["A"], "start", actor=COACH)],
        "2027-03-02": [lambda: engine.record(ids["A"], "guidance_contact", actor=COACH,
                                             data={"moment": "begin"})],
        "2027-03-03": [
            lambda: engine.fire(ids["C"], "confirm_signatures", actor=OFFICE),  # late
            lambda: engine.fire(ids["C"], "amend_agreement", actor=OFFICE, data={
                "document": "pok-2", "hours_per_week": 32, "reason": "late_confirmation",
                "planned_start": "2027-03-15", "planned_end": "2027-07-16"}),
        ],
        "2027-03-04": [lambda: _sign(engine, ids["C"], 2),
                       lambda: engine.fire(ids["C"], "confirm_signatures", actor=OFFICE)],
        "2027-03-05": [lambda: engine.record(ids["A"], "three_way_talk", actor=COACH)],
        "2027-03-15": [lambda: engine.fire(ids["C"], "start", actor=COACH)],
        "2027-04-22": [lambda: engine.fire(ids["B"], "propose_placement", actor=STUDENT,
                                           data={"employer": "lb-100"})],  # a Thursday
        "2027-05-03": [lambda: engine.fire(ids["B"], "verify_employer", actor=OFFICE)],
        "2027-05-10": [lambda: engine.record(ids["A"], "midterm_review", actor=COACH,
                                             data={"social_safety": "safe"})],
    }  # fmt: skip
    day, ticks = date(2027, 1, 11), Counter[str]()
    while day <= date(2027, 6, 15):
        clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))  # 10:00 local
        for action in plan.get(day.isoformat(), []):
            action()
        clock.set(datetime(day.year, day.month, day.day, 23, tzinfo=UTC))  # the night job
        report = engine.tick()
        ticks[day.isoformat()] = report.missed
        assert engine.tick().missed == 0  # run again at once: nothing twice
        day += timedelta(days=1)

    who = {sid: name for name, sid in ids.items()}
    gaps = sorted(
        (who[g.stream_id], g.step, g.due_at.astimezone(AMSTERDAM).date().isoformat())
        for g in engine.guidance_gaps()
    )
    assert gaps == sorted([
        ("B", "orientation_training", "2027-02-15"),  # T - 16 weeks, never followed
        ("B", "search_stalled", "2027-01-20"),  # the day of the fourth application
        ("B", "search_check_in", "2027-01-25"),  # S + 2 weeks, then every 2 weeks
        ("B", "search_check_in", "2027-02-08"),
        ("B", "search_stalled_weeks", "2027-02-08"),  # S + 4 weeks
        ("B", "search_check_in", "2027-02-22"),  # recorded before the fire moved B on
        ("B", "search_escalation", "2027-02-22"),  # S + 6 weeks: assisted search
        # five working days after Thursday 22 April: King's Day (27 April) does not count
        ("B", "employer_verification", "2027-04-30"),
        ("B", "all_signatures", "2027-05-31"),  # T - 5 working days (T = 7 June)
        ("C", "all_signatures", "2027-02-22"),  # T - 5 working days (T = 1 March)
        ("C", "start_intake", "2027-03-29"),  # two weeks after the rescheduled start
        ("C", "midterm_review", "2027-05-27"),  # 60% of the new plan (15 March-16 July)
    ])  # fmt: skip
    keys = Counter(e.data["deadline"] for sid in ids.values() for e in engine.history(sid)
                   if e.type == "escalated")  # fmt: skip
    assert set(keys.values()) == {1}  # each deadline escalated exactly once
    assert engine.stream(ids["B"]).state == "employer_verified"
    assert engine.stream(ids["C"]).state == "active"
    assert engine.stream(ids["C"]).facts["agreement_version"] == 2
    proposals = {(i.stream_id, i.step) for i in engine.due() if i.kind == "proposal"}
    assert proposals == set()  # B's proposals closed when assisted search was fired
    assert engine.verify().ok
