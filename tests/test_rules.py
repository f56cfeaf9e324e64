"""The hard rules: every definition enforces them, and every refusal is explained and recorded."""

from __future__ import annotations

from typing import Any

import pytest

from stageborging import (
    Actor,
    Engine,
    EventType,
    InvalidInput,
    InvalidTransition,
    Recognition,
    Refused,
    StreamNotFound,
    hookimpl,
)
from stageborging.testing import FakeClock, Journey
from support import (
    ALL_MBO_FIELDS,
    ASSESSOR,
    CAST,
    COACH,
    EMPLOYER,
    GUARDIAN,
    PLACEMENT_OFFICE,
    STUDENT,
    SYSTEM,
    journey,
    mbo_details,
)


def refusal(excinfo: pytest.ExceptionInfo[Refused]) -> set[str]:
    """The codes of the blocking findings of a refusal."""
    return {f.code for f in excinfo.value.findings if f.blocks}


def snapshot(engine: Engine, sid: str) -> tuple[Any, ...]:
    stream = engine.stream(sid)
    return stream.state, stream.version, stream.head_hash, stream.facts


# -- roles ---------------------------------------------------------------------


def test_a_role_not_allowed_is_refused_and_recorded(engine: Engine) -> None:
    """A coach cannot verify an employer; the attempt is in the log."""
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=COACH)
    assert refusal(info) == {"role.not_allowed"}
    last = engine.history(sid)[-1]
    assert last.type is EventType.REFUSED
    assert last.name == "verify_employer"
    assert last.actor == COACH
    assert engine.stream(sid).state == "placement_proposed"


def test_open_by_a_role_not_allowed_is_refused_without_a_stream(engine: Engine) -> None:
    """A student cannot open their own internship; nothing is written."""
    with pytest.raises(Refused) as info:
        engine.open("mbo_bpv", actor=STUDENT, data=mbo_details(), stream_id="x-1")
    assert info.value.event is None
    with pytest.raises(StreamNotFound):
        engine.stream("x-1")


# -- signatures ----------------------------------------------------------------


def test_confirm_needs_every_required_signature(engine: Engine) -> None:
    """Without the employer's signature the agreement cannot be confirmed."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    engine.record(
        sid, "signature", actor=STUDENT, data={"party": "student", "agreement_version": 1}
    )
    engine.record(
        sid, "signature", actor=PLACEMENT_OFFICE, data={"party": "school", "agreement_version": 1}
    )
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"signatures.missing"}
    assert info.value.findings[0].params["missing"] == "employer"
    engine.record(
        sid, "signature", actor=EMPLOYER, data={"party": "employer", "agreement_version": 1}
    )
    assert (
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE).to_state == "ready_to_start"
    )


def test_a_minor_needs_the_guardian_signature(engine: Engine) -> None:
    """A student not yet 18 on the day of the confirmation needs a guardian's signature too."""
    sid = journey(engine).open(turns_18_on="2027-03-01")
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid, "student", "employer", "school")  # not the guardian
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert info.value.findings[0].params["missing"] == "guardian"
    engine.record(
        sid, "signature", actor=GUARDIAN, data={"party": "guardian", "agreement_version": 1}
    )
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)


def test_a_student_of_18_on_the_confirmation_day_needs_no_guardian(
    engine: Engine, clock: FakeClock
) -> None:
    """Turning 18 on the day of the confirmation itself makes the student an adult then."""
    sid = journey(engine).open(turns_18_on="2027-01-20")
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid, "student", "employer", "school")
    clock.set("2027-01-20")
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)


def test_the_guardian_is_judged_on_the_confirmation_day_not_the_start(engine: Engine) -> None:
    """A student who turns 18 between the confirmation and the start still needs the guardian."""
    sid = journey(engine).open(turns_18_on="2027-01-25")  # confirmed 01-10, starts 02-01
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid, "student", "employer", "school")
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"signatures.missing"}
    assert info.value.findings[0].params["missing"] == "guardian"


