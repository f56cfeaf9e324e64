"""Lifecycles as data: the model, the definition, its validation, the hard rules and their
proof, the facts projection, the compiled ``transitions`` machine, renderings,
definition files, and the built-in definitions.

The built-in definitions are built on first use and cached: ``mbo_bpv()``,
``hbo_stage()``, ``case()`` and ``employer()``; :func:`builtin` returns all of them. Nothing here
knows of storage or plugins.
"""

from __future__ import annotations

from ._commands import command_fields
from ._corrections import (
    CORRECTABLE,
    CORRECTION_FIELDS,
    CORRECTION_REASONS,
    correct_roles,
    corrected_seqs,
    correction_problem,
)
from ._definition import LifecycleDefinition
from ._fields import MAX_TEXT, SEALED_PREFIX, FieldKind, FieldSpec, split_sealed, validate_data
from ._files import (
    definition_from_data,
    definition_to_toml,
    load_definition,
    read_definition_data,
)
from ._hardrules import Carrier
from ._imports import (
    EVIDENCE_FIELDS,
    IMPORT_ROLES,
    ImportNeeds,
    import_needs,
    imported_facts,
    validate_evidence,
)
from ._institution import InstitutionFact, noted
from ._machine import CompiledMachine
from ._model import Education, Effect, FactSpec, Guard, Kind, Transition
from ._projection import PLAN, advance, apply, effects_of, fold, initial_facts
from ._proof import (
    CASE_PHASES,
    EMPLOYER_PHASES,
    FINAL_PHASES,
    INTERNSHIP_PHASES,
    PHASES,
    find_bypass,
    migration_needs,
    passed_along,
)
from ._render import to_dot, to_mermaid, to_table
from ._standing import (
    CASCADES,
    EXTERNAL_EFFECTS,
    active_flags,
    cascade_holds,
    cascade_job,
    recognition_in_effect,
)
from ._versions import (
    MIGRATE_ROLES,
    PastDefinition,
    digest_of,
    load_version,
    read_stored,
    release_file_name,
    released,
    unsafe_reason,
)
from .case import REPORTERS, SIGNPOSTS, case
from .employer import (
    ALERT_DISMISS_REASONS,
    CLOSE_REASONS,
    FLAG_BASES,
    FLAG_LIFT_REASONS,
    FLAG_REASONS,
    FLAGS,
    RECOGNITION_SOURCES,
    employer,
    employer_stream_id,
)
from .internship import (
    AGREEMENT_FIELDS_HBO,
    AGREEMENT_FIELDS_MBO,
    ALLOWANCES,
    CANCEL_REASONS,
    CONTACT_LOCATIONS,
    NOTICE_STATES,
    REPLACEMENT_REASONS,
    RESCHEDULE_REASONS,
    RESCHEDULE_STATES,
    SUSPEND_REASONS,
    TERMINATE_REASONS,
    hbo_stage,
    mbo_bpv,
)

__all__ = [
    "AGREEMENT_FIELDS_HBO",
    "AGREEMENT_FIELDS_MBO",
    "ALERT_DISMISS_REASONS",
    "ALLOWANCES",
    "CANCEL_REASONS",
    "CASCADES",
    "CASE_PHASES",
    "CLOSE_REASONS",
    "CONTACT_LOCATIONS",
    "CORRECTABLE",
    "CORRECTION_FIELDS",
    "CORRECTION_REASONS",
    "EMPLOYER_PHASES",
    "EVIDENCE_FIELDS",
    "EXTERNAL_EFFECTS",
    "FINAL_PHASES",
    "FLAGS",
    "FLAG_BASES",
    "FLAG_LIFT_REASONS",
    "FLAG_REASONS",
    "IMPORT_ROLES",
    "INTERNSHIP_PHASES",
    "MAX_TEXT",
    "MIGRATE_ROLES",
    "NOTICE_STATES",
    "PHASES",
    "PLAN",
    "RECOGNITION_SOURCES",
    "REPLACEMENT_REASONS",
    "REPORTERS",
    "RESCHEDULE_REASONS",
    "RESCHEDULE_STATES",
    "SEALED_PREFIX",
    "SIGNPOSTS",
    "SUSPEND_REASONS",
    "TERMINATE_REASONS",
    "Carrier",
    "CompiledMachine",
    "Education",
    "Effect",
    "FactSpec",
    "FieldKind",
    "FieldSpec",
    "Guard",
    "ImportNeeds",
    "InstitutionFact",
    "Kind",
    "LifecycleDefinition",
    "PastDefinition",
    "Transition",
    "active_flags",
    "advance",
    "apply",
    "builtin",
    "cascade_holds",
    "cascade_job",
    "case",
    "command_fields",
    "correct_roles",
    "corrected_seqs",
    "correction_problem",
    "definition_from_data",
    "definition_to_toml",
    "digest_of",
    "effects_of",
    "employer",
    "employer_stream_id",
    "find_bypass",
    "fold",
    "hbo_stage",
    "import_needs",
    "imported_facts",
    "initial_facts",
    "load_definition",
    "load_version",
    "mbo_bpv",
    "migration_needs",
    "noted",
    "passed_along",
    "read_definition_data",
    "read_stored",
    "recognition_in_effect",
    "release_file_name",
    "released",
    "split_sealed",
    "to_dot",
    "to_mermaid",
    "to_table",
    "unsafe_reason",
    "validate_data",
    "validate_evidence",
]


def builtin() -> tuple[LifecycleDefinition, ...]:
    """Every built-in definition, internship variants first."""
    return (mbo_bpv(), hbo_stage(), case(), employer())
