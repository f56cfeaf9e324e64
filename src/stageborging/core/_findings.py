"""What rules and checks say about a command: findings, and the decision they add up to."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from attrs import field, frozen

from ._actors import check_identifier, check_name, key_field
from ._convert import parse_enum
from ._errors import InvalidInput
from ._frozen import FrozenMap

__all__ = ["Decision", "Finding", "PluginInfo", "Severity", "string_params"]


class Severity(StrEnum):
    """How much a finding weighs: only ``block`` refuses a command."""

    BLOCK = "block"
    WARN = "warn"
    INFO = "info"


def _severity(value: object) -> Severity:
    return parse_enum(Severity, "severity", value)


def check_text(field_name: str, value: object) -> str:
    """*value* if it is a string UTF-8 can carry (no lone surrogate), else InvalidInput."""
    if not isinstance(value, str):
        raise InvalidInput(field_name, value, "must be a string")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(field_name, value, "holds a lone surrogate") from None
    return value


def string_params(params: Mapping[str, str], *, ids: bool = False) -> FrozenMap:
    """*params* as a read-only map of names to strings; InvalidInput naming the first bad one.

    Names are names (letters, digits, ``_``); values are strings UTF-8 can carry.
    With *ids*, every value must also be a pseudonymous id or code (no spaces):
    what notifications carry.
    """
    if not isinstance(params, Mapping):
        raise InvalidInput("params", params, "must map names to strings")
    for key, value in params.items():
        check_name("params", key)
        if not isinstance(value, str):
            raise InvalidInput(key_field("params", key), value, "must be a string (a code, an id)")
        if ids:
            check_identifier(f"params.{key}", value)
        else:
            check_text(f"params.{key}", value)
    return FrozenMap(params)


def _code(value: str) -> str:
    return check_identifier("code", value)


def _message(value: str) -> str:
    return check_text("message", value)


def _message_nl(value: str) -> str:
    return check_text("message_nl", value)


def _source(value: str) -> str:
    return check_text("source", value)


class PluginInfo(NamedTuple):
    """A plugin that took part in a decision: its name and distribution version.

    A named tuple: it is sealed into every event header as ``[name, version]``.
    """

    name: str
    version: str

    def to_json(self) -> list[str]:
        return [self.name, self.version]


@frozen
class Finding:
    """One observation of a rule or check about a command.

    Every field is checked as the finding is made (:class:`InvalidInput` naming the
    first bad one): it is sealed into the log as it is.

    Attributes:
        code: A stable dotted code from the documented lists (``signatures.missing``).
        severity: ``block`` refuses the command; ``warn`` and ``info`` are recorded.
        message: English text for people. Never personal data.
        message_nl: The same in Dutch; empty when a plugin gave none.
        source: ``"stageborging"`` for hard rules, else the plugin's name.
        params: Codes that filled the message (``{"missing": "guardian"}``), read-only;
            the names are names (letters, digits, ``_``).
    """

    code: str = field(converter=_code)
    severity: Severity = field(converter=_severity)
    message: str = field(converter=_message)
    message_nl: str = field(default="", converter=_message_nl)
    source: str = field(default="stageborging", converter=_source)
    params: Mapping[str, str] = field(factory=FrozenMap, converter=string_params)

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
            params=data.get("params", {}),
        )


@frozen
class Decision:
    """The answer to a dry run (:meth:`Engine.check`, :meth:`Engine.check_record`).

    Attributes:
        allowed: False when any finding blocks.
        findings: Every finding of the hard rules and the plugins' checks.
        from_state: The stream's state now.
        to_state: The state the command would move to (the same for a fact).
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