def test_mbo_requires_the_date_the_student_turns_18(engine: Engine) -> None:
    """Opening an MBO internship without turns_18_on is invalid: absent never means adult."""
    details = mbo_details()
    del details["turns_18_on"]
    with pytest.raises(InvalidInput, match="turns_18_on"):
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=details)


@pytest.mark.parametrize(("hours", "allowed"), [(45, True), (46, False)])
def test_a_minor_works_at_most_45_hours_a_week(engine: Engine, hours: int, allowed: bool) -> None:
    """A minor's agreement above 45 hours a week cannot be confirmed (Arbeidstijdenwet)."""
    steps = Journey(engine, cast=CAST, details={**mbo_details(), "hours_per_week": hours})
    sid = steps.open(turns_18_on="2027-05-01")
    steps.to_agreement_pending(sid, "emp-1")
    steps.sign(sid)
    if allowed:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
        return
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"agreement.minor_hours"}
    assert info.value.findings[0].params == {"hours": "46", "limit": "45"}


def test_an_adult_may_be_planned_above_45_hours_a_week(engine: Engine) -> None:
    """The 45-hour limit is for minors only."""
    steps = Journey(engine, cast=CAST, details={**mbo_details(), "hours_per_week": 50})
    sid = steps.open()
    assert steps.to_ready_to_start(sid, "emp-1")


def test_the_agreement_states_its_hours_a_week(engine: Engine) -> None:
    """draft_agreement without hours_per_week is invalid input."""
    sid = journey(engine).open()
    journey(engine).search(sid)
    journey(engine).place(sid)
    with pytest.raises(InvalidInput, match="hours_per_week"):
        engine.fire(
            sid, "draft_agreement", actor=PLACEMENT_OFFICE,
            data={"document": "pok-1", "fields_present": ALL_MBO_FIELDS},
        )  # fmt: skip


def test_a_bbl_placement_starts_only_with_an_employment_contract(
    engine: Engine, clock: FakeClock
) -> None:
    """BBL: start is refused until the employment contract with the employer is recorded."""
    sid = journey(engine).open(track="BBL")
    journey(engine).to_ready_to_start(sid)
    clock.set("2027-02-01")
    with pytest.raises(Refused) as info:
        engine.fire(sid, "start", actor=COACH)
    assert refusal(info) == {"start.no_employment_contract"}
    assert info.value.findings[0].params == {"employer": "emp-1"}
    engine.record(sid, "employment_contract", actor=EMPLOYER, data={"employer": "emp-1"})
    assert engine.fire(sid, "start", actor=COACH).to_state == "active"


def test_a_bbl_contract_with_another_employer_does_not_count(
    engine: Engine, clock: FakeClock
) -> None:
    """The employment contract must be with the placement's own employer."""
    sid = journey(engine).open(track="BBL")
    journey(engine).to_agreement_pending(sid)
    engine.record(sid, "employment_contract", actor=EMPLOYER, data={"employer": "emp-other"})
    journey(engine).sign(sid)
    journey(engine).confirm(sid)
    clock.set("2027-02-01")
    with pytest.raises(Refused) as info:
        engine.fire(sid, "start", actor=COACH)
    assert refusal(info) == {"start.no_employment_contract"}


def test_a_bol_placement_needs_no_employment_contract(engine: Engine, clock: FakeClock) -> None:
    """BOL: the student is no employee; start goes ahead without a contract."""
    sid = journey(engine).open(track="BOL")
    assert journey(engine, clock).to_active(sid)


