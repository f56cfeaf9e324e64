"""The plugin's settings: ``Engine(config={"email": {...}})`` or the ``[email]`` table of
the command line's ``--config`` file.

=====================  ================================================================
key                    meaning
=====================  ================================================================
``host``               The SMTP server (a host name or an IP address). Required.
``port``               Its port: 25 by default, 465 with ``tls = "implicit"``.
``tls``                ``"starttls"`` (the default): upgrade the connection with
                       STARTTLS, and send nothing when the server does not offer it;
                       ``"implicit"``: TLS from the first byte (SMTPS, port 465);
                       ``"none"``: plain text, for a relay on the same host or network.
``ca_file``            A PEM file of the certificate authorities that may sign the
                       server's certificate (an institution's own CA); the system's by
                       default. The server's name is always checked.
``sender``             The ``From`` address (``stage@school.example``): one plain ASCII
                       address, no display name. Required.
``sender_name``        The display name shown with it (``Stagebureau``); none by
                       default.
``reply_to``           A ``Reply-To`` address (the placement office's desk); none by
                       default.
``message_id_domain``  The domain of each ``Message-ID``; the sender's domain by
                       default.
``username``           The user to log in as (``AUTH``); no login by default.
``password_env``       The *name* of the environment variable that holds the password
                       (``STAGEBORGING_SMTP_PASSWORD``): required with ``username``.
                       The password itself is never a setting, so that it stays out of
                       config files, their copies and version control; the variable is
                       read each time a dispatcher starts.
``channel``            The channel's name, which notifications name: ``email`` by
                       default.
=====================  ================================================================

Every setting is checked when a dispatcher starts (``stageborging_channels``): a bad one
raises :class:`~stageborging.exceptions.InvalidInput` naming it (``email.port``), which
stops the dispatcher with a :class:`~stageborging.exceptions.PluginError`. Engines that
never dispatch (a web application, ``stageborging tick``) are not stopped by it, and
need neither the table nor the password's variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from attrs import field, frozen
from stageborging import InvalidInput

__all__ = ["KEYS", "PREFIX", "TLS_MODES", "Settings"]

#: How every setting is named in an error: the plugin's table.
PREFIX = "email"
#: The ways a connection is secured.
TLS_MODES = ("starttls", "implicit", "none")
#: The settings there are.
KEYS = (
    "host", "port", "tls", "ca_file", "sender", "sender_name", "reply_to",
    "message_id_domain", "username", "password_env", "channel",
)  # fmt: skip
_HIDDEN = "<hidden>"
_HOST = re.compile(r"(?=.{1,253}\Z)(?=.*[A-Za-z0-9])[A-Za-z0-9.:\-]+")
_DOMAIN = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
_LOOPBACK = frozenset({"localhost", "localhost.localdomain"})


def _key(name: str) -> str:
    return f"{PREFIX}.{name}"


def parse_address(value: object) -> Address | None:
    """*value* as one e-mail address (``local@domain``), or ``None`` when it is not
    exactly one: a list (``a@x, b@y``), a display name, a missing domain."""
    if not isinstance(value, str) or "@" not in value:
        return None
    try:
        address = Address(addr_spec=value)
    except Exception:  # the header parser raises several kinds for a malformed one
        return None
    if address.addr_spec != value or not address.username or not address.domain:
        return None
    return address


def _text(name: str, value: object, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_key(name), value, "must be a non-empty string")
    if len(value) > limit or not value.isprintable():
        raise InvalidInput(_key(name), value, f"must be one printable line of at most {limit}")
    return value


def _host(value: object) -> str:
    if value is None:
        raise InvalidInput(_key("host"), value, "is required: the SMTP server to send through")
    if not isinstance(value, str) or _HOST.fullmatch(value) is None:
        raise InvalidInput(_key("host"), value, "must be a host name or an IP address")
    return value


def _tls(value: object) -> str:
    if value not in TLS_MODES:
        raise InvalidInput(_key("tls"), value, f"must be one of {', '.join(TLS_MODES)}")
    assert isinstance(value, str)
    return value


def _port(value: object, tls: str) -> int:
    if value is None:
        return 465 if tls == "implicit" else 25
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInput(_key("port"), value, "must be a whole number from 1 to 65535")
    if value == 465 and tls != "implicit":
        raise InvalidInput(
            _key("tls"), tls, 'port 465 speaks TLS from the first byte: set tls = "implicit"'
        )
    return value


def _ascii_address(name: str, value: object) -> str:
    address = parse_address(value)
    if address is None or not address.addr_spec.isascii():
        raise InvalidInput(_key(name), value, "must be one plain ASCII address: local@domain")
    return address.addr_spec


def _domain(value: object, sender: str) -> str:
    if value is None:
        domain = sender.rpartition("@")[2]
        if _DOMAIN.fullmatch(domain) is None:
            raise InvalidInput(
                _key("message_id_domain"), None,
                f"is required: the sender's domain {domain!r} is no host name",
            )  # fmt: skip
        return domain.lower()
    if not isinstance(value, str) or _DOMAIN.fullmatch(value) is None:
        raise InvalidInput(_key("message_id_domain"), value, "must be a domain name")
    return value.lower()


def _channel(value: object) -> str:
    if not isinstance(value, str) or _CHANNEL.fullmatch(value) is None:
        raise InvalidInput(_key("channel"), value, "must be 1-128 letters, digits or '._:-'")
    return value


def _ca_file(value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | Path) or not str(value).strip():
        raise InvalidInput(_key("ca_file"), value, "must be a file path")
    return Path(value)


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _credentials(
    config: Mapping[str, Any], environ: Mapping[str, str], host: str, tls: str
) -> tuple[str | None, str | None, str | None]:
    """The user, the variable's name and the password it holds (all ``None``: no login)."""
    username, env = config.get("username"), config.get("password_env")
    if username is None and env is None:
        return None, None, None
    if username is None:
        raise InvalidInput(_key("username"), None, "is required with password_env")
    username = _text("username", username)
    if env is None:
        raise InvalidInput(
            _key("password_env"), None,
            "is required with username: the name of the environment variable holding "
            "the password",
        )  # fmt: skip
    if not isinstance(env, str) or _ENV_NAME.fullmatch(env) is None:
        raise InvalidInput(_key("password_env"), env, "must be an environment variable's name")
    password = environ.get(env)
    if not password:
        raise InvalidInput(_key("password_env"), env, "names an environment variable that is unset")
    if tls == "none" and not _loopback(host):
        raise InvalidInput(
            _key("tls"), tls,
            "a password is never sent unencrypted: use starttls or implicit (plain text "
            "only to a relay on this host)",
        )  # fmt: skip
    return username, env, password


