"""The rejection-pattern alert from recorded applications: raised on the employer for a
person to review, once per group and window, never below the minimum, never a block; the
first tick of a day runs it. On both backends."""

from __future__ import annotations

import pytest

from stageborging import Engine, Refused
from stageborging.employers import PatternSettings
from stageborging.testing import FakeClock
from support import PLACEMENT_OFFICE, STUDENT, TEAM_LEAD, journey

FLAG = {"reason": "rejection_pattern", "review_on": "2027-06-01", "expires_on": "2028-01-10"}


def apply(engine: Engine, outcomes: dict[str, list[str]], programme: str = "prog-ict") -> None:
    """Students of *programme* who applied at each employer, with these outcomes."""
    for employer, results in outcomes.items():
        for n, outcome in enumerate(results):
            sid = journey(engine).open(student=f"stu-{employer}-{n}", programme=programme)
            app = f"app-{n}"
            engine.record(sid, "application_sent", actor=STUDENT,
                          data={"application": app, "employer": employer})  # fmt: skip
            if outcome != "pending":
                engine.record(sid, "application_outcome", actor=STUDENT,
                              data={"application": app, "outcome": outcome})  # fmt: skip


def cohort(engine: Engine) -> None:
    apply(engine, {
        "lb-bad": ["invited"] + ["rejected"] * 15 + ["no_response"] * 8 + ["pending"] * 5,
        "lb-fair": ["invited", "rejected"] * 15,
        "lb-also": ["invited", "invited", "no_response"] * 10,
        "lb-few": ["rejected"] * 9 + ["withdrawn"] * 3,  # nine known outcomes: too few
    })  # fmt: skip


def test_an_employer_that_keeps_rejecting_gets_one_alert_for_a_person(engine: Engine) -> None:
    cohort(engine)
    run = engine.refresh_alerts()
    tested = {t.employer: t for t in run.tested}
    assert set(tested) == {"lb-bad", "lb-fair", "lb-also"}
    bad = tested["lb-bad"]
    assert (bad.applications, bad.invited) == (24, 1)  # no response is not invited; pending out
    assert [t.employer for t in run.tested if t.flagged] == ["lb-bad"]
    ((employer, seq),) = run.raised
    assert employer == "lb-bad"
    record = engine.employer("lb-bad")
    (alert,) = record.open_alerts
    assert alert.seq == seq
    assert alert.statistics["applications"] == 24
    assert alert.statistics["programme"] == "prog-ict"
    assert record.flags == ()  # an alert never flags by itself
    told = [e.notification for e in engine.store.outbox(record.stream_id)]
    assert [(n.template, n.recipient_role) for n in told] == [
        ("employer.pattern_alert", "placement_office")]  # fmt: skip
    again = engine.refresh_alerts()
    assert (again.raised, again.known) == ((), ("lb-bad",))


def test_a_person_accepts_a_watch_or_dismisses_and_nothing_blocks(engine: Engine) -> None:
    cohort(engine)
    ((_, seq),) = engine.refresh_alerts().raised
    with pytest.raises(Refused) as info:
        engine.raise_flag("lb-bad", "block", actor=PLACEMENT_OFFICE, basis="pattern_alert",
                          alert=seq, **FLAG)  # fmt: skip
    assert {f.code for f in info.value.findings} >= {"flag.alert_watch_only", "flag.block_basis"}
    engine.raise_flag("lb-bad", "watch", actor=TEAM_LEAD, basis="pattern_alert", alert=seq, **FLAG)
    record = engine.employer("lb-bad")
    assert [a.status for a in record.alerts] == ["accepted"]
    assert [(f.flag, f.basis) for f in record.flags] == [("watch", "pattern_alert")]
    with pytest.raises(Refused) as info:
        engine.dismiss_alert("lb-bad", seq, actor=PLACEMENT_OFFICE, reason="explained")
    assert {f.code for f in info.value.findings} == {"alert.not_open"}
    sid = journey(engine).open(student="stu-new")
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "lb-bad"})
    assert engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE).to_state == (
        "employer_verified"
    )  # a watch is attention, not a barrier


def test_a_dismissed_alert_is_not_raised_again_within_the_window(
    engine: Engine, clock: FakeClock
) -> None:
    cohort(engine)
    ((_, seq),) = engine.refresh_alerts().raised
    engine.dismiss_alert("lb-bad", seq, actor=PLACEMENT_OFFICE, reason="already_known")
    assert engine.employer("lb-bad").alerts[0].status == "dismissed"
    clock.advance(days=30)
    assert engine.refresh_alerts().known == ("lb-bad",)
    clock.advance(days=61)  # the applications fall out of the window too
    assert engine.refresh_alerts().tested == ()


def test_the_settings_decide_what_fires(engine: Engine) -> None:
    cohort(engine)
    strict = PatternSettings(min_applications=31)
    assert engine.refresh_alerts(settings=strict).tested == ()
    tiny = PatternSettings(alpha=1e-9)
    run = engine.refresh_alerts(settings=tiny)
    assert (run.raised, len(run.tested)) == ((), 3)


def test_groups_are_compared_within_a_programme(engine: Engine) -> None:
    """The same employer, fair in one programme, compared with that programme only."""
    apply(engine, {"lb-1": ["rejected"] * 14, "lb-2": ["invited"] * 14 + ["rejected"] * 6},
          programme="prog-care")  # fmt: skip
    apply(engine, {"lb-1": ["invited", "rejected"] * 10, "lb-2": ["invited", "rejected"] * 6})
    flagged = {(t.programme, t.employer) for t in engine.refresh_alerts().tested if t.flagged}
    assert flagged == {("prog-care", "lb-1")}


def test_the_first_tick_of_a_day_runs_it_once(engine: Engine, clock: FakeClock) -> None:
    cohort(engine)
    assert engine.tick().alerts == 1
    assert engine.tick().alerts == 0
    clock.advance(days=1)
    assert engine.tick().alerts == 0  # alerted already: known