def test_an_amended_agreement_voids_earlier_signatures(engine: Engine) -> None:
    """After an amendment, signatures on version 1 no longer count."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid)
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    amended = {"document": "pok-2", "hours_per_week": 32}
    event = engine.fire(sid, "amend_agreement", actor=PLACEMENT_OFFICE, data=amended)
    assert event.to_state == "agreement_pending"
    assert engine.stream(sid).facts["agreement_version"] == 2
    with pytest.raises(Refused) as info:
        engine.record(
            sid, "signature", actor=STUDENT, data={"party": "student", "agreement_version": 1}
        )
    assert refusal(info) == {"signature.stale_version"}
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert info.value.findings[0].params["missing"] == "student, school, employer"
    journey(engine).sign(sid, version=2)
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)


@pytest.mark.parametrize(
    ("actor", "party"),
    [(STUDENT, "employer"), (EMPLOYER, "school"), (COACH, "school"), (PLACEMENT_OFFICE, "student")],
)
def test_only_the_party_may_sign_for_itself(engine: Engine, actor: Actor, party: str) -> None:
    """A signature's party must match the role that records it (DOMAIN §3)."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    with pytest.raises(Refused) as info:
        engine.record(sid, "signature", actor=actor, data={"party": party, "agreement_version": 1})
    assert refusal(info) & {"signature.wrong_party", "role.not_allowed"}


def test_no_signature_before_an_agreement_exists(engine: Engine) -> None:
    """Signing while still searching is invalid: signatures belong to a pending agreement."""
    sid = journey(engine).open()
    with pytest.raises(InvalidInput) as info:
        engine.record(
            sid, "signature", actor=STUDENT, data={"party": "student", "agreement_version": 1}
        )
    assert info.value.field == "fact"
    assert "only in: agreement_pending, ready_to_start" in str(info.value)


# -- start -----------------------------------------------------------------------


def test_no_start_before_the_planned_start_date(engine: Engine, clock: FakeClock) -> None:
    """Start is refused until the planned start date is reached."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid)
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "start", actor=COACH)
    assert refusal(info) == {"start.date_not_reached"}
    clock.set("2027-02-01")
    assert engine.fire(sid, "start", actor=COACH).to_state == "active"


def test_no_retroactive_start(engine: Engine, clock: FakeClock) -> None:
    """An agreement confirmed after the planned start cannot start the internship."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    journey(engine).sign(sid)
    clock.set("2027-02-03")
    engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "start", actor=COACH)
    assert refusal(info) == {"start.retroactive"}
    finding = info.value.findings[0]
    assert finding.params == {"confirmed": "2027-02-03", "start": "2027-02-01"}
    assert "terugwerkende kracht" in finding.message_nl


# -- recognition and assignment ---------------------------------------------------


@pytest.mark.hook("stageborging_verify_recognition")
def test_unrecognised_employer_is_refused(engine: Engine) -> None:
    """The verifier's 'not recognised' refuses verify_employer, naming the plugin."""
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-unrecognised"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    (finding,) = info.value.findings
    assert finding.code == "recognition.not_recognised"
    assert finding.source == "test-recognition"
    assert finding.params == {"employer": "emp-unrecognised", "qualification": "25604"}
    assert "test-recognition" in {p.name for p in info.value.event.plugins}


