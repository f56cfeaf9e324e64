"""The hard rules: role checks and the guards of DOMAIN.md marked *hard*.

Each guard reads the stream's facts and the command and returns findings; it
never writes. They are attached to transitions and facts by the lifecycle
definitions and cannot be unregistered by plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen

from ..core import Actor, Finding, InvalidInput, InvalidTransition, Role, finding
from ..lifecycles import Effect, Guard, LifecycleDefinition, Transition, validate_data
from ..pluginhost import RecognitionAnswer

__all__ = [
    "Command",
    "check_actor",
    "check_input",
    "check_role",
    "evaluate_guards",
    "transition_input",
]


#: (employer, qualification, on) -> answer; supplied by the engine from the plugins.
Verifier = Callable[[str, str, date], RecognitionAnswer]


@frozen
class Command:
    """One command under evaluation: everything a rule may read."""

    definition: LifecycleDefinition
    state: str
    facts: Mapping[str, Any]
    name: str
    actor: Actor
    data: Mapping[str, Any]
    now: datetime
    roles: Sequence[Role]
    guards: Sequence[Guard]


#: Who may record a signature for which party (DOMAIN §3).
SIGNING_ROLES: Mapping[str, frozenset[Role]] = {
    "student": frozenset({Role.STUDENT}),
    "guardian": frozenset({Role.GUARDIAN}),
    "employer": frozenset({Role.EMPLOYER, Role.WORKPLACE_SUPERVISOR}),
    "school": frozenset({Role.PLACEMENT_OFFICE}),
}


def check_role(cmd: Command) -> list[Finding]:
    """A refusal finding when the actor's role may not fire the command."""
    if cmd.actor.role in cmd.roles:
        return []
    allowed = ", ".join(str(r) for r in cmd.roles)
    return [finding("role.not_allowed", role=cmd.actor.role, command=cmd.name, allowed=allowed)]


def _is_minor_on(details: Mapping[str, Any], day: str) -> bool:
    turns_18 = details.get("turns_18_on")
    return turns_18 is not None and turns_18 > day


def required_parties(facts: Mapping[str, Any]) -> list[str]:
    """The parties that must sign: guardian too for a minor on the planned start."""
    details = facts["details"]
    parties = ["student", "school", "employer"]
    if _is_minor_on(details, details.get("planned_start", "")):
        parties.append("guardian")
    return parties


def _signatures(cmd: Command) -> list[Finding]:
    signed = set(cmd.facts.get("signatures", []))
    missing = [p for p in required_parties(cmd.facts) if p not in signed]
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


def _assessment(cmd: Command) -> list[Finding]:
    return [] if cmd.facts.get("assessment") else [finding("assessment.missing")]


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
    return [
        finding(
            "recognition.not_recognised",
            source=answer.source,
            employer=employer,
            qualification=qualification,
        )
    ]


_GUARDS: Mapping[Guard, Callable[[Command], list[Finding]]] = {
    Guard.SIGNATURES: _signatures,
    Guard.NO_RETROACTIVE_START: _no_retroactive_start,
    Guard.ASSIGNMENT_APPROVAL: _assignment_approval,
    Guard.ASSESSMENT_DECISION: _assessment,
    Guard.CONSENT: _consent,
    Guard.REPORTER_FEEDBACK: _feedback,
    Guard.SIGNATURE_PARTY: _signature_party,
    # the required reason code is enforced by the transition's fields (input validation)
    Guard.REASON_CODE: lambda cmd: [],
}


def evaluate_guards(cmd: Command, verify: Verifier) -> list[Finding]:
    """Every finding of the command's hard guards, in the order they are declared."""
    findings: list[Finding] = []
    for guard in cmd.guards:
        if guard is Guard.RECOGNITION:
            findings.extend(_recognition(cmd, verify))
        else:
            findings.extend(_GUARDS[guard](cmd))
    return findings


def check_input(
    effects: Sequence[Effect], facts: Mapping[str, Any], data: Mapping[str, Any]
) -> None:
    """Input checks that need the stream's facts; raise InvalidInput, write nothing."""
    applications = facts.get("applications", {})
    for effect in effects:
        if effect is Effect.APPLICATION_SENT and data["application"] in applications:
            raise InvalidInput(
                "data.application", data["application"], "an application with this id exists"
            )
        if effect is Effect.APPLICATION_OUTCOME and data["application"] not in applications:
            raise InvalidInput(
                "data.application", data["application"], "no application with this id was sent"
            )


def check_actor(actor: object) -> Actor:
    """*actor* if it is an :class:`Actor`, else InvalidInput."""
    if not isinstance(actor, Actor):
        raise InvalidInput("actor", actor, "must be a stageborging.Actor (id and role)")
    return actor


def transition_input(
    definition: LifecycleDefinition, state: str, trigger: str, data: Mapping[str, Any] | None
) -> tuple[Transition, dict[str, Any]]:
    """The transition *trigger* names and its validated data; InvalidInput if either is off."""
    transition = definition.transitions_by_trigger.get(trigger)
    if transition is None:
        known = ", ".join(definition.transitions_by_trigger)
        raise InvalidInput("trigger", trigger, f"unknown trigger; known: {known}")
    if state not in transition.sources:
        raise InvalidTransition(trigger, state, definition.triggers_from(state))
    return transition, validate_data(transition.fields, data)
