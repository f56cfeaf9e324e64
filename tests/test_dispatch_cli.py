"""``stageborging dispatch``: one pass, a loop stopped by SIGTERM, the dead letters listed
and retried by hand, the [dispatch] settings; ``due`` counts the dead letters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stageborging import Engine
from stageborging.cli import main
from stageborging.testing import FakeClock
from support import STUDENT, Tells, journey
from test_plugin_loading import install

#: A channel writing what it sends to the file its settings name (or failing as told),
#: an address book with one English-speaking coach, and the template of ``moved``.
FILE_CHANNEL = """
import json
from stageborging import Contact, DeliveryFailed, MessageTemplate, hookimpl

class FileChannel:
    name = "email"

    def __init__(self, settings):
        self.sink, self.fail = settings["sink"], settings.get("fail")

    def deliver(self, delivery, timeout):
        if self.fail:
            raise DeliveryFailed(self.fail, permanent=True)
        with open(self.sink, "a", encoding="utf-8") as file:
            file.write(json.dumps({"key": delivery.key, "subject": delivery.subject}) + "\\n")

@hookimpl
def stageborging_channels(plugin_config):
    return [FileChannel(plugin_config)]

@hookimpl
def stageborging_recipients(role, stream):
    return ["coach-en"]

@hookimpl
def stageborging_contact(person, channel):
    return Contact("en@school.example", "Erin", "https://sis.example/1", "en")

@hookimpl
def stageborging_templates():
    return [MessageTemplate.framed("moved", {"nl": "Verplaatst", "en": "Moved: {step}"},
                                   {"nl": "Verplaatst.", "en": "It moved."})]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    install(path, "file-channel", "file_channel", FILE_CHANNEL)
    return path


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> Path:
    """A database with two pending entries (two streams that began their search)."""
    path = tmp_path / "school.db"
    with Engine(path, plugins=[Tells()], clock=clock) as engine:
        for _ in range(2):
            engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
    return path


def settings(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    sink = tmp_path / "sent.jsonl"
    config = tmp_path / "settings.toml"
    config.write_text(f'[file-channel]\nsink = "{sink}"\n{extra}', encoding="utf-8")
    return config, sink


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("STAGEBORGING_CONFIG", raising=False)
    return CliRunner()


def test_one_pass_delivers_what_is_due(
    runner: CliRunner, site: Path, db: Path, tmp_path: Path
) -> None:
    config, sink = settings(tmp_path)
    result = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "delivered 2, retry 0, dead 0\n  email: delivered 2\n"
    sent = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [s["subject"] for s in sent] == ["Moved: search", "Moved: search"]
    again = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(config),
                                 "--format", "json"])  # fmt: skip
    assert json.loads(again.stdout) == {"channels": {"email": {}}, "delivered": 0, "retry": 0,
                                        "dead": 0}  # fmt: skip
    assert "en@school" not in result.output + again.output


