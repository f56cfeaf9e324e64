"""Employers with a memory: a report goes the whole way to a flag a person raised and a
later placement refused; a block or a suspension asks each coach to decide; a
revocation or closure cascades once, in bounded transactions, whatever happens. On both
backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stageborging import AccessRefused, Actor, Engine, InvalidInput, Refused
from stageborging.employers import load_register
from stageborging.engine import RegisterImport
from stageborging.testing import FakeClock
from support import ADVISOR, COACH, HANDLER, PLACEMENT_OFFICE, STUDENT, TEAM_LEAD, journey

CONSENT = {"form": "written", "given_by": "affected_student"}
FLAG = {"reason": "discrimination", "review_on": "2027-06-01", "expires_on": "2028-01-10"}


def refusal(excinfo: pytest.ExceptionInfo[Refused]) -> set[str]:
    return {f.code for f in excinfo.value.findings if f.blocks}


def founded_case(engine: Engine, employer: str = "emp-1") -> str:
    """A report about *employer* that went the whole way to ``founded``."""
    case = engine.report(actor=STUDENT, phase="search", employer=employer, ground="origin",
                         description="They said the place was filled.").stream_id  # fmt: skip
    engine.fire(case, "acknowledge", actor=ADVISOR)
    engine.fire(case, "hold_intake", actor=ADVISOR, data={"signposted": ["sbb_meldpunt"]})
    engine.fire(case, "give_consent", actor=ADVISOR, data=CONSENT)
    engine.record(case, "employer_hearing", actor=HANDLER, data={"held_on": "2027-01-10"})
    engine.fire(case, "record_outcome", actor=HANDLER, data={"outcome": "founded"})
    return case


def proposed(engine: Engine, employer: str = "emp-1", **details: Any) -> str:
    sid = journey(engine).open(**details)
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": employer})
    return sid


def test_a_report_goes_the_whole_way_to_a_later_placement_refused(engine: Engine) -> None:
    """received → consent → hearing → founded → recommendation → block by a person →
    a later placement there refused with a finding that says why, and nothing of the case."""
    case = founded_case(engine)
    recommended = engine.recommend_flag(case, "block", actor=ADVISOR)
    told = [e for e in engine.store.outbox(recommended.stream_id)
            if e.notification.template == "employer.flag_recommended"]  # fmt: skip
    assert [e.notification.recipient_role for e in told] == ["placement_office"]
    assert case not in recommended.data.values()  # the case is sealed: no one else reads it
    engine.raise_flag("emp-1", "block", actor=PLACEMENT_OFFICE, basis="recommendation",
                      recommendation=recommended.seq, **FLAG)  # fmt: skip
    record = engine.employer("emp-1")
    assert [(f.flag, f.active, f.role, f.basis) for f in record.flags] == [
        ("block", True, "placement_office", "recommendation")]  # fmt: skip
    assert record.recommendations == ()  # answered
    sid = proposed(engine)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    (blocked,) = [f for f in info.value.findings if f.code == "employer.blocked"]
    assert blocked.params == {"since": "2027-01-10", "role": "placement_office",
                              "until": "2028-01-10"}  # fmt: skip
    assert case not in blocked.message + blocked.message_nl
    # lifted by a person: the placement goes ahead
    engine.lift_flag("emp-1", "block", actor=TEAM_LEAD, reason="objection_upheld")
    assert engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE).to_state == (
        "employer_verified"
    )


def test_a_case_without_consent_never_reaches_the_employer(engine: Engine) -> None:
    """Registered only: no hearing, no referral, no founded outcome, no block on it."""
    case = engine.report(actor=STUDENT, phase="search", employer="emp-1").stream_id
    engine.fire(case, "acknowledge", actor=ADVISOR)
    engine.fire(case, "hold_intake", actor=ADVISOR, data={"signposted": ["police"]})
    engine.fire(case, "register_only", actor=ADVISOR)
    for command, name, data in (
        (engine.record, "employer_hearing", {"held_on": "2027-01-10"}),
        (engine.fire, "refer", {"to": "sbb_meldpunt"}),
        (engine.fire, "record_outcome", {"outcome": "founded"}),
    ):
        with pytest.raises(Refused):
            command(case, name, actor=HANDLER, data=data)
    with pytest.raises(Refused) as info:
        engine.recommend_flag(case, "block", actor=ADVISOR)
    assert refusal(info) == {"recommendation.not_founded"}
    with pytest.raises(Refused) as info:
        engine.raise_flag("emp-1", "block", actor=PLACEMENT_OFFICE, basis="school_observation",
                          **FLAG)  # fmt: skip
    assert refusal(info) == {"flag.block_basis"}
    assert engine.employer("emp-1").flags == ()


def test_only_people_raise_flags_and_a_recommendation_is_the_advisors(engine: Engine) -> None:
    case = founded_case(engine)
    system = Actor("sis", "system")
    with pytest.raises(Refused) as info:
        engine.raise_flag("emp-1", "watch", actor=system, basis="school_observation", **FLAG)
    assert refusal(info) == {"role.not_allowed"}
    with pytest.raises(Refused) as info:
        engine.recommend_flag(case, "block", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"role.not_allowed"}
    other = founded_case(engine, employer="emp-2")
    with pytest.raises(Refused) as info:  # the link is checked: a case about another employer
        engine.record("employer:emp-1", "recommend_flag", actor=ADVISOR,
                      data={"flag": "watch", "case": other})  # fmt: skip
    assert refusal(info) == {"recommendation.other_employer"}


def test_a_review_flag_needs_a_named_reviewers_approval(engine: Engine) -> None:
    engine.raise_flag("emp-1", "review_before_new_placement", actor=PLACEMENT_OFFICE,
                      basis="school_observation", **FLAG)  # fmt: skip
    sid = proposed(engine)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"employer.review_required"}
    engine.record(sid, "placement_review", actor=TEAM_LEAD, data={"decision": "rejected"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"employer.review_rejected"}
    engine.record(sid, "placement_review", actor=TEAM_LEAD, data={"decision": "approved"})
    assert engine.stream(sid).facts["placement_review"]["role"] == "team_lead"
    engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)


def test_a_review_is_for_the_employer_it_was_given_for(engine: Engine) -> None:
    engine.raise_flag("emp-2", "review_before_new_placement", actor=PLACEMENT_OFFICE,
                      basis="school_observation", **FLAG)  # fmt: skip
    sid = proposed(engine, employer="emp-1")
    engine.record(sid, "placement_review", actor=TEAM_LEAD, data={"decision": "approved"})
    engine.fire(sid, "cancel_placement", actor=COACH, data={"reason": "student_choice"})
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-2"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"employer.review_required"}


def test_a_block_asks_each_coach_and_ends_nothing_by_itself(
    engine: Engine, clock: FakeClock
) -> None:
    """The student must not be the victim: a running placement stays running; its coach
    gets a notice and a proposal to decide on."""
    running = journey(engine, clock).open()
    journey(engine, clock).to_active(running)
    elsewhere = journey(engine, clock).open(student="stu-2")
    journey(engine, clock).to_active(elsewhere, employer="emp-2")
    case = founded_case(engine)
    recommended = engine.recommend_flag(case, "block", actor=ADVISOR)
    engine.raise_flag("emp-1", "block", actor=PLACEMENT_OFFICE, basis="recommendation",
                      recommendation=recommended.seq, **FLAG)  # fmt: skip
    stream = engine.stream(running)
    assert stream.state == "active"
    assert stream.facts["employer_notices"] == ({"notice": "blocked", "since": "2027-02-01"},)
    (item,) = engine.due(role="coach")
    assert (item.stream_id, item.step, item.trigger) == (running, "employer_blocked", "terminate")
    templates = [e.notification.template for e in engine.store.outbox(running)]
    assert "employer.blocked" in templates
    assert "employer_notices" not in engine.stream(elsewhere).facts
    engine.dismiss(running, "employer_blocked", actor=COACH, reason="arranged_otherwise")
    assert engine.due(role="coach") == []


def cohort(engine: Engine, clock: FakeClock, employer: str = "emp-1") -> dict[str, str]:
    """Placements at *employer* in every phase (and one elsewhere, one for another crebo)."""
    sids = {}
    sids["proposed"] = proposed(engine, employer, student="stu-11")
    sids["verified"] = proposed(engine, employer, student="stu-12")
    engine.fire(sids["verified"], "verify_employer", actor=PLACEMENT_OFFICE)
    sids["pending"] = journey(engine, clock).open(student="stu-13")
    journey(engine, clock).to_agreement_pending(sids["pending"], employer=employer)
    sids["running"] = journey(engine, clock).open(student="stu-14")
    journey(engine, clock).to_active(sids["running"], employer=employer)
    sids["other_crebo"] = proposed(engine, employer, student="stu-15", qualification="99999")
    sids["elsewhere"] = proposed(engine, "emp-2", student="stu-16")
    return sids


def test_a_revocation_cascades_once_and_later_placements_are_refused(
    engine: Engine, clock: FakeClock
) -> None:
    sids = cohort(engine, clock)
    clock.advance(days=1)
    engine.revoke_recognition("emp-1", "25604", clock.now.date())
    states = {name: engine.stream(sid).state for name, sid in sids.items()}
    assert states == {"proposed": "assisted_search", "verified": "assisted_search",
                      "pending": "assisted_search", "running": "assisted_search",
                      "other_crebo": "placement_proposed",
                      "elsewhere": "placement_proposed"}  # fmt: skip
    ended = {name: [(e.name, e.data.get("reason"), e.actor.role)
                    for e in engine.history(sids[name])[-2:]]
             for name in ("verified", "running")}  # fmt: skip
    assert ended["verified"] == [("cancel_placement", "recognition_revoked", "system"),
                                 ("request_assistance", None, "system")]  # fmt: skip
    assert ended["running"] == [("terminate", "recognition_revoked", "system"),
                                ("seek_replacement", None, "system")]  # fmt: skip
    before = engine.statistics().events
    engine.revoke_recognition("emp-1", "25604", clock.now.date())  # again: nothing doubles
    assert engine.run_cascades().jobs == 0
    assert engine.statistics().events == before
    assert engine.store.jobs() == []
    again = proposed(engine, "emp-1", student="stu-17")
    with pytest.raises(Refused) as info:
        engine.fire(again, "verify_employer", actor=PLACEMENT_OFFICE)
    assert "employer.recognition_revoked" in refusal(info)
    engine.reinstate_recognition("emp-1", "25604", clock.now.date())
    engine.fire(again, "verify_employer", actor=PLACEMENT_OFFICE)


def test_a_revocation_takes_effect_on_its_day(engine: Engine, clock: FakeClock) -> None:
    sid = proposed(engine)
    on = clock.now.date() + timedelta(days=10)
    engine.revoke_recognition("emp-1", "25604", on)
    assert engine.stream(sid).state == "placement_proposed"
    assert engine.tick().cascaded == 0
    clock.advance(days=10)
    assert engine.tick().cascaded == 1
    assert engine.stream(sid).state == "assisted_search"


def test_a_reinstatement_before_the_day_cascades_nothing(engine: Engine, clock: FakeClock) -> None:
    sid = proposed(engine)
    on = clock.now.date() + timedelta(days=10)
    engine.revoke_recognition("emp-1", "25604", on)
    engine.reinstate_recognition("emp-1", "25604", on - timedelta(days=1))
    clock.advance(days=11)
    assert engine.run_cascades().void == 1
    assert engine.stream(sid).state == "placement_proposed"


def test_a_closure_cascades_for_every_qualification(engine: Engine, clock: FakeClock) -> None:
    sids = cohort(engine, clock)
    engine.close_employer("emp-1", clock.now.date(), actor=PLACEMENT_OFFICE, reason="bankruptcy")
    assert engine.stream(sids["other_crebo"]).state == "assisted_search"
    assert engine.stream(sids["elsewhere"]).state == "placement_proposed"
    assert engine.employer("emp-1").state == "closed_down"
    last = engine.history(sids["running"])[-2]
    assert (last.name, last.data["reason"]) == ("terminate", "employer_closed")


def test_a_suspension_asks_the_coaches_and_stops_new_verifications(
    engine: Engine, clock: FakeClock
) -> None:
    sids = cohort(engine, clock)
    engine.suspend_recognition("emp-1", "25604", clock.now.date())
    assert engine.stream(sids["running"]).state == "active"
    steps = {(i.stream_id, i.step) for i in engine.due(role="coach")}
    assert (sids["running"], "employer_recognition_suspended") in steps
    assert (sids["other_crebo"], "employer_recognition_suspended") not in steps
    with pytest.raises(Refused) as info:
        engine.fire(sids["proposed"], "verify_employer", actor=PLACEMENT_OFFICE)
    assert "employer.recognition_suspended" in refusal(info)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: e.revoke_recognition("emp-1", "25604", "1 March"), "on"),
        (lambda e: e.revoke_recognition("emp 1", "25604", "2027-03-01"), "employer"),
        (lambda e: e.revoke_recognition("emp-1", "crebo 1", "2027-03-01"), "qualification"),
        (lambda e: e.raise_flag("emp-1", "ban", actor=PLACEMENT_OFFICE,
                                basis="school_observation", **FLAG), "data.flag"),
        (lambda e: e.raise_flag("emp-1", "watch", actor=PLACEMENT_OFFICE, basis="gut",
                                **FLAG), "data.basis"),
        (lambda e: e.raise_flag("emp-1", "watch", actor=PLACEMENT_OFFICE,
                                basis="school_observation", reason="discrimination",
                                review_on="2027-06-01", expires_on="2027-05-01"),
         "data.expires_on"),
        (lambda e: e.recommend_flag("no-such-case", "watch", actor=ADVISOR), "case"),
        (lambda e: e.report(actor=STUDENT, phase="search", internship="nope"), "internship"),
        (lambda e: e.suspend_for_case("nope", actor=ADVISOR), "case"),
    ],
)  # fmt: skip
def test_bad_input_is_named_and_writes_nothing(engine: Engine, call: Any, field: str) -> None:
    before = engine.statistics().events
    with pytest.raises(InvalidInput) as error:
        call(engine)
    assert error.value.field == field
    assert engine.statistics().events == before


def test_a_report_links_the_internship_and_its_suspension_stays_opaque(
    engine: Engine, clock: FakeClock
) -> None:
    """A coach reports about a running placement: the student and employer come from it;
    the suspension carries the case sealed, for the confidential advisor only."""
    sid = journey(engine, clock).open()
    journey(engine, clock).to_active(sid)
    case = engine.report(actor=COACH, phase="internship", internship=sid,
                         reporter="staff").stream_id  # fmt: skip
    details = engine.stream(case).facts["details"]
    assert (details["student"], details["employer"]) == ("stu-1", "emp-1")
    event = engine.suspend_for_case(case, actor=ADVISOR)
    assert (event.to_state, event.data["reason"], "case" in event.data) == (
        "suspended", "investigation", False)  # fmt: skip
    (revealed,) = engine.reveal(sid, actor=ADVISOR, seq=event.seq)
    assert revealed.value == case
    with pytest.raises(AccessRefused):  # the placement office sees the reason code only
        engine.reveal(sid, actor=PLACEMENT_OFFICE, seq=event.seq)


def test_a_register_that_no_longer_lists_a_recognition_revokes_it(
    engine: Engine, clock: FakeClock, tmp_path: Any
) -> None:
    """The first import notes what is listed; a later one without it revokes (and
    cascades); the same file again records nothing; listed again: reinstated."""
    sid = journey(engine, clock).open()
    journey(engine, clock).to_active(sid)
    listed, gone = tmp_path / "v1.csv", tmp_path / "v2.csv"
    listed.write_text("employer,crebo,status\nemp-1,25604,recognised\nemp-1,11111,pending\n")
    gone.write_text("employer,crebo,status\nemp-9,25604,recognised\n")
    first = engine.import_register(load_register(listed))
    assert (first.employers, first.listed, first.revoked) == (1, (("emp-1", "25604"),), ())
    assert engine.stream(sid).state == "active"
    second = engine.import_register(load_register(gone))
    assert second.revoked == (("emp-1", "25604"),)
    assert engine.stream(sid).state == "assisted_search"  # terminated, replacement started
    before = engine.statistics().events
    assert engine.import_register(load_register(gone)) == RegisterImport(employers=1)
    assert engine.statistics().events == before
    third = engine.import_register(load_register(listed))
    assert third.reinstated == (("emp-1", "25604"),)
    assert engine.employer("emp-1").recognitions["25604"]["status"] == "reinstated"
