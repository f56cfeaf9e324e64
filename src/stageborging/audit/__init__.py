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
from ._checkpoint import (
    CHECKPOINT_FORMAT,
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    Checkpoint,
    check_consistency,
    check_inclusion,
    key_id,
    load_private_key,
    load_public_key,
    parse_proof,
    path_hex,
    read_json,
    write_key_pair,
)
from ._export import EXPORT_FORMAT, ExportReport, export_line, lines_of, verify_export
from ._report import WORDS, lifecycle_svg, report_html
from ._verify import (
    Break,
    OrderedHeads,
    StampedVersion,
    VerifyPart,
    VerifyReport,
    report_of,
    verify_part,
    verify_rows,
)

__all__ = [
    "CHECKPOINT_FORMAT",
    "CONSISTENCY_FORMAT",
    "EXPORT_FORMAT",
    "GENESIS",
    "HEADER_VERSION",
    "INCLUSION_FORMAT",
    "WORDS",
    "Break",
    "Checkpoint",
    "ExportReport",
    "OrderedHeads",
    "SealedEvent",
    "StampedVersion",
    "StreamRow",
    "VerifyPart",
    "VerifyReport",
    "body_bytes",
    "check_consistency",
    "check_inclusion",
    "export_line",
    "header_bytes",
    "key_id",
    "lifecycle_svg",
    "lines_of",
    "load_private_key",
    "load_public_key",
    "merkle",
    "parse_proof",
    "path_hex",
    "read_json",
    "report_html",
    "report_of",
    "seal",
    "verify_export",
    "verify_part",
    "verify_rows",
    "write_key_pair",
]
