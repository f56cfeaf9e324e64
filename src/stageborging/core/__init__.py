"""Value types every layer shares: actors and roles, findings, events and streams,
identifiers, the error tree, canonical JSON, the message catalogue and logging.

Nothing here knows of lifecycles, storage or plugins.
"""

from ._actors import (
    IDENTIFIER,
    NAME,
    Actor,
    Role,
    check_identifier,
    check_identifiers,
    check_name,
    key_field,
    parse_role,
)
from ._batch import BatchResult
from ._canonical import MAX_INT, canonical_bytes, check_canonical_value
from ._convert import as_tuple, parse_enum
from ._delivery import (
    LANGUAGES,
    OUTCOMES,
    Channel,
    Contact,
    Delivery,
    DeliveryAttempt,
    MessageTemplate,
)
from ._employers import Alert, EmployerRecord, Flag, HistoryItem
from ._erasure import ERASE_ROLES, ERASURE_BASES
from ._errors import (
    EXCERPT,
    AccessRefused,
    Bypass,
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
    excerpt,
)
from ._events import Event, EventType, FeedEntry, Statistics, Stream, StreamPage
from ._findings import Decision, Finding, PluginInfo, Severity
from ._frozen import FrozenMap, freeze
from ._guidance import ACTIONS, DISMISS_REASONS, HELPFUL_TRIGGERS, UNITS, GuidanceStep
from ._key_provider import KeyProvider
from ._labels import LABELS, label
from ._logging import LOGGER_NAME, get_logger
from ._messages import CATALOGUE, finding
from ._notifications import Notification, OutboxEntry
from ._plugins import PluginProblem, PluginStatus
from ._privacy import Erasure, Revealed
from ._recognition import Recognition
from ._time import Clock, Moment, parse_date, rfc3339, utc_now
from ._versions import MigrationStep, Version

__all__ = [
    "ACTIONS",
    "CATALOGUE",
    "DISMISS_REASONS",
    "ERASE_ROLES",
    "ERASURE_BASES",
    "EXCERPT",
    "HELPFUL_TRIGGERS",
    "IDENTIFIER",
    "LABELS",
    "LANGUAGES",
    "LOGGER_NAME",
    "MAX_INT",
    "NAME",
    "OUTCOMES",
    "UNITS",
    "AccessRefused",
    "Actor",
    "Alert",
    "BatchResult",
    "Bypass",
    "Channel",
    "Clock",
    "ConcurrencyConflict",
    "Contact",
    "Decision",
    "DefinitionError",
    "DefinitionMismatch",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryFailed",
    "EmployerRecord",
    "Erasure",
    "Event",
    "EventType",
    "FeedEntry",
    "Finding",
    "Flag",
    "FrozenMap",
    "GuidanceStep",
    "HistoryItem",
    "InvalidInput",
    "InvalidTransition",
    "KeyProvider",
    "KeyUnavailable",
    "MessageTemplate",
    "MigrationStep",
    "Moment",
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
    "Revealed",
    "Role",
    "SchemaVersionError",
    "Severity",
    "StageborgingError",
    "Statistics",
    "StoreError",
    "Stream",
    "StreamNotFound",
    "StreamPage",
    "UnguardedPath",
    "Version",
    "as_tuple",
    "canonical_bytes",
    "check_canonical_value",
    "check_identifier",
    "check_identifiers",
    "check_name",
    "excerpt",
    "finding",
    "freeze",
    "get_logger",
    "key_field",
    "label",
    "parse_date",
    "parse_enum",
    "parse_role",
    "rfc3339",
    "utc_now",
]