def test_without_a_verifier_recognition_fails_closed(db: Any, clock: FakeClock) -> None:
    """No verifier configured: verify_employer is refused with a clear finding."""
    with Engine(db, clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        with pytest.raises(Refused) as info:
            engine.fire(sid, "verify_employer", actor=SYSTEM)
    assert refusal(info) == {"recognition.no_verifier"}
    assert "No recognition verifier is configured" in info.value.findings[0].message


@pytest.mark.hook("stageborging_verify_recognition")
def test_a_verifier_that_answers_none_passes_to_the_next(db: Any, clock: FakeClock) -> None:
    """Verifiers are asked in turn until one knows the employer."""

    class Unsure:
        name = "unsure"

        @hookimpl
        def stageborging_verify_recognition(self) -> None:
            return None

    class Sure:
        name = "sure"

        @hookimpl(tryfirst=False)
        def stageborging_verify_recognition(self) -> bool:
            return True

    with Engine(db, plugins=[Sure(), Unsure()], clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        event = engine.fire(sid, "verify_employer", actor=SYSTEM)
    assert "sure" in {p.name for p in event.plugins}


@pytest.mark.hook("stageborging_verify_recognition")
def test_a_verifier_that_raises_refuses_naming_the_plugin(db: Any, clock: FakeClock) -> None:
    """A broken recognition verifier refuses (fail closed) and is named."""

    class Broken:
        name = "broken-register"

        @hookimpl
        def stageborging_verify_recognition(self) -> bool:
            raise ConnectionError("register offline")

    with Engine(db, plugins=[Broken()], clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        with pytest.raises(Refused) as info:
            engine.fire(sid, "verify_employer", actor=SYSTEM)
    (finding,) = info.value.findings
    assert finding.code == "recognition.verifier_failed"
    assert finding.params["plugin"] == "broken-register"
    assert "ConnectionError" in finding.params["error"]


@pytest.mark.hook("stageborging_verify_recognition")
@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Recognition.RECOGNISED, None),
        ("recognised", None),
        (Recognition.NOT_RECOGNISED, "recognition.not_recognised"),
        (Recognition.NOT_LISTED, "recognition.not_listed"),
        (Recognition.EXPIRED, "recognition.expired"),
        (Recognition.NOT_YET_VALID, "recognition.not_yet_valid"),
        ("suspended", "recognition.suspended"),
        (Recognition.PENDING, "recognition.pending"),
        ("maybe", "recognition.verifier_failed"),
    ],
)
def test_a_verifier_may_say_why_an_employer_is_not_recognised(
    db: Any, clock: FakeClock, answer: object, code: str | None
) -> None:
    """A Recognition answer (or its value) refuses with a finding naming it; a pending one
    leaves the placement waiting in placement_proposed."""

    class Register:
        name = "register"

        @hookimpl
        def stageborging_verify_recognition(self) -> object:
            return answer

    with Engine(db, plugins=[Register()], clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
        if code is None:
            assert engine.fire(sid, "verify_employer", actor=SYSTEM).to_state == "employer_verified"
            return
        with pytest.raises(Refused) as info:
            engine.fire(sid, "verify_employer", actor=SYSTEM)
        (finding,) = info.value.findings
        assert finding.code == code
        assert finding.message_nl != finding.message  # the Dutch catalogue has it too
        assert engine.stream(sid).state == "placement_proposed"


def test_hbo_needs_an_approved_assignment(engine: Engine) -> None:
    """In hbo_stage the programme must approve the assignment before verification."""
    data = {k: v for k, v in mbo_details().items() if k not in ("qualification", "level", "track")}
    sid = engine.open("hbo_stage", actor=PLACEMENT_OFFICE, data=data).stream_id
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    assert refusal(info) == {"assignment.not_approved"}
    engine.record(sid, "assignment_decision", actor=COACH, data={"outcome": "approved"})
    assert (
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE).to_state == "employer_verified"
    )


def test_a_new_placement_needs_a_new_approval(engine: Engine) -> None:
    """Approval belongs to the proposed placement: cancelling it clears the approval."""
    data = {k: v for k, v in mbo_details().items() if k not in ("qualification", "level", "track")}
    sid = engine.open("hbo_stage", actor=PLACEMENT_OFFICE, data=data).stream_id
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    engine.record(sid, "assignment_decision", actor=COACH, data={"outcome": "approved"})
    engine.fire(sid, "cancel_placement", actor=STUDENT, data={"reason": "student_choice"})
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-2"})
    with pytest.raises(Refused):
        engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)


# -- completion, reasons -----------------------------------------------------------


def test_complete_needs_an_assessment_decision(engine: Engine, clock: FakeClock) -> None:
    """The assessor completes only after recording a passed decision."""
    sid = journey(engine).open()
    journey(engine, clock).to_active(sid)
    clock.set("2027-06-30")
    engine.fire(sid, "finish", actor=COACH)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "complete", actor=ASSESSOR)
    assert refusal(info) == {"assessment.missing"}
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "passed"})
    assert engine.fire(sid, "complete", actor=ASSESSOR).to_state == "completed"


