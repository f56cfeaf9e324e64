"""Every error stageborging raises, in one tree.

Catch :class:`StageborgingError` to handle them all::

    StageborgingError
    ├── InvalidInput (ValueError)             bad input; nothing was written
    │   ├── StreamNotFound (LookupError)      no stream with that id
    │   └── InvalidTransition                 trigger not allowed from the current state
    ├── DefinitionError (ValueError)          a lifecycle definition is malformed
    │   └── UnguardedPath                     a way into a protected phase skips a hard rule
    ├── DefinitionMismatch                    a stream's definition version is unknown or unsafe
    ├── Refused                               a rule or check blocked the command;
    │                                         the refusal itself was recorded
    ├── ConcurrencyConflict                   ``expected_version`` no longer matches
    ├── PluginError                           a plugin cannot be loaded or is malformed
    ├── DeliveryFailed                        a channel's receiver did not accept a
    │                                         delivery (raised by channel plugins)
    ├── KeyUnavailable                        free text cannot be read: its key is erased,
    │                                         the master key is another, or it was altered
    ├── AccessRefused                         a read of sealed fields beyond the reader's role
    ├── RegisterError (ValueError)            a recognition register file cannot be read
    └── StoreError                            the database cannot be used
        ├── SchemaVersionError                the database is newer than this library
        └── OutcomeUnknown                    the connection was lost while committing:
                                              read the stream before repeating

Every class carries the context needed to act on it as attributes, and its
message names the field and value that caused it. Errors of the underlying
libraries (``transitions.MachineError``, ``sqlite3.Error``, ``psycopg.Error``) never reach
callers.
"""

from .core._errors import (
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

__all__ = [
    "AccessRefused",
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
]
