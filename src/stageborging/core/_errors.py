"""The error tree (documented at its public door, :mod:`stageborging.exceptions`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

if TYPE_CHECKING:
    from ._events import Event
    from ._findings import Finding

__all__ = [
    "EXCERPT",
    "AccessRefused",
    "Bypass",
    "ConcurrencyConflict",
    "DefinitionError",
    "DefinitionMismatch",
    "DeliveryFailed",
    "InvalidInput",
    "InvalidTransition",
    "KeyUnavailable",
    "OutcomeUnknown",
    "PluginError",
    "Refused",
    "RegisterError",
    "SchemaVersionError",
    "StageborgingError",
    "StoreError",
    "StreamNotFound",
    "UnguardedPath",
    "excerpt",
]


class StageborgingError(Exception):
    """Base class of every error raised by stageborging."""


#: A delivery failure's code (as a pseudonymous id is shaped).
_CODE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: How much of a rejected value an error message quotes, in characters.
EXCERPT = 80


def excerpt(value: object) -> str:
    """A bounded, printable glimpse of *value* for an error message (never the whole).

    A string is quoted as ``repr`` (control characters and lone surrogates escaped)
    and cut to :data:`EXCERPT` characters ending in ``…``; a number or a constant is
    shown when short; anything else by its kind only (``<list>``), since its ``repr``
    may be long, raise, or carry what it holds.
    """
    if isinstance(value, str):
        text = repr(value[:EXCERPT])
        if len(value) > EXCERPT or len(text) > EXCERPT:
            text = text[: EXCERPT - 1] + "…"
        return text
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        bits = value.bit_length()
        return repr(value) if bits <= 64 else f"<int of {bits} bits>"
    return f"<{type(value).__name__[:EXCERPT]}>"


class InvalidInput(StageborgingError, ValueError):
    """A command's input is malformed; nothing was written.

    The message names the field and quotes at most :data:`EXCERPT` characters of the
    value (control characters escaped), or only its kind (``<list>``).

    Attributes:
        field: The name of the offending field (e.g. ``"data.reason"``); never a value.
        value: The value that was given.
    """

    def __init__(self, field: str, value: Any, problem: str) -> None:
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(f"{field}={excerpt(value)}: {problem}")


class StreamNotFound(InvalidInput, LookupError):
    """No stream has the given id."""

    def __init__(self, stream_id: str) -> None:
        super().__init__("stream_id", stream_id, "no stream with this id")
        self.stream_id = stream_id


class InvalidTransition(InvalidInput):
    """The trigger exists but is not allowed from the stream's current state.

    Attributes:
        trigger: The trigger that was fired.
        state: The state the stream is in.
    """

    def __init__(self, trigger: str, state: str, allowed: Sequence[str]) -> None:
        choices = ", ".join(sorted(allowed)) or "none"
        super().__init__(
            "trigger", trigger, f"not allowed from state {state!r} (allowed here: {choices})"
        )
        self.trigger = trigger
        self.state = state


class DefinitionError(StageborgingError, ValueError):
    """A lifecycle definition failed validation.

    Attributes:
        definition: The name of the definition.
        element: The offending state, transition or fact (``"transition 'start'"``).
    """

    def __init__(self, definition: str, element: str, problem: str) -> None:
        self.definition = definition
        self.element = element
        self.problem = problem
        super().__init__(f"lifecycle {definition!r}, {element}: {problem}")


@frozen
class Bypass:
    """A way into a protected phase without a hard rule it needs: the proof's counterexample.

    Attributes:
        phase: The protected phase reached.
        state: The state of that phase.
        rule: The hard rule (guard or effect) the way misses.
        path: The transitions of the shortest such way, from the initial state,
            as (trigger, from state, to state).
    """

    phase: str
    state: str
    rule: str
    path: tuple[tuple[str, str, str], ...]

    def describe(self) -> str:
        """``orientation -begin_search-> searching -…-> active``."""
        if not self.path:
            return self.state
        steps = [self.path[0][1]] + [f"-{trigger}-> {dest}" for trigger, _, dest in self.path]
        return " ".join(steps)


class UnguardedPath(DefinitionError):
    """A way through the definition reaches a protected phase without a hard rule.

    Attributes:
        bypass: The counterexample: the phase and state reached, the rule
            missed, and the shortest path of transitions from the initial state.
    """

    def __init__(self, definition: str, bypass: Bypass) -> None:
        self.bypass = bypass
        super().__init__(
            definition,
            f"phase {bypass.phase!r}",
            f"reachable without the {bypass.rule} guard: {bypass.describe()}",
        )


class DefinitionMismatch(StageborgingError):
    """The version of its definition a stream is under cannot take the command.

    Either the engine does not know the version (its digest is in no loaded
    definition, no release of this package and not in the database), or this
    release's hard rules refuse it (``reason`` says which). Reads, verification
    and migration still work; :meth:`Engine.migrate` moves the stream on.

    Attributes:
        stream_id: The stream.
        definition: The lifecycle's name.
        stored_digest: The digest the stream is under.
        loaded_digest: The digest of the loaded (current) definition, if any.
        reason: Why that version cannot be used.
    """

    def __init__(
        self, stream_id: str, definition: str, stored: str, loaded: str, reason: str = ""
    ) -> None:
        self.stream_id = stream_id
        self.definition = definition
        self.stored_digest = stored
        self.loaded_digest = loaded
        self.reason = reason or (
            "this engine does not know that version: store that version's definition"
            " (Engine.add_version, stageborging lifecycle add-version)"
        )
        current = f" (the current version is {loaded[:12]}…)" if loaded else ""
        super().__init__(
            f"stream {stream_id!r} is under version {stored[:12]}… of {definition!r}"
            f"{current}: {self.reason}"
        )


class Refused(StageborgingError):
    """A hard rule or a plugin check blocked the command.

    The refusal was recorded as an event on the stream before this was raised
    (except for ``open`` and ``migrate``, see ``event``).

    Attributes:
        stream_id: The stream the command was for (an erasure refused for an open
            case: that case; ``-`` when no stream is concerned).
        command: The trigger or fact name.
        findings: Every finding, blocking or not.
        event: The recorded refusal event; ``None`` for a refused ``open``
            (there is no stream to record on) and a refused ``migrate`` (a
            migration refused changes nothing, on the stream or in its log).
        subject: The subject an ``erase`` or ``export`` was for; else None.
    """

    def __init__(
        self,
        stream_id: str,
        command: str,
        findings: Sequence[Finding],
        event: Event | None,
        *,
        subject: str | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.command = command
        self.findings = tuple(findings)
        self.event = event
        #: The subject a privacy command (``erase``, ``export``) was for; else None.
        self.subject = subject
        codes = ", ".join(f.code for f in self.findings if f.blocks)
        where = f"of subject {subject!r}" if subject is not None else f"on stream {stream_id!r}"
        super().__init__(f"{command!r} {where} refused: {codes}")


class ConcurrencyConflict(StageborgingError):
    """The stream moved on since the caller looked; nothing was written.

    Not retried automatically: the caller's premise is stale.
    """

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected
        self.actual_version = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, expected_version was {expected}"
        )


class PluginError(StageborgingError):
    """A plugin cannot be registered: a misspelled hook, a bad signature, a name clash.

    Attributes:
        plugin: The plugin's name.
    """

    def __init__(self, plugin: str, problem: str) -> None:
        self.plugin = plugin
        self.problem = problem
        super().__init__(f"plugin {plugin!r}: {problem}")


class DeliveryFailed(StageborgingError):
    """Raised by a channel plugin: the receiver did not accept a delivery.

    The dispatcher records *code* as the attempt's outcome and tries again later, or,
    when *permanent* (a 4xx answer, an address that does not exist), puts the entry
    among the dead letters at once.

    Attributes:
        code: What failed, as a short code (``smtp.550``, ``http.503``): 1-128 letters,
            digits and ``._:-``. Never an address, a name or a message text. A code not
            so shaped (a space, an ``@``) is kept as ``channel.bad_code``, whatever it
            held: the failure is still recorded, permanent or not, and nothing leaks.
        permanent: Whether trying again cannot help.
    """

    def __init__(self, code: str, *, permanent: bool = False) -> None:
        if not isinstance(code, str) or _CODE.fullmatch(code) is None:
            code = "channel.bad_code"
        self.code = code
        self.permanent = bool(permanent)
        super().__init__(f"delivery failed: {code}{' (permanent)' if permanent else ''}")


class RegisterError(StageborgingError, ValueError):
    """A recognition register file cannot be read: the message names the file, the row
    and the column."""


class StoreError(StageborgingError):
    """The database cannot be opened or used."""


class KeyUnavailable(StageborgingError):
    """Free text cannot be read: its subject's key was erased, or the master key given is
    not the one that wrapped it, or the ciphertext was altered.

    Attributes:
        key_id: The subject key the text was sealed under.
    """

    def __init__(self, key_id: str, problem: str) -> None:
        self.key_id = key_id
        self.problem = problem
        super().__init__(f"key {excerpt(key_id)}: {problem}")


class AccessRefused(StageborgingError):
    """A read beyond the reader's role: sealed fields only the roles their field names
    (and the subject, and whoever wrote them) may read. Nothing was returned, and the
    attempt is in the access log.

    Attributes:
        stream_id: The stream read.
        role: The reader's role.
        fields: The sealed fields the role may not read.
    """

    def __init__(self, stream_id: str, role: str, fields: Sequence[str]) -> None:
        self.stream_id = stream_id
        self.role = role
        self.fields = tuple(fields)
        super().__init__(
            f"role {excerpt(role)} may not read {', '.join(self.fields)} "
            f"on stream {excerpt(stream_id)}"
        )


class OutcomeUnknown(StoreError):
    """The connection was lost while the database committed: the command may or may not
    have been written. Read the stream (its version and head hash) before repeating it;
    it was not retried, since that could record a fact twice."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this version of stageborging understands."""