@pytest.mark.parametrize("trigger", ["suspend", "terminate"])
def test_a_reason_code_is_required(engine: Engine, clock: FakeClock, trigger: str) -> None:
    """Suspending or terminating without a reason code is invalid input; nothing is written."""
    sid = journey(engine).open()
    journey(engine, clock).to_active(sid)
    before = snapshot(engine, sid)
    with pytest.raises(InvalidInput) as info:
        engine.fire(sid, trigger, actor=COACH)
    assert info.value.field == "data.reason"
    assert snapshot(engine, sid) == before


def test_the_reason_is_recorded_as_a_code(engine: Engine, clock: FakeClock) -> None:
    """The reason code is part of the audited event."""
    sid = journey(engine).open()
    journey(engine, clock).to_active(sid)
    event = engine.fire(sid, "terminate", actor=COACH, data={"reason": "mismatch"})
    assert engine.history(sid)[-1].data == {"reason": "mismatch"} == event.data
    assert engine.fire(sid, "seek_replacement", actor=SYSTEM).to_state == "assisted_search"


# -- cases -------------------------------------------------------------------------


# -- explainable refusals and invalid input -----------------------------------------


def test_a_refusal_carries_every_finding_in_both_languages(engine: Engine) -> None:
    """All blocking findings are reported at once, each in English and Dutch."""
    sid = journey(engine).open(turns_18_on="2027-05-01")
    journey(engine).to_agreement_pending(sid)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "confirm_signatures", actor=COACH)  # wrong role and no signatures
    assert refusal(info) == {"role.not_allowed", "signatures.missing"}
    for finding in info.value.findings:
        assert finding.message
        assert finding.message_nl
        assert finding.message != finding.message_nl
        assert finding.source == "stageborging"
    recorded = engine.history(sid)[-1]
    assert recorded.findings == info.value.findings
    assert recorded == info.value.event


def test_a_refusal_changes_nothing_but_its_event(engine: Engine) -> None:
    """State and facts stay; the version grows by the one refusal event."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    state, version, _, facts = snapshot(engine, sid)
    with pytest.raises(Refused):
        engine.fire(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    after = engine.stream(sid)
    assert (after.state, after.version, after.facts) == (state, version + 1, facts)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e, s: e.fire(s, "fly", actor=STUDENT), "trigger"),
        (lambda e, s: e.fire(s, "start", actor=COACH), "trigger"),
        (lambda e, s: e.fire(s, "begin_search", actor=STUDENT, data={"note": "hi"}), "data.note"),
        (
            lambda e, s: e.record(s, "guidance_contact", actor=COACH, data={"moment": 1}),
            "data.moment",
        ),
        (lambda e, s: e.record(s, "hours", actor=STUDENT, data={"hours": 8}), "fact"),
        (
            lambda e, s: e.record(
                s, "application_sent", actor=STUDENT, data={"application": "a 1", "employer": "e"}
            ),
            "data.application",
        ),
        (lambda e, s: e.record(s, "midterm", actor=COACH, data={}), "fact"),
        (lambda e, s: e.record(s, "guidance_contact", actor=COACH), "data.moment"),
        (
            lambda e, s: e.record(
                s,
                "application_outcome",
                actor=STUDENT,
                data={"application": "a-9", "outcome": "invited"},
            ),
            "data.application",
        ),
        (lambda e, s: e.fire(s, "begin_search", actor=("stu-1", "student")), "actor"),
        (lambda e, s: e.fire("no-such-stream", "begin_search", actor=STUDENT), "stream_id"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(
    engine: Engine, call: Any, field: str
) -> None:
    """Malformed input raises InvalidInput naming the field; the stream is untouched."""
    sid = journey(engine).open()
    before = snapshot(engine, sid)
    events = engine.statistics().events
    with pytest.raises(InvalidInput) as info:
        call(engine, sid)
    assert info.value.field == field
    assert field in str(info.value)
    assert snapshot(engine, sid) == before
    assert engine.statistics().events == events


def test_invalid_transition_names_what_is_allowed(engine: Engine) -> None:
    """Firing from the wrong state says which triggers are allowed there."""
    sid = journey(engine).open()
    with pytest.raises(InvalidTransition) as info:
        engine.fire(sid, "start", actor=COACH)
    assert info.value.state == "orientation"
    assert "begin_search" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("planned_start", "2027-13-01"),
        ("planned_end", "2027-01-01"),
        ("level", 5),
        ("track", "DUAL"),
        ("student", "Jan Jansen"),
    ],
)
def test_open_validates_every_field(engine: Engine, field: str, value: Any) -> None:
    """Opening data is checked field by field; names with spaces are not ids."""
    with pytest.raises(InvalidInput) as info:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(**{field: value}))
    assert info.value.field == f"data.{field}"
    assert engine.statistics().events == 0


def test_opening_takes_nothing_else_about_the_student(engine: Engine) -> None:
    """Fields beyond the domain's list (a name, a birth date) are refused."""
    with pytest.raises(InvalidInput) as info:
        engine.open("mbo_bpv", actor=PLACEMENT_OFFICE, data=mbo_details(name="Jan"))
    assert info.value.field == "data.name"


