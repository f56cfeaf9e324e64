"""The hard rules: role checks and the guards of DOMAIN.md marked *hard*.

Each guard reads the stream's facts and the command and returns findings; it
never writes. They are attached to transitions and facts by the lifecycle
definitions and cannot be unregistered by plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from ..core import Actor, Finding, Recognition, Role, finding
from ..lifecycles import (
    Education,
    Guard,
    Kind,
    LifecycleDefinition,
    active_flags,
    recognition_in_effect,
)
from ..pluginhost import RecognitionAnswer
from ._moves import Move

__all__ = [
    "GUARD_CHECKS",
    "Command",
    "Context",
    "Linked",
    "Lookup",
    "Verifier",
    "check_role",
    "evaluate_guards",
    "nothing_linked",
    "required_parties",
]


#: (employer, qualification, on) -> answer; supplied by the engine from the plugins.
Verifier = Callable[[str, str, date], RecognitionAnswer]


class Linked(NamedTuple):
    """Another stream a hard rule reads: its kind, state and facts (read-only)."""

    kind: str
    state: str
    facts: Mapping[str, Any]


#: An id -> the stream it names in the command's institution, if the engine knows one.
Lookup = Callable[[str], "Linked | None"]


def nothing_linked(_: str) -> Linked | None:
    """A lookup that knows no other stream."""
    return None


class Context(NamedTuple):
    """What the hard rules may read besides the command: the recognition verifier, and
    the other streams of the command's institution (an employer by its id, any stream
    by its stream id), as the command's transaction sees them."""

    verify: Verifier
    employer: Lookup = nothing_linked
    stream: Lookup = nothing_linked


#: A guard's check: the command and its context -> findings.
Check = Callable[["Command", Context], list["Finding"]]


class Command(NamedTuple):
    """One command under evaluation: everything a rule may read.

    Attributes:
        definition: The stream's lifecycle definition.
        state: The stream's state now (empty while opening).
        facts: The stream's facts now (read-only to the rules).
        actor: Who gives the command.
        move: What the command would do, its data validated.
        now: The engine clock's time, in the engine's timezone.
    """

    definition: LifecycleDefinition
    state: str
    facts: Mapping[str, Any]
    actor: Actor
    move: Move
    now: datetime

    @property
    def name(self) -> str:
        return self.move.name

    @property
    def data(self) -> Mapping[str, Any]:
        return self.move.data


#: Who may record a signature for which party (DOMAIN §3).
SIGNING_ROLES: Mapping[str, frozenset[Role]] = {
    "student": frozenset({Role.STUDENT}),
    "guardian": frozenset({Role.GUARDIAN}),
    "employer": frozenset({Role.EMPLOYER, Role.WORKPLACE_SUPERVISOR}),
    "school": frozenset({Role.PLACEMENT_OFFICE}),
}


def check_role(cmd: Command) -> list[Finding]:
    """A refusal finding when the actor's role may not fire the command."""
    roles = cmd.move.roles
    if cmd.actor.role in roles:
        return []
    allowed = ", ".join(str(r) for r in roles)
    return [finding("role.not_allowed", role=cmd.actor.role, command=cmd.name, allowed=allowed)]


#: The most hours a week a student under 18 may work (Arbeidstijdenwet).
MINOR_MAX_HOURS_PER_WEEK = 45


def _is_minor_on(details: Mapping[str, Any], day: str) -> bool:
    # Capacity counts on the day of signing. A definition whose opening data has no
    # date (HBO: optional) treats the student as an adult; mbo_bpv requires it.
    turns_18 = details.get("turns_18_on")
    return turns_18 is not None and turns_18 > day


def required_parties(facts: Mapping[str, Any], day: str) -> list[str]:
    """The parties that must sign: guardian too for a minor on *day* (ISO date).

    *day* is the day the agreement is confirmed: capacity counts at signing.
    """
    parties = ["student", "school", "employer"]
    if _is_minor_on(facts["details"], day):
        parties.append("guardian")
    return parties