def test_dead_letters_are_listed_counted_and_retried_by_hand(
    runner: CliRunner, site: Path, db: Path, tmp_path: Path
) -> None:
    failing, _ = settings(tmp_path, 'fail = "smtp.550"\n')
    result = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(failing)])
    assert result.exit_code == 1, result.output  # a cron job notices
    assert result.stdout.startswith("delivered 0, retry 0, dead 2\n")
    assert "2 new dead letters: stageborging dispatch --failed" in result.stderr
    listed = runner.invoke(main, ["dispatch", "--db", str(db), "--failed", "--format", "json"])
    rows = json.loads(listed.stdout)
    assert [(r["channel"], r["kind"], r["attempts"], r["error"]) for r in rows] == [
        ("email", "moved", 1, "smtp.550")
    ] * 2
    table = runner.invoke(main, ["dispatch", "--db", str(db), "--failed"])
    assert "2 dead letters; fix the cause, then: stageborging dispatch --retry KEY" in table.stdout
    due = runner.invoke(main, ["due", "--db", str(db)])
    assert due.stdout.startswith("2 notifications could not be delivered (dead letters)")
    fixed, sink = settings(tmp_path)
    key = rows[0]["key"]
    retried = runner.invoke(main, ["dispatch", "--db", str(db), "--retry", key, "--by", "po-1",
                                   "--config", str(fixed)])  # fmt: skip
    assert retried.exit_code == 0, retried.output
    assert retried.stdout == f"{key} is pending again: the next dispatch delivers it\n"
    delivered = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(fixed)])
    assert delivered.stdout.startswith("delivered 1, retry 0, dead 0")
    assert [json.loads(line)["key"] for line in sink.read_text().splitlines()] == [
        f"{key}/coach-en"
    ]
    twice = runner.invoke(main, ["dispatch", "--db", str(db), "--retry", key,
                                 "--config", str(fixed)])  # fmt: skip
    assert twice.exit_code == 2
    assert "was delivered at" in twice.output
    every = runner.invoke(main, ["dispatch", "--db", str(db), "--retry", "all", "--channel",
                                 "email", "--config", str(fixed), "--format", "json"])  # fmt: skip
    assert json.loads(every.stdout) == {"pending_again": [rows[1]["key"]]}
    pending = runner.invoke(main, ["dispatch", "--db", str(db), "--pending"])
    assert pending.stdout.splitlines()[-1] == "1 entries pending"
    assert "now" in pending.stdout
    assert runner.invoke(main, ["dispatch", "--db", str(db), "--failed"]).stdout == (
        "no dead letters\n"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("attempts = 0", "[dispatch] attempts: must be a whole number from 1 to 100"),
        ('timeout = "30s"', "[dispatch] timeout: must be a number of seconds"),
        ("backoff = -1", "[dispatch] backoff: must be a number of seconds, 0 or more"),
        ("retries = 3", "[dispatch] retries: unknown; it takes attempts, timeout, lease"),
        ("backoff = 600\nbackoff_max = 60", "[dispatch] backoff_max: must be at least backoff"),
    ],
)
def test_bad_dispatch_settings_are_named(
    runner: CliRunner, site: Path, db: Path, tmp_path: Path, table: str, message: str
) -> None:
    config, _ = settings(tmp_path, f"[dispatch]\n{table}\n")
    result = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(config)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_without_a_channel_plugin_nothing_is_pretended(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(main, ["dispatch", "--db", str(db)])
    assert result.exit_code == 2
    assert "no channel is offered: install a channel plugin" in result.output
    unknown = runner.invoke(main, ["dispatch", "--db", str(db), "--channel", "sms"])
    assert unknown.exit_code == 2
    assert "channels='sms': no plugin offers it" in unknown.output


def test_what_cannot_be_delivered_is_said_at_start(
    runner: CliRunner, site: Path, tmp_path: Path, clock: FakeClock
) -> None:
    from stageborging import Notification, hookimpl

    class Odd:
        name = "test-odd"

        @hookimpl
        def stageborging_after_transition(self) -> list[Notification]:
            return [Notification("sms", "coach", "moved"), Notification("email", "coach", "x.y")]

    db = tmp_path / "odd.db"
    with Engine(db, plugins=[Odd()], clock=clock) as engine:
        engine.fire(journey(engine).open(), "begin_search", actor=STUDENT)
    config, _ = settings(tmp_path)
    result = runner.invoke(main, ["dispatch", "--db", str(db), "--config", str(config)])
    assert "warning: 1 entries wait for the channel 'sms'" in result.stderr
    assert "warning: 1 entries are of the kind 'x.y', which has no template" in result.stderr
    assert result.stdout.startswith("delivered 0, retry 0, dead 1")


def test_the_loop_delivers_until_sigterm(site: Path, db: Path, tmp_path: Path) -> None:
    config, sink = settings(tmp_path)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    environment.pop("STAGEBORGING_CONFIG", None)
    loop = subprocess.Popen(
        [sys.executable, "-m", "stageborging", "dispatch", "--loop", "--interval", "0.2",
         "--db", str(db), "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while (not sink.exists() or len(sink.read_text().splitlines()) < 2) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    loop.send_signal(signal.SIGTERM)
    out, err = loop.communicate(timeout=60)
    assert loop.returncode == 0, err
    assert out.startswith("delivered 2, retry 0, dead 0")
    assert err.rstrip().endswith("stopped")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--once", "--loop"], "--once and --loop do different things: give one"),
        (["--failed", "--retry", "x:1:p:0"], "--failed and --retry do different things"),
        (["--pending", "--loop"], "--loop and --pending do different things"),
        (["--by", "po-1"], "--by says who retries: give it with --retry"),
    ],
)
def test_modes_that_contradict_each_other_are_refused(
    runner: CliRunner, db: Path, argv: list[str], message: str
) -> None:
    result = runner.invoke(main, ["dispatch", "--db", str(db), *argv])
    assert result.exit_code == 2
    assert message in result.output


def test_retrying_the_dead_letters_of_a_channel_without_any_says_so(
    runner: CliRunner, site: Path, db: Path, tmp_path: Path
) -> None:
    config, _ = settings(tmp_path)
    result = runner.invoke(main, ["dispatch", "--db", str(db), "--retry", "all",
                                  "--channel", "sms", "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0
    assert "warning: --channel sms: no dead letter is of it" in result.stderr
    assert result.stdout == "0 dead letters are pending again\n"
