"""Who acts: pseudonymous ids and roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from attrs import field, frozen

from ._convert import parse_enum
from ._errors import InvalidInput

__all__ = [
    "IDENTIFIER",
    "NAME",
    "Actor",
    "Role",
    "check_identifier",
    "check_identifiers",
    "check_name",
    "key_field",
    "parse_role",
]

#: Pseudonymous ids from the student information system: letters, digits and
#: ``. _ : -``, at most 128 characters. No spaces, so no names slip in.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


#: Names of fields and params: ASCII letters, digits and ``_``, at most 64 characters.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def check_name(field_name: str, value: object) -> str:
    """Return *value* if it is a well-formed field or param name, else raise InvalidInput."""
    if not isinstance(value, str) or NAME.fullmatch(value) is None:
        raise InvalidInput(field_name, value, "must be a name: 1-64 ASCII letters, digits or '_'")
    return value


def key_field(prefix: str, key: object) -> str:
    """``prefix.key`` when *key* is shaped like a name, else *prefix*.

    An error's ``field`` is logged, so a key that may be a value (a sentence, an
    address, a megabyte) never becomes part of it.
    """
    if isinstance(key, str) and NAME.fullmatch(key) is not None:
        return f"{prefix}.{key}"
    return prefix


def check_identifier(field_name: str, value: object) -> str:
    """Return *value* if it is a well-formed pseudonymous id, else raise InvalidInput."""
    if not isinstance(value, str) or IDENTIFIER.fullmatch(value) is None:
        raise InvalidInput(
            field_name,
            value,
            "must be a pseudonymous id: 1-128 letters, digits or '._:-', no spaces",
        )
    return value


def check_identifiers(field_name: str, values: object) -> tuple[str, ...]:
    """*values* (a list of names, or one name) as a tuple, each a well-formed id, else
    InvalidInput naming *field_name*."""
    if isinstance(values, str):
        values = (values,)
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise InvalidInput(field_name, values, "must be a list of names")
    return tuple(check_identifier(field_name, value) for value in values)


class Role(StrEnum):
    """Who an actor is in a command (DOMAIN §3)."""

    STUDENT = "student"
    COACH = "coach"
    PLACEMENT_OFFICE = "placement_office"
    TEAM_LEAD = "team_lead"
    EXAM_COMMITTEE = "exam_committee"
    ASSESSOR = "assessor"
    WORKPLACE_SUPERVISOR = "workplace_supervisor"
    EMPLOYER = "employer"
    GUARDIAN = "guardian"
    CONFIDENTIAL_ADVISOR = "confidential_advisor"
    #: Holds hearings and records a case's outcome (meldpunt officer, BPV coordinator);
    #: the confidential advisor supports the reporter and never investigates.
    CASE_HANDLER = "case_handler"
    #: The data-protection officer (functionaris gegevensbescherming): erases subjects
    #: and answers access requests.
    PRIVACY_OFFICER = "privacy_officer"
    AUDITOR = "auditor"
    SYSTEM = "system"


def parse_role(field_name: str, value: object) -> Role:
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
