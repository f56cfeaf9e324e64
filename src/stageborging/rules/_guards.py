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
from ..lifecycles import Education, Guard, LifecycleDefinition
from ..pluginhost import RecognitionAnswer
from ._moves import Move

__all__ = [
    "GUARD_CHECKS",
    "Command",
    "Verifier",
    "check_role",
    "evaluate_guards",
    "required_parties",
]


#: (employer, qualification, on) -> answer; supplied by the engine from the plugins.
Verifier = Callable[[str, str, date], RecognitionAnswer]
#: A guard's check: the command and the verifier -> findings.
Check = Callable[["Command", Verifier], list["Finding"]]


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


def _assignment_approval(cmd: Command) -> list[Finding]:
    if cmd.facts.get("assignment_approved"):
        return []
    return [finding("assignment.not_approved")]


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


def _recognition(cmd: Command, verify: Verifier) -> list[Finding]:
    employer = cmd.facts.get("employer")
    if employer is None:
        return [finding("recognition.no_employer")]
    qualification = cmd.facts["details"].get("qualification", "")
    answer = verify(employer, qualification, cmd.now.date())
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


def _reason_code(cmd: Command, verify: Verifier) -> list[Finding]:
    # The code itself is a required field of the transition: input validation refused
    # a command without one before any rule ran (and the definition's validation
    # made sure the field is there).
    return []


def _only_facts(check: Callable[[Command], list[Finding]]) -> Check:
    def run(cmd: Command, verify: Verifier) -> list[Finding]:
        return check(cmd)

    return run


#: Every hard guard's run-time check, keyed by the Guard it enforces (the static proof
#: reads the same vocabulary from ``stageborging.lifecycles``; a test keeps both complete).
GUARD_CHECKS: Mapping[Guard, Check] = {
    Guard.SIGNATURES: _only_facts(_signatures),
    Guard.NO_RETROACTIVE_START: _only_facts(_no_retroactive_start),
    Guard.RECOGNITION: _recognition,
    Guard.ASSIGNMENT_APPROVAL: _only_facts(_assignment_approval),
    Guard.ASSESSMENT_DECISION: _only_facts(_assessment),
    Guard.ASSESSMENT_FAILED: _only_facts(_assessment_failed),
    Guard.EMPLOYMENT_CONTRACT: _only_facts(_employment_contract),
    Guard.MINOR_HOURS: _only_facts(_minor_hours),
    Guard.CONSENT: _only_facts(_consent),
    Guard.REPORTER_FEEDBACK: _only_facts(_feedback),
    Guard.SIGNATURE_PARTY: _only_facts(_signature_party),
    Guard.REASON_CODE: _reason_code,
}


def evaluate_guards(cmd: Command, verify: Verifier) -> list[Finding]:
    """Every finding of the command's hard guards, in the order they are declared."""
    findings: list[Finding] = []
    for guard in cmd.move.guards:
        findings.extend(GUARD_CHECKS[guard](cmd, verify))
    return findings
