"""The tamper-evident audit chain: sealing events and verifying stored streams.

See ``docs/audit-format.rst`` for the exact format, precise enough to write an
independent verifier. Pure functions over rows: nothing here knows of the engine
or a database.
"""

from . import _merkle as merkle
from ._chain import (
    GENESIS,
    HEADER_VERSION,
    SealedEvent,
    StreamRow,
    body_bytes,
    header_bytes,
    seal,
)
from ._verify import Break, StampedVersion, VerifyReport, verify_rows

__all__ = [
    "GENESIS",
    "HEADER_VERSION",
    "Break",
    "SealedEvent",
    "StampedVersion",
    "StreamRow",
    "VerifyReport",
    "body_bytes",
    "header_bytes",
    "merkle",
    "seal",
    "verify_rows",
]
