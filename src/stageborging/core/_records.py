"""Value objects shared by every layer: actors, findings, decisions, events, streams."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from ._convert import parse_enum
from ._errors import InvalidInput

__all__ = [
    "Actor",
    "Decision",
    "Event",
    "EventType",
    "Finding",
    "GuidanceStep",
    "Notification",
    "OutboxEntry",
    "PluginInfo",
    "PluginProblem",
    "PluginStatus",
    "Role",
    "Severity",
    "Statistics",
    "Stream",
    "check_identifier",
    "parse_role",
]

#: Pseudonymous ids from the student information system: letters, digits and
#: ``. _ : -``, at most 128 characters. No spaces, so no names slip in.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def check_identifier(field_name: str, value: object) -> str:
    """Return *value* if it is a well-formed pseudonymous id, else raise InvalidInput."""
    if not isinstance(value, str) or IDENTIFIER.fullmatch(value) is None:
        raise InvalidInput(
            field_name,
            value,
            "must be a pseudonymous id: 1-128 letters, digits or '._:-', no spaces",
        )
    return value


class Role(StrEnum):
    """Who an actor is in a command (DOMAIN §3)."""

    STUDENT = "student"
    COACH = "coach"
    PLACEMENT_OFFICE = "placement_office"
    TEAM_LEAD = "team_lead"
    EXAM_COMMITTEE = "exam_committee"
    WORKPLACE_SUPERVISOR = "workplace_supervisor"
    EMPLOYER = "employer"
    GUARDIAN = "guardian"
    CONFIDENTIAL_ADVISOR = "confidential_advisor"
    AUDITOR = "auditor"
    SYSTEM = "system"


class Severity(StrEnum):
    """How much a finding weighs: only ``block`` refuses a command."""

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"


class EventType(StrEnum):
    """The kinds of event on a stream."""

    OPENED = "opened"
    TRANSITIONED = "transitioned"
    RECORDED = "recorded"
    REFUSED = "refused"


def parse_role(field_name: str, value: str) -> Role:
    """*value* as a :class:`Role`, else InvalidInput naming *field_name* and the known roles."""
    return parse_enum(Role, field_name, value, "role")


def _actor_role(value: str) -> Role:
    return parse_role("actor.role", value)


def _actor_id(value: str) -> str:
    return check_identifier("actor.id", value)


@frozen
class Actor:
    """Who fires a command: a pseudonymous id and exactly one role.

    Raises:
        InvalidInput: the id is not a pseudonymous id, or the role is unknown.
    """

    id: str = field(converter=_actor_id)
    role: Role = field(converter=_actor_role)

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role.value}


def _string_params(params: Mapping[str, str]) -> dict[str, str]:
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"finding params map names to strings (codes, ids), not {value!r}")
    return dict(params)


@frozen
class Finding:
    """One observation of a rule or check about a command.

    Attributes:
        code: A stable dotted code from the documented lists (``signatures.missing``).
        severity: ``block`` refuses the command; ``warn`` and ``info`` are recorded.
        message: English text for people. Never personal data.
        message_nl: The same in Dutch.
        source: ``"stageborging"`` for hard rules, else the plugin's name.
        params: Codes that filled the message (``{"missing": "guardian"}``).
    """

    code: str
    severity: Severity = field(converter=Severity)
    message: str
    message_nl: str = ""
    source: str = "stageborging"
    params: Mapping[str, str] = field(factory=dict, converter=_string_params)

    @property
    def blocks(self) -> bool:
        """True when this finding refuses the command."""
        return self.severity is Severity.BLOCK

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "message_nl": self.message_nl,
            "source": self.source,
            "params": dict(self.params),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            code=data["code"],
            severity=data["severity"],
            message=data["message"],
            message_nl=data.get("message_nl", ""),
            source=data.get("source", "stageborging"),
            params=dict(data.get("params", {})),
        )


@frozen
class PluginInfo:
    """A plugin that took part in a decision: its name and distribution version."""

    name: str
    version: str

    def to_json(self) -> list[str]:
        return [self.name, self.version]


@frozen
class PluginStatus:
    """A registered plugin as ``stageborging plugins`` lists it.

    Attributes:
        name: The name it is registered under (an entry point's name).
        version: Its distribution's version.
        source: ``built-in``, ``explicit`` (passed to the engine) or ``entry point``.
        hooks: The hooks it implements.
    """

    name: str
    version: str
    source: str
    hooks: tuple[str, ...]


@frozen
class PluginProblem:
    """A plugin that was not loaded, and why (an import error, a block list)."""

    name: str
    problem: str


@frozen
class Decision:
    """The answer to a dry run (:meth:`Engine.check`): would the command pass?

    Attributes:
        allowed: False when any finding blocks.
        findings: Every finding of the hard rules and the plugins' checks.
        from_state: The stream's state now.
        to_state: The state the transition would move to.
        plugins: The plugins whose checks took part.
    """

    allowed: bool
    findings: tuple[Finding, ...]
    from_state: str
    to_state: str
    plugins: tuple[PluginInfo, ...] = ()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings that refuse the command."""
        return tuple(f for f in self.findings if f.blocks)


@frozen
class Event:
    """One entry of a stream's audit log, as read back from the store.

    Attributes:
        stream_id: The stream (internship or case) it belongs to.
        seq: Its position in the stream, from 1.
        type: opened, transitioned, recorded (a fact) or refused.
        name: The lifecycle, trigger or fact name.
        occurred_at: When it was recorded (UTC).
        actor: Who fired the command.
        from_state: The state before.
        to_state: The state after (equal to ``from_state`` unless transitioned).
        definition: The digest of the lifecycle definition in force.
        data: The validated command data (codes, ids, dates; never free text).
        findings: The findings recorded with it (all of them for a refusal).
        plugins: The plugins that took part in the decision.
        hash: This event's chain hash (hex).
        prev_hash: The previous event's chain hash.
        body_hash: The hash of the body (data and findings).
    """

    stream_id: str
    seq: int
    type: EventType
    name: str
    occurred_at: datetime
    actor: Actor
    from_state: str
    to_state: str
    definition: str
    data: Mapping[str, Any]
    findings: tuple[Finding, ...]
    plugins: tuple[PluginInfo, ...]
    hash: str
    prev_hash: str
    body_hash: str


@frozen
class Stream:
    """The current state of one stream (its projection).

    Attributes:
        id: The stream id.
        kind: ``internship`` or ``case``.
        lifecycle: The name of its lifecycle definition.
        definition: That definition's digest.
        state: The current state.
        version: The number of events on the stream (refusals included).
        head_hash: The hash of its last event.
        facts: What the stream knows besides its state: the opening details,
            agreement version and signatures, hours, consent …
    """

    id: str
    kind: str
    lifecycle: str
    definition: str
    state: str
    version: int
    head_hash: str
    facts: Mapping[str, Any]


@frozen
class Statistics:
    """Counts queried from the database (the demo's summary, monitoring later).

    Attributes:
        states: lifecycle name -> state -> number of streams in it.
        events: The number of events written.
        events_by_type: Event type -> number of events.
        refusals: Finding code -> number of refusals it blocked.
    """

    states: Mapping[str, Mapping[str, int]]
    events: int
    events_by_type: Mapping[str, int]
    refusals: Mapping[str, int]


def _recipient_role(value: str) -> Role:
    return parse_role("recipient_role", value)


def _escalate_to(value: str) -> Role:
    return parse_role("escalate_to", value)


def _channel(value: str) -> str:
    return check_identifier("channel", value)


def _template(value: str) -> str:
    return check_identifier("template", value)


def _step_name(value: str) -> str:
    return check_identifier("name", value)


def _names(values: Iterable[str] | str) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


def _whole(name: str, positive: bool = False) -> Callable[[Any, Any, Any], None]:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and positive:
            return
        if isinstance(value, bool) or not isinstance(value, int) or (positive and value < 1):
            kind = "a whole number of at least 1" if positive else "a whole number"
            raise InvalidInput(name, value, f"must be {kind} (days)")

    return check


def _codes_only(params: Mapping[str, str]) -> Mapping[str, str]:
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInput("params", params, "must map names to strings (codes or ids)")
        check_identifier(f"params.{key}", value)
    return dict(params)


@frozen
class Notification:
    """A message to send, returned by an after-transition or after-record hook.

    It is written to the outbox in the command's own transaction and delivered
    later by a channel plugin, which resolves the recipients (pseudonymous ids
    held by a role, through the ``stageborging_recipients`` hook) and fills the
    template. So the outbox holds no addresses and no free text.

    Attributes:
        channel: The channel that delivers it (``email``, ``webhook``, a plugin's own).
        recipient_role: Who receives it, as a role on the stream.
        template: The code of the message template (``signatures.reminder``).
        params: Codes and ids that fill the template (no free text).
    """

    channel: str = field(converter=_channel)
    recipient_role: Role = field(converter=_recipient_role)
    template: str = field(converter=_template)
    params: Mapping[str, str] = field(factory=dict, converter=_codes_only)


@frozen
class OutboxEntry:
    """A notification in the outbox, with where it came from and its delivery state.

    Attributes:
        key: Unique per notification: ``stream:seq:plugin:index`` (idempotent delivery).
        stream_id: The stream whose event produced it.
        seq: That event's sequence number.
        plugin: The plugin that returned it.
        notification: What to send.
        created_at: When the event was recorded (RFC 3339, UTC).
        delivered_at: When it was delivered; ``None`` while pending.
        attempts: Delivery attempts so far.
    """

    key: str
    stream_id: str
    seq: int
    plugin: str
    notification: Notification
    created_at: str
    delivered_at: str | None = None
    attempts: int = 0


@frozen
class GuidanceStep:
    """A guidance step an institution registers (``stageborging_guidance_steps``).

    The deadline mechanism that tracks these arrives in a later release; this
    release collects, validates and lists them (``Engine.guidance_steps``).

    Attributes:
        name: A unique code (``search_check_in``).
        anchor: What the deadline counts from: ``entered:STATE`` (the day the
            stream entered a state), ``planned_start`` or ``planned_end``.
        offset_days: Days after the anchor (negative: before it).
        done_by: Triggers or facts that complete the step (``guidance_contact``).
        escalate_to: The role notified when the step is missed.
        lifecycles: The lifecycles it applies to; empty means every internship.
        repeat_days: Repeat every so many days while the anchor state lasts.
        description: What the step is, in English.
        description_nl: The same in Dutch.
    """

    name: str = field(converter=_step_name)
    anchor: str
    offset_days: int = field(validator=_whole("offset_days"))
    done_by: tuple[str, ...] = field(converter=_names)
    escalate_to: Role = field(converter=_escalate_to)
    lifecycles: tuple[str, ...] = field(default=(), converter=_names)
    repeat_days: int | None = field(default=None, validator=_whole("repeat_days", positive=True))
    description: str = ""
    description_nl: str = ""
