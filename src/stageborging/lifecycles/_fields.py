"""Field specs: the typed, documented data a command may carry.

Every value that reaches an event passes through :func:`validate_data`, so the
log holds only ids, codes, dates and integers in the clear: no floats, and free text
(kind ``text``) or a special-category code (``sealed``) only sealed under the subject's
key, in the body's ``sealed`` part, never in ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from ..core import (
    MAX_INT,
    FrozenMap,
    InvalidInput,
    Role,
    as_tuple,
    check_identifier,
    key_field,
    parse_date,
    parse_enum,
)

__all__ = [
    "MAX_TEXT",
    "SEALED_PREFIX",
    "FieldKind",
    "FieldSpec",
    "field_problem",
    "split_sealed",
    "validate_data",
]

#: The longest free text, in characters (a report's description, a note).
MAX_TEXT = 10_000
#: What every sealed value in a body starts with: the format and its version.
SEALED_PREFIX = "st1:"
#: The roles that never read sealed fields: an auditor sees metadata, hashes and outcomes.
_NO_READERS = frozenset({Role.AUDITOR, Role.SYSTEM})


class FieldKind(StrEnum):
    """The kinds of value a field holds."""

    ID = "id"  #: a pseudonymous id (see :class:`~stageborging.Actor`)
    CODE = "code"  #: one code of a documented list
    CODES = "codes"  #: a non-empty list of codes of a documented list
    DATE = "date"  #: a calendar date (``datetime.date`` or ``YYYY-MM-DD``)
    INT = "int"  #: an integer within ``minimum`` … ``maximum``
    TEXT = "text"  #: free text, 1 to 10,000 characters: always sealed (see :doc:`privacy`)


def _kind(value: FieldKind | str) -> FieldKind:
    return parse_enum(FieldKind, "kind", value, noun="field kind")


def _roles(values: Iterable[Any]) -> tuple[Role, ...]:
    return tuple(parse_enum(Role, "readers", v, noun="role") for v in as_tuple(values))


@frozen
class FieldSpec:
    """One field of a command's data.

    Attributes:
        name: The key in the data mapping.
        kind: What it holds.
        required: Whether it must be present.
        codes: The allowed codes (``code`` and ``codes`` kinds).
        minimum: The smallest allowed integer (``int``).
        maximum: The largest allowed integer (``int``).
        not_before: For a date: the name of another date field it may not precede.
        sealed: For a code: special-category data (a report's ground); for an id: an
            opaque link (the case a suspension is about); stored sealed like free text.
            A ``text`` field is always sealed.
        readers: For a sealed field: the roles that may read it, besides the subject
            and whoever wrote it (never ``auditor`` or ``system``).
    """

    name: str
    kind: FieldKind = field(converter=_kind)
    required: bool = True
    codes: tuple[str, ...] = field(default=(), converter=as_tuple)
    minimum: int | None = None
    maximum: int | None = None
    not_before: str | None = None
    sealed: bool = False
    readers: tuple[Role, ...] = field(default=(), converter=_roles)

    @property
    def secret(self) -> bool:
        """Whether the value is stored sealed (free text, or a code marked ``sealed``)."""
        return self.sealed or self.kind is FieldKind.TEXT

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind.value,
            "required": self.required,
            "codes": list(self.codes),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "not_before": self.not_before,
        }
        # only when set: the digests of definitions written before these existed stay
        if self.sealed:
            data["sealed"] = True
        if self.readers:
            data["readers"] = [r.value for r in self.readers]
        return data

    def describe(self) -> str:
        """A short human description, e.g. ``reason: code (illness|other)``."""
        text = f"{self.name}: {self.kind.value}"
        if self.codes:
            text += f" ({'|'.join(self.codes)})"
        if self.kind is FieldKind.INT and self.minimum is not None and self.maximum is not None:
            text += f" [{self.minimum}..{self.maximum}]"
        elif self.kind is FieldKind.INT and self.minimum is not None:
            text += f" [at least {self.minimum}]"
        elif self.kind is FieldKind.INT and self.maximum is not None:
            text += f" [at most {self.maximum}]"
        if self.sealed:
            text += ", sealed"
        return text if self.required else text + ", optional"


def _convert(spec: FieldSpec, name: str, value: Any) -> Any:
    kind = spec.kind
    if kind is FieldKind.ID:
        return check_identifier(name, value)
    if kind is FieldKind.CODE:
        if not isinstance(value, str) or value not in spec.codes:
            raise InvalidInput(name, value, f"unknown code; allowed: {', '.join(spec.codes)}")
        return value
    if kind is FieldKind.CODES:
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise InvalidInput(name, value, "must be a list of codes")
        if not value:
            raise InvalidInput(name, value, "must not be empty")
        for item in value:
            if not isinstance(item, str) or item not in spec.codes:
                raise InvalidInput(name, item, f"unknown code; allowed: {', '.join(spec.codes)}")
        return tuple(sorted(set(value)))
    if kind is FieldKind.DATE:
        return parse_date(name, value)
    if kind is FieldKind.TEXT:
        return _text(name, value)
    # FieldKind.INT
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(name, value, "must be an integer")
    minimum = -MAX_INT if spec.minimum is None else spec.minimum
    maximum = MAX_INT if spec.maximum is None else spec.maximum
    if value < minimum:
        raise InvalidInput(name, value, f"must be at least {minimum}")
    if value > maximum:
        raise InvalidInput(name, value, f"must be at most {maximum}")
    return value


def _text(name: str, value: object) -> str:
    """*value* as free text; never quoted in the error (it may be anything a person wrote)."""
    if not isinstance(value, str):
        raise InvalidInput(name, value, "must be a text")
    if not value.strip():
        raise InvalidInput(name, "<text>", "must not be empty")
    if len(value) > MAX_TEXT:
        raise InvalidInput(name, "<text>", f"must be at most {MAX_TEXT} characters")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise InvalidInput(name, "<text>", "holds a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(name, "<text>", "holds a lone surrogate: not UTF-8") from None
    return value


def field_problem(spec: FieldSpec, siblings: tuple[FieldSpec, ...]) -> str | None:
    """What makes *spec* (one of *siblings*) unusable, or None: a name or code that is no
    identifier, a code field without codes, bounds that are no integers or cross, a
    ``not_before`` that names no date field beside it."""
    name: object = spec.name  # as given: a spec is built from anything a file holds
    if not isinstance(name, str) or not _is_identifier(name):
        return f"field name {name!r} is no identifier"
    required: object = spec.required
    if not isinstance(required, bool):
        return f"field {name!r}: required must be True or False"
    if spec.kind in (FieldKind.CODE, FieldKind.CODES):
        if not spec.codes:
            return f"field {spec.name!r} of kind {spec.kind} has no codes"
        bad = [c for c in spec.codes if not isinstance(c, str) or not _is_identifier(c)]
        if bad:
            return f"field {spec.name!r}: code {bad[0]!r} is no identifier"
    for bound in (spec.minimum, spec.maximum):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int) or abs(bound) > MAX_INT
        ):
            return f"field {spec.name!r}: bound {bound!r} is no integer within ±(2**53 - 1)"
    sealed: object = spec.sealed
    if not isinstance(sealed, bool):
        return f"field {name!r}: sealed must be True or False"
    if sealed and spec.kind not in (FieldKind.CODE, FieldKind.CODES, FieldKind.ID):
        return f"field {name!r}: only a code or an id is marked sealed (text is always sealed)"
    if spec.readers and not spec.secret:
        return f"field {name!r}: readers are for a sealed field (text, or a sealed code)"
    never = [r for r in spec.readers if r in _NO_READERS]
    if never:
        return f"field {name!r}: role {never[0].value!r} never reads sealed fields"
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        return f"field {spec.name!r}: minimum {spec.minimum} is above maximum {spec.maximum}"
    dates = {s.name for s in siblings if s.kind is FieldKind.DATE}
    if spec.not_before is not None and (
        spec.kind is not FieldKind.DATE or spec.not_before not in dates
    ):
        return f"field {spec.name!r}: not_before {spec.not_before!r} is no date field beside it"
    return None


def _is_identifier(value: str) -> bool:
    try:
        check_identifier("field", value)
    except InvalidInput:
        return False
    return True


def validate_data(
    specs: tuple[FieldSpec, ...], data: Mapping[str, Any] | None, prefix: str = "data"
) -> Mapping[str, Any]:
    """Check *data* against *specs* and return it in its canonical, read-only form.

    Dates become ISO strings, code lists become sorted tuples. Absent optional
    fields are left out.

    Raises:
        InvalidInput: naming the first unknown, missing or malformed field.
    """
    data = {} if data is None else data
    if type(data) is not dict and not isinstance(data, Mapping):
        raise InvalidInput(prefix, data, "must be a mapping of field names to values")
    known = {spec.name: spec for spec in specs}
    for key in data:
        if key not in known:
            allowed = ", ".join(known) or "no fields"
            # The key is the caller's, so it is quoted (bounded) and named in the
            # field only when it is shaped like a field name.
            raise InvalidInput(key_field(prefix, key), key, f"unknown field; allowed: {allowed}")
    result: dict[str, Any] = {}
    for spec in specs:
        name = f"{prefix}.{spec.name}"
        value = data.get(spec.name)
        if value is None:
            if spec.required:
                raise InvalidInput(name, None, f"required ({spec.describe()})")
            continue
        result[spec.name] = _convert(spec, name, value)
    for spec in specs:
        other = spec.not_before
        if other and spec.name in result and other in result and result[spec.name] < result[other]:
            raise InvalidInput(
                f"{prefix}.{spec.name}",
                result[spec.name],
                f"must not be before {other} ({result[other]})",
            )
    return FrozenMap(result)


def split_sealed(
    specs: tuple[FieldSpec, ...], data: Mapping[str, Any]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """*data* (validated) as what is stored in the clear and what is sealed, by field."""
    secret = {spec.name for spec in specs if spec.secret}
    if not secret or secret.isdisjoint(data):
        return data, FrozenMap({})
    clear = {k: v for k, v in data.items() if k not in secret}
    return FrozenMap(clear), FrozenMap({k: v for k, v in data.items() if k in secret})