def test_unknown_role_is_invalid_input() -> None:
    """An actor with an unknown role cannot even be built."""
    with pytest.raises(InvalidInput) as info:
        Actor("x-1", "principal")
    assert info.value.field == "actor.role"


def test_dry_run_reports_without_writing(engine: Engine) -> None:
    """check() gives the decision and findings and leaves the stream as it was."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    before = snapshot(engine, sid)
    decision = engine.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE)
    assert not decision.allowed
    assert [f.code for f in decision.blocking] == ["signatures.missing"]
    assert (decision.from_state, decision.to_state) == ("agreement_pending", "ready_to_start")
    assert snapshot(engine, sid) == before
    journey(engine).sign(sid)
    assert engine.check(sid, "confirm_signatures", actor=PLACEMENT_OFFICE).allowed


def test_every_event_is_stamped_with_the_definition_digest(engine: Engine) -> None:
    """An auditor can tell which definition was in force for each event."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    assert {e.definition for e in engine.history(sid)} == {engine.lifecycle("mbo_bpv").digest}


def test_default_rules_check_the_agreement_fields(engine: Engine) -> None:
    """draft_agreement is refused (by the default rules) when required fields are missing."""
    sid = journey(engine).open()
    engine.fire(sid, "begin_search", actor=STUDENT)
    engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-1"})
    engine.fire(sid, "verify_employer", actor=PLACEMENT_OFFICE)
    fields = [f for f in ALL_MBO_FIELDS if f != "work_processes"]
    with pytest.raises(Refused) as info:
        engine.fire(
            sid, "draft_agreement", actor=PLACEMENT_OFFICE,
            data={"document": "pok-1", "fields_present": fields, "hours_per_week": 32},
        )  # fmt: skip
    (finding,) = info.value.findings
    assert (finding.code, finding.source) == ("agreement.fields_missing", "stageborging.defaults")
    assert finding.params == {"missing": "work_processes"}


@pytest.mark.hook("stageborging_verify_recognition")
def test_an_employer_no_verifier_knows_is_refused(db: Any, clock: FakeClock) -> None:
    """Verifiers exist but none knows the employer: a finding that says exactly that."""

    class Partial:
        name = "partial-register"

        @hookimpl
        def stageborging_verify_recognition(self, employer: str) -> bool | None:
            return True if employer == "emp-known" else None

    with Engine(db, plugins=[Partial()], clock=clock) as engine:
        sid = journey(engine).open()
        engine.fire(sid, "begin_search", actor=STUDENT)
        engine.fire(sid, "propose_placement", actor=STUDENT, data={"employer": "emp-other"})
        with pytest.raises(Refused) as info:
            engine.fire(sid, "verify_employer", actor=SYSTEM)
    assert refusal(info) == {"recognition.unknown_employer"}
    assert info.value.findings[0].params == {"employer": "emp-other"}


