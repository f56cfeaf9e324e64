"""stageborging: safeguard internships.

A lifecycle engine for internships and discrimination reports, with plugin
hooks for institutions and a tamper-evident audit log for auditors::

    from stageborging import Actor, Engine

    with Engine("school.db") as engine:
        office = Actor("po-1", "placement_office")
        opened = engine.open("mbo_bpv", actor=office, data={...})
        engine.fire(opened.stream_id, "begin_search", actor=office)
"""

import logging

from .__about__ import __version__
from .audit import Break, StampedVersion, VerifyReport
from .core import (
    Actor,
    Alert,
    BatchResult,
    Channel,
    Contact,
    Decision,
    Delivery,
    DeliveryAttempt,
    EmployerRecord,
    Erasure,
    Event,
    EventType,
    FeedEntry,
    Finding,
    Flag,
    GuidanceStep,
    HistoryItem,
    MessageTemplate,
    MigrationStep,
    Notification,
    OutboxEntry,
    PluginInfo,
    PluginProblem,
    PluginStatus,
    Recognition,
    Revealed,
    Role,
    Severity,
    Statistics,
    Stream,
    StreamPage,
    Version,
)
from .engine import Batch, CascadeReport, Engine, Registry, TickReport
from .exceptions import (
    AccessRefused,
    ConcurrencyConflict,
    DefinitionError,
    DefinitionMismatch,
    DeliveryFailed,
    InvalidInput,
    InvalidTransition,
    KeyUnavailable,
    OutcomeUnknown,
    PluginError,
    Refused,
    RegisterError,
    SchemaVersionError,
    StageborgingError,
    StoreError,
    StreamNotFound,
    UnguardedPath,
)
from .guidance import DueItem, Gap, WorkingDays
from .hookspecs import hookimpl
from .lifecycles import (
    Education,
    Effect,
    FactSpec,
    FieldKind,
    FieldSpec,
    Guard,
    InstitutionFact,
    Kind,
    LifecycleDefinition,
    Transition,
    load_definition,
)
from .outbox import Dispatcher, DispatchReport, RetryPolicy
from .store import SQLiteStore, verify_database

# A library logs nothing unless its host configures logging.
logging.getLogger("stageborging").addHandler(logging.NullHandler())

__all__ = [
    "AccessRefused",
    "Actor",
    "Alert",
    "Batch",
    "BatchResult",
    "Break",
    "CascadeReport",
    "Channel",
    "ConcurrencyConflict",
    "Contact",
    "Decision",
    "DefinitionError",
    "DefinitionMismatch",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryFailed",
    "DispatchReport",
    "Dispatcher",
    "DueItem",
    "Education",
    "Effect",
    "EmployerRecord",
    "Engine",
    "Erasure",
    "Event",
    "EventType",
    "FactSpec",
    "FeedEntry",
    "FieldKind",
    "FieldSpec",
    "Finding",
    "Flag",
    "Gap",
    "Guard",
    "GuidanceStep",
    "HistoryItem",
    "InstitutionFact",
    "InvalidInput",
    "InvalidTransition",
    "KeyUnavailable",
    "Kind",
    "LifecycleDefinition",
    "MessageTemplate",
    "MigrationStep",
    "Notification",
    "OutboxEntry",
    "OutcomeUnknown",
    "PluginError",
    "PluginInfo",
    "PluginProblem",
    "PluginStatus",
    "Recognition",
    "Refused",
    "RegisterError",
    "Registry",
    "RetryPolicy",
    "Revealed",
    "Role",
    "SQLiteStore",
    "SchemaVersionError",
    "Severity",
    "StageborgingError",
    "StampedVersion",
    "Statistics",
    "StoreError",
    "Stream",
    "StreamNotFound",
    "StreamPage",
    "TickReport",
    "Transition",
    "UnguardedPath",
    "VerifyReport",
    "Version",
    "WorkingDays",
    "__version__",
    "hookimpl",
    "load_definition",
    "verify_database",
]
