"""The tamper-evident audit chain: sealing events and verifying stored streams.

See ``docs/audit-format.rst`` for the exact format, precise enough to write an
independent verifier.
"""

from ._chain import GENESIS, HEADER_VERSION, SealedEvent, StreamRow, seal
from .verify import Break, VerifyReport, verify_rows

__all__ = [
    "GENESIS",
    "HEADER_VERSION",
    "Break",
    "SealedEvent",
    "StreamRow",
    "VerifyReport",
    "seal",
    "verify_rows",
]