def test_integers_stay_within_the_canonical_range(engine: Engine) -> None:
    """An unbounded integer field still refuses values JSON cannot carry exactly."""
    sid = journey(engine).open()
    journey(engine).to_agreement_pending(sid)
    with pytest.raises(InvalidInput) as info:
        engine.record(
            sid, "signature", actor=STUDENT, data={"party": "student", "agreement_version": 2**53}
        )
    assert info.value.field == "data.agreement_version"


def _to_assessment(engine: Engine, clock: FakeClock) -> str:
    sid = journey(engine).open()
    journey(engine, clock).to_active(sid)
    engine.record(sid, "hours", actor=STUDENT, data={"hours": 400})
    clock.set("2027-06-30")
    engine.fire(sid, "finish", actor=COACH)
    return sid


def test_the_assessor_completes_not_the_exam_committee(engine: Engine, clock: FakeClock) -> None:
    """By default the school's assessor decides and completes; the exam committee may not."""
    sid = _to_assessment(engine, clock)
    exam = Actor("exam-1", "exam_committee")
    with pytest.raises(Refused) as info:
        engine.record(sid, "assessment_decision", actor=exam, data={"outcome": "passed"})
    assert refusal(info) == {"role.not_allowed"}
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "passed"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "complete", actor=exam)
    assert refusal(info) == {"role.not_allowed"}


def test_a_failed_assessment_never_completes(engine: Engine, clock: FakeClock) -> None:
    """complete is refused after a failed decision: the assessment_decision guard needs passed."""
    sid = _to_assessment(engine, clock)
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "failed"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "complete", actor=ASSESSOR)
    assert refusal(info) == {"assessment.failed"}
    assert engine.stream(sid).state == "assessment"


REPEAT = {
    "reason": "work_processes_not_shown",
    "document": "pok-2",
    "hours_per_week": 32,
    "planned_start": "2027-09-01",
    "planned_end": "2027-12-20",
}


def test_a_repeat_needs_a_failed_assessment(engine: Engine, clock: FakeClock) -> None:
    """repeat_placement is refused without a failed decision, or after a passed one."""
    sid = _to_assessment(engine, clock)
    with pytest.raises(Refused) as info:
        engine.fire(sid, "repeat_placement", actor=COACH, data=REPEAT)
    assert refusal(info) == {"repeat.not_failed"}
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "passed"})
    with pytest.raises(Refused) as info:
        engine.fire(sid, "repeat_placement", actor=COACH, data=REPEAT)
    assert refusal(info) == {"repeat.not_failed"}


def test_a_failed_assessment_leads_to_a_repeated_period(engine: Engine, clock: FakeClock) -> None:
    """After a failure the period is repeated: new agreement, new dates, signed and passed again."""
    sid = _to_assessment(engine, clock)
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "failed"})
    event = engine.fire(sid, "repeat_placement", actor=COACH, data=REPEAT)
    assert (event.to_state, event.data["reason"]) == ("agreement_pending", REPEAT["reason"])
    facts = engine.stream(sid).facts
    assert facts["agreement_version"] == 2
    assert facts["signatures"] == ()
    assert facts["assessment"] is None
    assert facts["repeats"] == 1
    assert facts["hours"] == 400  # the hours worked stay on record
    assert (facts["details"]["planned_start"], facts["details"]["planned_end"]) == (
        "2027-09-01",
        "2027-12-20",
    )
    journey(engine).sign(sid)
    journey(engine).confirm(sid)
    journey(engine, clock).start(sid)
    clock.set("2027-12-20")
    engine.fire(sid, "finish", actor=COACH)
    engine.record(sid, "assessment_decision", actor=ASSESSOR, data={"outcome": "passed"})
    assert engine.fire(sid, "complete", actor=ASSESSOR).to_state == "completed"
