"""The hard rules: role checks and the guards DOMAIN.md marks *hard*, evaluated on a
command before the lifecycle moves."""

from ._guards import (
    Command,
    check_actor,
    check_input,
    check_role,
    evaluate_guards,
    required_parties,
    transition_input,
)

__all__ = [
    "Command",
    "check_actor",
    "check_input",
    "check_role",
    "evaluate_guards",
    "required_parties",
    "transition_input",
]
