"""The hard rules and the decision: what a command would do (its move), the role check,
the guards DOMAIN.md marks *hard*, and the plugins' checks, before the lifecycle moves."""

from ._decision import decide
from ._guards import (
    GUARD_CHECKS,
    Command,
    Context,
    Linked,
    Lookup,
    check_role,
    evaluate_guards,
    nothing_linked,
    required_parties,
)
from ._imports import judge_import
from ._migration import judge_migration
from ._moves import (
    Move,
    check_actor,
    check_expected_version,
    check_input,
    check_kinds,
    resolve_fact,
    resolve_noted,
    resolve_open,
    resolve_trigger,
)

__all__ = [
    "GUARD_CHECKS",
    "Command",
    "Context",
    "Linked",
    "Lookup",
    "Move",
    "check_actor",
    "check_expected_version",
    "check_input",
    "check_kinds",
    "check_role",
    "decide",
    "evaluate_guards",
    "judge_import",
    "judge_migration",
    "nothing_linked",
    "required_parties",
    "resolve_fact",
    "resolve_noted",
    "resolve_open",
    "resolve_trigger",
]