def _today(cmd: Command) -> str:
    return cmd.now.date().isoformat()


def _signatures(cmd: Command) -> list[Finding]:
    if cmd.definition.education is Education.MBO and "turns_18_on" not in cmd.facts["details"]:
        # Whether a guardian must sign cannot be judged: refuse, never assume an adult.
        return [finding("signatures.age_unknown")]
    signed = set(cmd.facts.get("signatures", []))
    missing = [p for p in required_parties(cmd.facts, _today(cmd)) if p not in signed]
    if not missing:
        return []
    version = cmd.facts.get("agreement_version", 0)
    return [finding("signatures.missing", version=version, missing=", ".join(missing))]


def _no_retroactive_start(cmd: Command) -> list[Finding]:
    start = cmd.facts["details"].get("planned_start")
    confirmed = cmd.facts.get("agreement_confirmed_on")
    today = cmd.now.date().isoformat()
    findings = []
    if start is not None and today < start:
        findings.append(finding("start.date_not_reached", start=start))
    if confirmed is None:
        findings.append(finding("start.agreement_unconfirmed"))
    elif start is not None and confirmed > start:
        findings.append(finding("start.retroactive", confirmed=confirmed, start=start))
    return findings


def _assignment_approval(cmd: Command, ctx: Context) -> list[Finding]:
    found = _employer_standing(cmd, ctx)
    if not cmd.facts.get("assignment_approved"):
        found.append(finding("assignment.not_approved"))
    return found


def _minor_hours(cmd: Command) -> list[Finding]:
    if not _is_minor_on(cmd.facts["details"], _today(cmd)):
        return []
    hours = cmd.facts.get("hours_per_week")
    if hours is None:  # fail closed: a minor's hours must be known
        return [finding("agreement.hours_unknown")]
    if hours > MINOR_MAX_HOURS_PER_WEEK:
        return [finding("agreement.minor_hours", hours=hours, limit=MINOR_MAX_HOURS_PER_WEEK)]
    return []


def _employment_contract(cmd: Command) -> list[Finding]:
    if cmd.facts["details"].get("track") != "BBL":
        return []
    employer = cmd.facts.get("employer")
    if employer is not None and cmd.facts.get("employment_contract") == employer:
        return []
    return [finding("start.no_employment_contract", employer=employer or "-")]


def _assessment(cmd: Command) -> list[Finding]:
    outcome = cmd.facts.get("assessment")
    if outcome == "passed":
        return []
    return [finding("assessment.failed" if outcome == "failed" else "assessment.missing")]


def _assessment_failed(cmd: Command) -> list[Finding]:
    if cmd.facts.get("assessment") == "failed":
        return []
    return [finding("repeat.not_failed", command=cmd.name)]


def _consent(cmd: Command) -> list[Finding]:
    return [] if cmd.facts.get("consent") else [finding("consent.missing", command=cmd.name)]


def _consent_giver(cmd: Command) -> list[Finding]:
    details = cmd.facts["details"]
    if details.get("reporter") == "anonymous":
        return [finding("consent.anonymous")]
    if "student" in details and cmd.data["given_by"] != "affected_student":
        return [finding("consent.not_affected_student")]
    named = "student" in details or details.get("reporter") in (None, "student")
    if not named and cmd.data["given_by"] == "affected_student":
        return [finding("consent.no_student_named")]
    return []


def _outcome_heard(cmd: Command) -> list[Finding]:
    if cmd.data["outcome"] != "founded":
        return []
    if cmd.definition.phase_of.get(cmd.state) == "registered_only":
        return [finding("outcome.registered_only")]
    heard = cmd.facts.get("hearings", 0) > 0 or cmd.facts.get("external_outcome") == "founded"
    return [] if heard else [finding("outcome.not_heard")]