@frozen
class Settings:
    """The checked settings of one engine's ``email`` plugin (see the module).

    Its ``repr`` leaves the password out.
    """

    host: str
    sender: str
    port: int = 25
    tls: str = "starttls"
    ca_file: Path | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    message_id_domain: str = ""
    username: str | None = None
    password_env: str | None = None
    password: str | None = field(default=None, repr=False)
    channel: str = "email"

    @classmethod
    def of(cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in *config* (the plugin's part of the engine's config); the
        password is read from *environ* (``os.environ`` by default).

        Raises:
            InvalidInput: naming the first key that is unknown, missing or off
                (``email.port``); never quoting a password.
        """
        if not isinstance(config, Mapping):
            raise InvalidInput(PREFIX, config, "must be a table of settings")
        if "password" in config:
            raise InvalidInput(
                _key("password"), _HIDDEN,
                "is never a setting: put it in an environment variable and name that "
                "variable in password_env",
            )  # fmt: skip
        unknown = sorted(str(key) for key in config if key not in KEYS)
        if unknown:
            raise InvalidInput(_key(unknown[0]), _HIDDEN, f"unknown; known: {', '.join(KEYS)}")
        host = _host(config.get("host"))
        tls = _tls(config.get("tls", "starttls"))
        port = _port(config.get("port"), tls)
        if config.get("sender") is None:
            raise InvalidInput(_key("sender"), None, "is required: the From address")
        sender = _ascii_address("sender", config["sender"])
        name = config.get("sender_name")
        reply_to = config.get("reply_to")
        username, env, password = _credentials(
            config, os.environ if environ is None else environ, host, tls
        )
        return cls(
            host=host,
            sender=sender,
            port=port,
            tls=tls,
            ca_file=_ca_file(config.get("ca_file")),
            sender_name=None if name is None else _text("sender_name", name),
            reply_to=None if reply_to is None else _ascii_address("reply_to", reply_to),
            message_id_domain=_domain(config.get("message_id_domain"), sender),
            username=username,
            password_env=env,
            password=password,
            channel=_channel(config.get("channel", "email")),
        )

    def tls_context(self) -> ssl.SSLContext | None:
        """The context that checks the server's certificate and name (``None`` with
        ``tls = "none"``).

        Raises:
            InvalidInput: ``ca_file`` cannot be read as PEM certificates.
        """
        if self.tls == "none":
            return None
        if self.ca_file is None:
            return ssl.create_default_context()
        try:
            return ssl.create_default_context(cafile=str(self.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(
                _key("ca_file"), str(self.ca_file), f"cannot be read: {type(exc).__name__}"
            ) from None
