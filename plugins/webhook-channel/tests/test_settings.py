"""The settings: each bad one an InvalidInput naming its key (never quoting the address,
the secret or a header's value), read afresh each time the channels are asked for."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from stageborging import Engine, InvalidInput, PluginError

from conftest import SECRET, SECRET_ENV
from stageborging_webhook import Settings, WebhookChannel, plugin

OTHER_ENV = "STAGEBORGING_TEST_WEBHOOK_OTHER"
GOOD = {"url": "https://hooks.school.example/in", "secret_env": SECRET_ENV}


def channels(config: dict[str, Any]) -> list[WebhookChannel]:
    return plugin.stageborging_channels(config)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": None}, "webhook.url"),
        ({"url": 42}, "webhook.url"),
        ({"url": ""}, "webhook.url"),
        ({"url": "hooks.school.example/in"}, "webhook.url"),
        ({"url": "ftp://hooks.school.example/in"}, "webhook.url"),
        ({"url": "http://hooks.school.example/in"}, "webhook.url"),
        ({"url": "http://10.0.0.7/in"}, "webhook.url"),
        ({"url": "https:///in"}, "webhook.url"),
        ({"url": "https://user:pw@hooks.school.example/in"}, "webhook.url"),
        ({"url": "https://hooks.school.example/in#part"}, "webhook.url"),
        ({"url": "https://hooks.school.example:99999/in"}, "webhook.url"),
        ({"url": "https://hooks.school .example/in"}, "webhook.url"),
        ({"url": "https://hooks.school.example/in\n"}, "webhook.url"),
        ({"url": "https://hooks.school.example/" + "x" * 2048}, "webhook.url"),
        ({"allow_http": "yes"}, "webhook.allow_http"),
        ({"secret_env": None}, "webhook.secret_env"),
        ({"secret_env": "NOT A NAME"}, "webhook.secret_env"),
        ({"secret_env": ["A"]}, "webhook.secret_env"),
        ({"secret_env": "STAGEBORGING_TEST_WEBHOOK_UNSET"}, "webhook.secret_env"),
        ({"secret": SECRET}, "webhook.secret"),
        ({"urll": "https://hooks.school.example/in"}, "webhook.urll"),
        ({"headers": ["X-Tenant: 1"]}, "webhook.headers"),
        ({"headers": {"bad name": "1"}}, "webhook.headers"),
        ({"headers": {"webhook-signature": "v1,x"}}, "webhook.headers.webhook-signature"),
        ({"headers": {"Webhook-Id": "x"}}, "webhook.headers.Webhook-Id"),
        ({"headers": {"webhook-timestamp": "1"}}, "webhook.headers.webhook-timestamp"),
        ({"headers": {"Content-Type": "text/plain"}}, "webhook.headers.Content-Type"),
        ({"headers": {"Host": "elsewhere.example"}}, "webhook.headers.Host"),
        ({"headers": {"X-Tenant": "a\r\nX-Evil: 1"}}, "webhook.headers.X-Tenant"),
        ({"headers": {"X-Tenant": 1}}, "webhook.headers.X-Tenant"),
        ({"headers": {"X-Tenant": " padded "}}, "webhook.headers.X-Tenant"),
        ({"headers": {"X-Tenant": "Zoë"}}, "webhook.headers.X-Tenant"),
        ({"headers": {"X-Tenant": "x" * 4097}}, "webhook.headers.X-Tenant"),
        ({"headers": {"X-Tenant": "1", "x-tenant": "2"}}, "webhook.headers.x-tenant"),
        ({"channel": "two words"}, "webhook.channel"),
    ],
)
def test_a_bad_setting_is_named(changes: dict[str, Any], field: str) -> None:
    config = {k: v for k, v in (GOOD | changes).items() if v is not None}
    with pytest.raises(InvalidInput) as caught:
        channels(config)
    assert caught.value.field == field
    for value in ("hooks.school", SECRET, "text/plain", "X-Evil"):
        assert value not in str(caught.value)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        base64.b64encode(bytes(32)).decode(),  # no whsec_
        "whsec_not*base64!",
        "whsec_" + base64.b64encode(bytes(32)).decode().rstrip("="),  # unpadded
        "whsec_" + base64.b64encode(bytes(16)).decode(),  # too short
        "whsec_" + base64.b64encode(bytes(65)).decode(),  # too long
    ],
)
def test_a_secret_that_is_no_standard_webhooks_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv(OTHER_ENV, secret)
    with pytest.raises(InvalidInput) as caught:
        channels(GOOD | {"secret_env": OTHER_ENV})
    assert caught.value.field == "webhook.secret_env"
    assert caught.value.value == OTHER_ENV  # the variable is named, its value is not
    if secret:
        assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "config",
    [
        {"url": "http://localhost:8080/in"},
        {"url": "http://127.0.0.1/in"},
        {"url": "http://[::1]:8080/in"},
        {"url": "http://hooks.school.example/in", "allow_http": True},
        {"url": "https://hooks.school.example:8443/in?school=s1"},
    ],
)
def test_good_settings_give_one_channel(config: dict[str, Any]) -> None:
    [channel] = channels({"secret_env": SECRET_ENV} | config)
    assert channel.name == "webhook"
    assert channel.settings.url == config["url"]


def test_the_channel_may_be_named_and_shows_nothing_secret() -> None:
    [channel] = channels(GOOD | {"channel": "sis-webhook", "headers": {"X-Tenant": "t-9"}})
    assert channel.name == "sis-webhook"
    assert channel.settings.headers == {"X-Tenant": "t-9"}
    for shown in (repr(channel), repr(channel.settings)):
        for value in ("hooks.school", SECRET.removeprefix("whsec_"), "t-9"):
            assert value not in shown
    assert SECRET_ENV in repr(channel.settings)


def test_the_settings_are_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "whsec_" + base64.b64encode(bytes(range(1, 25))).decode()
    monkeypatch.setenv(OTHER_ENV, other)
    [one] = channels(GOOD)
    [two] = channels({"url": "https://elsewhere.example/in", "secret_env": OTHER_ENV})
    assert (one.settings.url, one.settings.secret) == (GOOD["url"], SECRET)
    assert (two.settings.url, two.settings.secret) == ("https://elsewhere.example/in", other)
    assert Settings.of(GOOD, environ={SECRET_ENV: other}).secret == other


def test_a_bad_setting_stops_the_dispatcher_not_the_engine(tmp_path: Path) -> None:
    config = {"webhook": {"url": "http://hooks.school.example/in", "secret_env": SECRET_ENV}}
    with Engine(tmp_path / "school.db", plugins=[plugin], config=config) as engine:
        with pytest.raises(PluginError, match=r"webhook\.url") as caught:
            engine.dispatcher()
        assert caught.value.plugin == "webhook"
        assert "hooks.school" not in str(caught.value)


def test_without_its_table_the_plugin_offers_no_channel() -> None:
    """Installed but not configured, it stands aside: other channels still deliver."""
    assert channels({}) == []