def _employer_standing(cmd: Command, ctx: Context) -> list[Finding]:
    """What the employer's stream holds against the placement (part of the placement
    check of either education): closed down, a block, a review not passed, SBB's
    revocation or suspension of the recognition for the student's qualification."""
    employer = cmd.facts.get("employer")
    if employer is None:  # the placement check names it: no employer proposed
        return []
    linked = ctx.employer(employer)
    if linked is None:  # never referenced here: nothing known against it
        return []
    today = _today(cmd)
    found = []
    if "closed_on" in linked.facts:
        found.append(finding("employer.closed", since=linked.facts["closed_on"]))
    flags = active_flags(linked.facts, today)
    block = flags.get("block")
    if block is not None:
        found.append(finding("employer.blocked", since=block["raised_on"], role=block["role"],
                             until=block["expires_on"]))  # fmt: skip
    review = flags.get("review_before_new_placement")
    if review is not None:
        done = cmd.facts.get("placement_review")
        if done is None or done["employer"] != employer:
            found.append(finding("employer.review_required", since=review["raised_on"],
                                 role=review["role"]))  # fmt: skip
        elif done["decision"] != "approved":
            found.append(finding("employer.review_rejected", since=review["raised_on"]))
    qualification = cmd.facts["details"].get("qualification")
    if isinstance(qualification, str):
        decision = recognition_in_effect(linked.facts, qualification, today)
        if decision is not None:
            found.append(finding(f"employer.recognition_{decision['status']}",
                                 qualification=qualification,
                                 since=decision["effective_on"]))  # fmt: skip
    return found


def _flag_basis(cmd: Command) -> list[Finding]:
    flag, basis, data = cmd.data["flag"], cmd.data["basis"], cmd.data
    found = []
    for field, wanted in (("recommendation", "recommendation"), ("alert", "pattern_alert")):
        if (field in data) != (basis == wanted):
            found.append(finding("flag.basis_mismatch", field=field, basis=basis))
    if flag == "block" and basis not in ("recommendation", "external_decision"):
        found.append(finding("flag.block_basis"))
    if basis == "recommendation" and "recommendation" in data:
        seq = data["recommendation"]
        open_ = [r for r in cmd.facts.get("recommendations", []) if r["seq"] == seq]
        if not open_:
            found.append(finding("flag.no_recommendation", seq=seq))
        elif flag == "block" and open_[0]["flag"] != "block":
            found.append(finding("flag.not_recommended", seq=seq, recommended=open_[0]["flag"]))
    if basis == "pattern_alert":
        if flag != "watch":
            found.append(finding("flag.alert_watch_only", flag=flag))
        seq = data.get("alert")
        alert = cmd.facts.get("alerts", {}).get(str(seq))
        if seq is not None and (alert is None or alert["status"] != "open"):
            found.append(finding("flag.no_open_alert", seq=seq))
    if data["expires_on"] <= _today(cmd):
        found.append(finding("flag.expired", expires=data["expires_on"]))
    return found


def _flag_raised(cmd: Command) -> list[Finding]:
    flag = cmd.data["flag"]
    return [] if flag in cmd.facts.get("flags", {}) else [finding("flag.not_raised", flag=flag)]


def _case_link(cmd: Command, ctx: Context) -> list[Finding]:
    # The case is a sealed field: this rule reads it in the clear to check the link,
    # and its findings never quote it.
    linked = ctx.stream(cmd.move.sealed["case"])
    if linked is None or linked.kind != Kind.CASE:
        return [finding("recommendation.no_case")]
    if linked.facts["details"].get("employer") != cmd.facts["details"]["employer"]:
        return [finding("recommendation.other_employer")]
    if cmd.data["flag"] == "block" and linked.facts.get("outcome") != "founded":
        return [finding("recommendation.not_founded")]
    return []


def _alert_open(cmd: Command) -> list[Finding]:
    seq = cmd.data["alert"]
    alert = cmd.facts.get("alerts", {}).get(str(seq))
    return [] if alert is not None and alert["status"] == "open" else [
        finding("alert.not_open", seq=seq)]  # fmt: skip


def _feedback(cmd: Command) -> list[Finding]:
    return [] if cmd.facts.get("feedback_given") else [finding("feedback.missing")]


