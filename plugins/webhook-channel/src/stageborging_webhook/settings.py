"""The plugin's settings: ``Engine(config={"webhook": {...}})`` or the ``[webhook]`` table
of the command line's config file.

==============  ====================================================================
key             meaning
==============  ====================================================================
``url``         Where every delivery is POSTed (required): an ``https://`` address;
                ``http://`` only to ``localhost``, ``127.0.0.1`` or ``::1`` unless
                ``allow_http`` is true. No ``user:password@`` and no ``#fragment``.
``secret_env``  The *name* of the environment variable that holds the signing secret
                (required): ``whsec_`` and the base64 (padded) of 24 to 64 random
                bytes. The secret itself never goes into the settings.
``headers``     Extra headers sent with every delivery (a table of name to value,
                printable ASCII); a ``User-Agent`` replaces the channel's. Not the
                signature's (``webhook-id``, ``webhook-timestamp``,
                ``webhook-signature``) nor the ones the HTTP client sets
                (``Content-Type``, ``Content-Length``, ``Host``,
                ``Transfer-Encoding``, ``Connection``). They are stored in the
                settings, so hold no credentials.
``channel``     The channel's name, the one notifications name (``webhook``).
``allow_http``  ``true`` to allow ``http://`` to any host (``false``).
==============  ====================================================================

The settings, and the secret in the environment, are read each time
``stageborging_channels`` is called (when a dispatcher starts), so one process may serve
engines with different settings; a dispatcher started before a secret was changed signs
with the old one until it is restarted.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from stageborging.core import check_identifier
from stageborging.exceptions import InvalidInput

__all__ = ["PLUGIN_NAME", "RESERVED_HEADERS", "SECRET_PREFIX", "Settings"]

#: The name the plugin is registered and configured under.
PLUGIN_NAME = "webhook"
#: The start of a Standard Webhooks secret; base64 of the key bytes follows.
SECRET_PREFIX = "whsec_"
#: The headers ``headers`` may not set (lower case): the signature's and the framing's.
RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type",
     "content-length", "host", "transfer-encoding", "connection"}
)  # fmt: skip
#: The hosts plain ``http://`` may go to without ``allow_http``.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_KEYS = ("allow_http", "channel", "headers", "secret_env", "url")
_HIDDEN = "<hidden>"  # what an error quotes instead of an address, a secret or a header value
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")  # an HTTP header name (RFC 9110)
#: A header's value: printable ASCII, no space at either end (RFC 9110).
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
_MAX_HEADER_VALUE = 4096
_MAX_URL = 2048
_SECRET_BYTES = (24, 64)


def _key(name: str) -> str:
    return f"{PLUGIN_NAME}.{name}"


def _allow_http(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(_key("allow_http"), value, "must be true or false")
    return value


def _url(value: object, allow_http: bool) -> str:
    """*value* if it is an address deliveries may go to; InvalidInput naming ``url``
    (without quoting it: an address may carry a token)."""
    where = _key("url")
    if value is None:
        raise InvalidInput(where, None, "is required: the receiver's https:// address")
    if not isinstance(value, str) or not value or len(value) > _MAX_URL:
        raise InvalidInput(where, _HIDDEN, f"must be an address of 1 to {_MAX_URL} characters")
    if any(not c.isprintable() or c.isspace() for c in value):
        raise InvalidInput(where, _HIDDEN, "must hold no spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parses the port, raising ValueError when it is off
        httpx.URL(value)
    except (ValueError, httpx.InvalidURL):
        raise InvalidInput(where, _HIDDEN, "is no address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(where, _HIDDEN, "must be an https:// address with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            where, _HIDDEN, "must carry no user:password@ (the signature authenticates us)"
        )
    if parts.fragment or value.endswith("#"):
        raise InvalidInput(where, _HIDDEN, "must have no #fragment")
    if scheme == "http" and not allow_http and parts.hostname.lower() not in LOCAL_HOSTS:
        raise InvalidInput(
            where, _HIDDEN, "must be https:// (http:// only to localhost, or with allow_http)"
        )
    return value


def _secret(value: object, environ: Mapping[str, str]) -> tuple[str, str]:
    """The environment variable *value* names, and the secret it holds; InvalidInput
    naming ``secret_env`` (quoting the variable's name, never the secret)."""
    where = _key("secret_env")
    if value is None:
        raise InvalidInput(
            where, None, "is required: the name of the environment variable holding the secret"
        )
    if not isinstance(value, str) or _ENV_NAME.fullmatch(value) is None:
        raise InvalidInput(where, value, "must be the name of an environment variable")
    secret = environ.get(value, "")
    if not secret:
        raise InvalidInput(where, value, "names an environment variable that is not set")
    encoded = secret.removeprefix(SECRET_PREFIX)
    low, high = _SECRET_BYTES
    problem = f"must hold {SECRET_PREFIX} and the base64 of {low} to {high} bytes"
    if encoded == secret:
        raise InvalidInput(where, value, problem)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(where, value, problem) from None
    if not low <= len(key) <= high:
        raise InvalidInput(where, value, problem)
    return value, secret


def _headers(value: object) -> dict[str, str]:
    where = _key("headers")
    if not isinstance(value, Mapping):
        raise InvalidInput(where, value, "must be a table of header names to values")
    found: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
            raise InvalidInput(where, name, "a header name is letters, digits and !#$%&'*+.^_`|~-")
        if name.lower() in RESERVED_HEADERS:
            raise InvalidInput(
                f"{where}.{name}", _HIDDEN, "is set by the channel; it cannot be given here"
            )
        if name.lower() in {n.lower() for n in found}:
            raise InvalidInput(f"{where}.{name}", _HIDDEN, "is given twice (in another case)")
        if (
            not isinstance(text, str)
            or len(text) > _MAX_HEADER_VALUE
            or _HEADER_VALUE.fullmatch(text) is None
        ):
            raise InvalidInput(
                f"{where}.{name}",
                _HIDDEN,
                "must be printable ASCII without a space at either end, at most 4,096 characters",
            )
        found[name] = text
    return found


@dataclass(frozen=True)
class Settings:
    """The settings of one engine's ``webhook`` plugin, checked. Its ``repr`` shows
    neither the address, the secret nor the headers."""

    url: str = field(repr=False)
    secret_env: str
    secret: str = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    channel: str = PLUGIN_NAME
    allow_http: bool = False

    @classmethod
    def of(cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in *config* (the plugin's part of the engine's config), the
        secret read from *environ* (the process's environment by default).

        Raises:
            InvalidInput: naming the key that is missing, unknown or off
                (``webhook.url``); its message never quotes the address, the secret
                or a header's value.
        """
        for key in config:
            if key == "secret":
                raise InvalidInput(
                    _key("secret"),
                    _HIDDEN,
                    "never put the secret in the settings: name an environment variable "
                    "holding it with secret_env",
                )
            if key not in _KEYS:
                raise InvalidInput(
                    _key(str(key)), _HIDDEN, f"is no setting; known: {', '.join(_KEYS)}"
                )
        allow_http = _allow_http(config.get("allow_http", False))
        url = _url(config.get("url"), allow_http)
        secret_env, secret = _secret(
            config.get("secret_env"), os.environ if environ is None else environ
        )
        return cls(
            url=url,
            secret_env=secret_env,
            secret=secret,
            headers=_headers(config.get("headers", {})),
            channel=check_identifier(_key("channel"), config.get("channel", PLUGIN_NAME)),
            allow_http=allow_http,
        )
