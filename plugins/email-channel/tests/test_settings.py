"""The settings: their defaults, and each one that cannot work named when a dispatcher
starts (never at the engine's start, never quoting a password)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stageborging import Engine, InvalidInput, PluginError

from conftest import PASSWORD, PASSWORD_ENV
from stageborging_email import Settings
from stageborging_email import plugin as email_plugin

GOOD: dict[str, Any] = {"host": "smtp.school.example", "sender": "stage@school.example"}
ENV = {PASSWORD_ENV: PASSWORD}


def test_the_defaults() -> None:
    settings = Settings.of(GOOD, environ={})
    assert (settings.port, settings.tls, settings.channel) == (25, "starttls", "email")
    assert settings.message_id_domain == "school.example"
    assert (settings.username, settings.password, settings.reply_to) == (None, None, None)
    assert Settings.of({**GOOD, "tls": "implicit"}, environ={}).port == 465
    assert Settings.of({**GOOD, "port": 587}, environ={}).port == 587


def test_the_password_comes_from_the_environment_and_never_shows() -> None:
    settings = Settings.of({**GOOD, "username": "u", "password_env": PASSWORD_ENV}, environ=ENV)
    assert settings.password == PASSWORD
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"host": None}, "email.host"),
        ({"host": "smtp school"}, "email.host"),
        ({"port": "25a"}, "email.port"),
        ({"port": "25"}, "email.port"),
        ({"port": 0}, "email.port"),
        ({"port": 70000}, "email.port"),
        ({"port": True}, "email.port"),
        ({"port": 465}, "email.tls"),  # implicit TLS's port with tls = "starttls"
        ({"tls": "ssl3"}, "email.tls"),
        ({"tls": True}, "email.tls"),
        ({"sender": None}, "email.sender"),
        ({"sender": "stagebureau"}, "email.sender"),
        ({"sender": "Stage <stage@school.example>"}, "email.sender"),
        ({"sender": "a@school.example, b@school.example"}, "email.sender"),
        ({"sender": "stäge@school.example"}, "email.sender"),
        ({"sender": "stage@[192.0.2.1]"}, "email.message_id_domain"),  # no domain to borrow
        ({"message_id_domain": "-bad-.example"}, "email.message_id_domain"),
        ({"message_id_domain": "mail school"}, "email.message_id_domain"),
        ({"reply_to": "desk"}, "email.reply_to"),
        ({"sender_name": "Stage\nbureau"}, "email.sender_name"),
        ({"channel": "e mail"}, "email.channel"),
        ({"username": "u"}, "email.password_env"),
        ({"password_env": PASSWORD_ENV}, "email.username"),
        ({"username": "u", "password_env": "NOT SET"}, "email.password_env"),
        ({"username": "u", "password_env": "STAGEBORGING_UNSET_VARIABLE"}, "email.password_env"),
        ({"username": "u", "password_env": PASSWORD_ENV, "tls": "none"}, "email.tls"),
        ({"password": "hunter2"}, "email.password"),
        ({"colour": "blue"}, "email.colour"),
        ({"ca_file": 7}, "email.ca_file"),
    ],
)
def test_a_setting_that_cannot_work_is_named(changes: dict[str, Any], key: str) -> None:
    config = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    with pytest.raises(InvalidInput) as info:
        Settings.of(config, environ=ENV)
    assert info.value.field == key
    assert "hunter2" not in str(info.value)
    assert PASSWORD not in str(info.value)


def test_plain_text_login_only_to_a_relay_on_this_host() -> None:
    for host in ("localhost", "127.0.0.1", "::1"):
        config = {**GOOD, "host": host, "tls": "none", "username": "u",
                  "password_env": PASSWORD_ENV}  # fmt: skip
        assert Settings.of(config, environ=ENV).password == PASSWORD


@pytest.mark.parametrize("content", [None, "no certificate here\n"])
def test_a_ca_file_that_cannot_be_read_stops_the_dispatcher(
    tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InvalidInput) as info:
        email_plugin.stageborging_channels({**GOOD, "ca_file": str(path)})
    assert info.value.field == "email.ca_file"


def test_without_its_table_the_plugin_offers_no_channel(
    make_engine: Callable[..., Engine],
) -> None:
    """Installed but not configured, it stands aside: other channels still deliver."""
    assert email_plugin.stageborging_channels({}) == []
    assert "email" not in make_engine({}).dispatcher().channels


def test_the_plugin_offers_one_channel_named_as_set() -> None:
    assert [c.name for c in email_plugin.stageborging_channels(GOOD)] == ["email"]
    [channel] = email_plugin.stageborging_channels({**GOOD, "channel": "mail-office"})
    assert channel.name == "mail-office"
    assert "stage@" not in repr(channel)


@pytest.mark.parametrize(
    ("settings", "key"),
    [({"port": 587}, "email.host"), ({**GOOD, "port": "25a"}, "email.port"),
     ({**GOOD, "tls": "ssl3"}, "email.tls"), ({**GOOD, "sender": "nobody"}, "email.sender")],
)  # fmt: skip
def test_bad_settings_stop_the_dispatcher_not_the_engine(
    make_engine: Callable[..., Engine], settings: dict[str, Any], key: str
) -> None:
    """The engine starts (a web application or a tick needs no e-mail settings); the
    dispatcher does not, naming the setting."""
    engine = make_engine(settings)
    with pytest.raises(PluginError, match=key.replace(".", r"\.")):
        engine.dispatcher()