def _signature_party(cmd: Command) -> list[Finding]:
    party = cmd.data["party"]
    findings = []
    if cmd.actor.role not in SIGNING_ROLES.get(party, frozenset()):
        findings.append(finding("signature.wrong_party", role=cmd.actor.role, party=party))
    current = cmd.facts.get("agreement_version", 0)
    if current == 0 or cmd.facts.get("employer") is None:
        findings.append(finding("signature.no_agreement"))
    elif cmd.data["agreement_version"] != current:
        findings.append(
            finding("signature.stale_version", given=cmd.data["agreement_version"], current=current)
        )
    return findings


def _recognition(cmd: Command, ctx: Context) -> list[Finding]:
    employer = cmd.facts.get("employer")
    if employer is None:
        return [finding("recognition.no_employer")]
    return _employer_standing(cmd, ctx) + _recognised(cmd, ctx, employer)


def _recognised(cmd: Command, ctx: Context, employer: str) -> list[Finding]:
    """What the recognition verifier answers for the placement at *employer*."""
    qualification = cmd.facts["details"].get("qualification", "")
    answer = ctx.verify(employer, qualification, cmd.now.date())
    if answer.error is not None:
        return [finding("recognition.verifier_failed", plugin=answer.source, error=answer.error)]
    if answer.recognised is None and answer.asked:
        return [finding("recognition.unknown_employer", employer=employer)]
    if answer.recognised is None:
        return [finding("recognition.no_verifier")]
    if answer.recognised:
        return []
    status = answer.status or Recognition.NOT_RECOGNISED
    return [
        finding(
            f"recognition.{status.value}",
            source=answer.source,
            employer=employer,
            qualification=qualification,
        )
    ]


def _reason_code(cmd: Command, ctx: Context) -> list[Finding]:
    # The code itself is a required field of the transition: input validation refused
    # a command without one before any rule ran (and the definition's validation
    # made sure the field is there).
    return []


def _only_facts(check: Callable[[Command], list[Finding]]) -> Check:
    def run(cmd: Command, ctx: Context) -> list[Finding]:
        return check(cmd)

    return run


#: Every hard guard's run-time check, keyed by the Guard it enforces (the static proof
#: reads the same vocabulary from ``stageborging.lifecycles``; a test keeps both complete).
GUARD_CHECKS: Mapping[Guard, Check] = {
    Guard.SIGNATURES: _only_facts(_signatures),
    Guard.NO_RETROACTIVE_START: _only_facts(_no_retroactive_start),
    Guard.RECOGNITION: _recognition,
    Guard.ASSIGNMENT_APPROVAL: _assignment_approval,
    Guard.ASSESSMENT_DECISION: _only_facts(_assessment),
    Guard.ASSESSMENT_FAILED: _only_facts(_assessment_failed),
    Guard.EMPLOYMENT_CONTRACT: _only_facts(_employment_contract),
    Guard.MINOR_HOURS: _only_facts(_minor_hours),
    Guard.CONSENT: _only_facts(_consent),
    Guard.REPORTER_FEEDBACK: _only_facts(_feedback),
    Guard.SIGNATURE_PARTY: _only_facts(_signature_party),
    Guard.REASON_CODE: _reason_code,
    Guard.CONSENT_GIVER: _only_facts(_consent_giver),
    Guard.OUTCOME_HEARD: _only_facts(_outcome_heard),
    Guard.FLAG_BASIS: _only_facts(_flag_basis),
    Guard.FLAG_RAISED: _only_facts(_flag_raised),
    Guard.CASE_LINK: _case_link,
    Guard.ALERT_OPEN: _only_facts(_alert_open),
}


def evaluate_guards(cmd: Command, ctx: Context) -> list[Finding]:
    """Every finding of the command's hard guards, in the order they are declared."""
    findings: list[Finding] = []
    for guard in cmd.move.guards:
        findings.extend(GUARD_CHECKS[guard](cmd, ctx))
    return findings
