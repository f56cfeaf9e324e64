"""What delivery works with: a recipient's contact, message templates, the delivery a
channel is handed, and the outcome of each attempt."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from ._actors import check_identifier
from ._errors import InvalidInput
from ._frozen import FrozenMap

__all__ = [
    "LANGUAGES",
    "OUTCOMES",
    "Channel",
    "Contact",
    "Delivery",
    "DeliveryAttempt",
    "MessageTemplate",
]

#: The languages messages are written in: Dutch first (the default), and English.
LANGUAGES = ("nl", "en")
#: What an attempt came to, per recipient (``delivered``, ``failed``, ``refused``,
#: ``no_contact``) and per entry (``delivered``, ``retry``, ``dead``, ``replayed``).
OUTCOMES = ("delivered", "failed", "refused", "no_contact", "retry", "dead", "replayed")
#: What a template fills in besides the notification's params: the recipient's display
#: name and the deep link into the host's system.
CONTACT_FIELDS = ("name", "link")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")
#: The greeting and the closing line of a framed template, per language.
_FRAME = {
    "nl": ("Beste {name},", "Bekijk het in het studentvolgsysteem: {link}"),
    "en": ("Dear {name},", "See it in the student information system: {link}"),
}
_HIDDEN = "<hidden>"  # what an error about a contact says instead of its value


def _one_line(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise InvalidInput(name, _HIDDEN, "must be a non-empty string")
    if len(value) > 1000 or any(not c.isprintable() for c in value):
        raise InvalidInput(name, _HIDDEN, "must be one printable line of at most 1,000 characters")
    return value


def _address(value: object) -> str:
    return _one_line("address", value)


def _name(value: object) -> str:
    return _one_line("name", value)


def _link(value: object) -> str:
    if not isinstance(value, str) or _LINK.fullmatch(_one_line("link", value)) is None:
        raise InvalidInput("link", _HIDDEN, "must be an http:// or https:// address")
    return value


def _language(value: object) -> str:
    if value not in LANGUAGES:
        raise InvalidInput("language", value, f"must be one of {', '.join(LANGUAGES)}")
    assert isinstance(value, str)
    return value


@frozen
class Contact:
    """How to reach one recipient on one channel, as the host's ``stageborging_contact``
    plugin says at delivery time. Nothing of it is stored or logged, and its ``repr``
    shows only the language.

    Attributes:
        address: Where the channel sends (an e-mail address, a phone number): one
            printable line. A channel that sends to a fixed endpoint (the webhook's URL)
            does not use it, though the contact plugin must still give one.
        language: The recipient's language, ``nl`` (the default) or ``en``.
        name: The display name a message greets (one printable line).
        link: The deep link into the host's system (``https://…``).
    """

    address: str = field(converter=_address, repr=False)
    name: str = field(converter=_name, repr=False)
    link: str = field(converter=_link, repr=False)
    language: str = field(default="nl", converter=_language)


def _languages(kind: str, texts: object, part: str) -> None:
    """InvalidInput unless *texts* gives exactly the languages, naming those it lacks."""
    if not isinstance(texts, Mapping):
        raise InvalidInput(part, texts, f"must map each of {', '.join(LANGUAGES)} to a text")
    lacks = [language for language in LANGUAGES if language not in texts]
    extra = sorted(str(language) for language in texts if language not in LANGUAGES)
    if lacks or extra:
        said = "; ".join(
            ([f"lacks {', '.join(lacks)}"] if lacks else [])
            + ([f"has {', '.join(extra)}, which is not one of them"] if extra else [])
        )
        raise InvalidInput(
            part, ", ".join(sorted(map(str, texts))),
            f"the template {kind} must give its text in {' and '.join(LANGUAGES)}: {said}",
        )  # fmt: skip


def _fields(kind: str, texts: Mapping[str, str], part: str) -> frozenset[str]:
    """The names *texts* fill in, each language's; InvalidInput naming the first fault
    (the text, in an excerpt, as its value: a template holds no personal data)."""
    _languages(kind, texts, part)
    found: set[str] = set()
    for language, text in texts.items():
        where = f"{part}.{language}"
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(where, text, f"the template {kind} needs a text here")
        allowed = "" if part == "subject" else "\n\t"
        if any(not c.isprintable() and c not in allowed for c in text):
            what = "one printable line" if part == "subject" else "printable lines"
            raise InvalidInput(where, text, f"the template {kind}: must be {what}")
        try:
            pieces = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise InvalidInput(
                where, text, f"the template {kind}: not a template ({exc})"
            ) from None
        for _, name, spec, conversion in pieces:
            if name is None:
                continue
            if _FIELD.fullmatch(name) is None or spec or conversion:
                shown = (
                    name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                )
                raise InvalidInput(
                    where, text,
                    f"the template {kind}: {{{shown}}} is more than a name; a template fills "
                    "in plain names only, like {step} (no attribute, index, conversion or format)",
                )  # fmt: skip
            found.add(name)
    return frozenset(found)


def _kind(value: object) -> str:
    return check_identifier("kind", value)


def _texts(part: str, value: object) -> FrozenMap:
    if not isinstance(value, Mapping):
        raise InvalidInput(part, value, f"must map each of {', '.join(LANGUAGES)} to a text")
    return FrozenMap(value)


def _subject(value: object) -> FrozenMap:
    return _texts("subject", value)


def _body(value: object) -> FrozenMap:
    return _texts("body", value)


@frozen
class MessageTemplate:
    """The message of one notification kind, in Dutch and English.

    ``subject`` and ``body`` map each language to a text with ``{placeholders}``: the
    notification's params (ids and codes), plus ``{name}`` (the recipient's display
    name) and ``{link}`` (the deep link into the host's system), both filled in at
    delivery from the recipient's contact. Nothing else is filled in, so a message
    holds no other personal data.

    Raises:
        InvalidInput: a language is missing, a text is empty, a subject has a line
            break, or a placeholder is more than a plain name (``{a.b}``, ``{x!r}``).
    """

    kind: str = field(converter=_kind)
    subject: Mapping[str, str] = field(converter=_subject)
    body: Mapping[str, str] = field(converter=_body)
    #: The names its texts fill in (params, ``name`` and ``link``).
    fields: frozenset[str] = field(init=False)

    def __attrs_post_init__(self) -> None:
        found = _fields(self.kind, self.subject, "subject") | _fields(self.kind, self.body, "body")
        object.__setattr__(self, "fields", found)

    @classmethod
    def framed(
        cls, kind: str, subject: Mapping[str, str], text: Mapping[str, str]
    ) -> MessageTemplate:
        """A template whose body is *text* (per language) between a greeting of the
        recipient by ``{name}`` and a closing line with the deep ``{link}``: the
        built-in templates' shape."""
        _languages(kind, text, "text")
        for language, words in text.items():
            if not isinstance(words, str) or not words.strip():
                raise InvalidInput(
                    f"text.{language}", words, f"the template {kind} needs a text here"
                )
        body = {lang: f"{_FRAME[lang][0]}\n\n{text[lang]}\n\n{_FRAME[lang][1]}" for lang in text}
        return cls(kind, subject, body)

    @property
    def params(self) -> frozenset[str]:
        """The params a notification of this kind must carry."""
        return self.fields - set(CONTACT_FIELDS)

    def render(self, language: str, values: Mapping[str, str]) -> tuple[str, str]:
        """The subject and body in *language*, filled in with *values*.

        Raises:
            InvalidInput: *language* is not one of :data:`LANGUAGES`, or *values*
                lacks a field the template fills in (naming it).
        """
        _language(language)
        missing = sorted(self.fields - set(values))
        if missing:
            raise InvalidInput("params", missing[0], f"the template {self.kind} fills it in")
        return self.subject[language].format_map(values), self.body[language].format_map(values)


@frozen
class Delivery:
    """One message to one recipient, as a channel plugin is handed it.

    Only ``key``, ``kind``, ``stream_id``, ``recipient`` and ``language`` show in its
    ``repr``: the contact and the texts (which hold the display name) do not.

    Attributes:
        key: The idempotency key: the same for every attempt to send this message to
            this recipient, unique otherwise. Send it along (``Message-ID``,
            ``webhook-id``) so that the receiver can drop a duplicate.
        entry: The outbox entry's key.
        kind: The notification kind (the template's).
        channel: The channel's name.
        stream_id: The stream the notification is about.
        recipient: The recipient's pseudonymous id.
        role: The role they were sent it as.
        params: The notification's params (ids and codes).
        contact: How to reach them (address, language, name, deep link).
        subject: The message's subject in their language.
        body: The message's text in their language.
        attempt: The entry's attempt this is (1 on the first).
        created_at: When the causing event was recorded (RFC 3339, UTC).
    """

    key: str
    entry: str
    kind: str
    channel: str
    stream_id: str
    recipient: str
    role: str
    params: Mapping[str, str]
    contact: Contact = field(repr=False)
    subject: str = field(repr=False)
    body: str = field(repr=False)
    attempt: int = 1
    created_at: str = ""

    @property
    def language(self) -> str:
        """The language the message is in."""
        return self.contact.language


@runtime_checkable
class Channel(Protocol):
    """What a ``stageborging_channels`` plugin offers: a way to send deliveries.

    ``deliver`` sends one :class:`Delivery` within *timeout* seconds and returns when
    the receiver has accepted it. It raises
    :class:`~stageborging.exceptions.DeliveryFailed` with a short code (never an
    address or a message) for a failure it understands, ``permanent=True`` when trying
    again cannot help; any other exception counts as a failure worth retrying.
    """

    name: str

    def deliver(self, delivery: Delivery, timeout: float) -> None:
        """Send *delivery*; raise to say it was not accepted."""


@frozen
class DeliveryAttempt:
    """What one attempt at an outbox entry came to, for one recipient or the whole entry.

    Attributes:
        id: Its place in the order attempts were recorded.
        key: The outbox entry's key.
        attempt: The entry's attempt (1 on the first; 0 for a replay by hand).
        recipient: The recipient's pseudonymous id; ``""`` for the entry's settlement.
        outcome: One of :data:`OUTCOMES`.
        error: A short code of what failed (``smtp.550``, ``http.503``); never content.
        at: When it was recorded (RFC 3339, UTC).
        worker: The dispatcher that made it (or who replayed it).
    """

    id: int
    key: str
    attempt: int
    recipient: str
    outcome: str
    error: str | None
    at: str
    worker: str
