"""The contract suite every plugin should pass (a pytest test class to subclass)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .. import Engine, Finding, Notification, Severity
from ..exceptions import InvalidInput, PluginError, Refused
from ..privacy import MasterKey
from ._assertions import PluginSpy, assert_intact
from ._clock import FakeClock
from ._journey import Journey, KitRegister

__all__ = ["PluginContract"]


#: The free text the contract's story writes: no plugin may ever see it.
SECRET = "Kit sentence: the employer said no to my headscarf (never seen by a plugin)."
_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
#: What personal data looks like in a message: an e-mail address, a phone or
#: citizen service number, a postcode, or one of the journey's own ids.
_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\b\d{9,}\b|\b\d{4}\s?[A-Z]{2}\b|kit-(student|employer|coach|po)"
)


def _name_of(engine: Engine) -> str:
    """The name the plugin under test is registered under: the explicit one not the kit's."""
    names = [
        status.name
        for status in engine.plugin_status()
        if status.source == "explicit" and status.name not in (KitRegister.name, PluginSpy.name)
    ]
    return names[0] if names else ""


class PluginContract:
    """Tests every plugin should pass. Subclass it and provide a ``plugin`` fixture.

    The suite registers your plugin on an engine, drives the :class:`Journey`
    and, before every transition and fact, dry-runs it twice. It checks that the plugin
    registers (hook names and arguments valid), that its checks never fail and
    their findings are well-formed (a dotted lowercase code, a known severity, an
    English and a Dutch message: the engine fills in neither), hold no personal
    data, and are deterministic (the same answer when asked twice), and that what
    it queues is well-formed.
    """

    @pytest.fixture
    def plugin(self) -> object:
        """Override: return an instance (or module) of your plugin."""
        raise NotImplementedError("override the 'plugin' fixture with your plugin")

    @pytest.fixture
    def plugin_config(self) -> dict[str, Any]:
        """Override: the settings your plugin needs (``Engine(config=...)``)."""
        return {}

    @pytest.fixture
    def contract_engine(
        self, tmp_path: Path, plugin: object, plugin_config: dict[str, Any]
    ) -> Iterator[tuple[Engine, FakeClock]]:
        clock = FakeClock()
        plugins = [KitRegister(), plugin]
        path = tmp_path / "contract.db"
        with Engine(path, plugins=plugins, clock=clock, config=plugin_config) as engine:
            yield engine, clock

    def _decisions(self, engine: Engine, clock: FakeClock) -> list[list[Finding]]:
        name = _name_of(engine)
        decisions = []
        for sid, kind, command, actor, data in Journey(engine, clock).steps():
            # Transitions and facts alike: dry-run twice, then do it.
            check, do = (
                (engine.check, engine.fire)
                if kind == "fire"
                else (engine.check_record, engine.record)
            )
            try:
                first = check(sid, command, actor=actor, data=data)
                second = check(sid, command, actor=actor, data=data)
                assert first == second, f"{command}: two dry runs disagree: {first} / {second}"
                decisions.append([f for f in first.findings if f.source == name])
                do(sid, command, actor=actor, data=data)
            except (Refused, InvalidInput):
                continue
        return decisions

    def test_registers_cleanly(
        self, tmp_path: Path, plugin: object, plugin_config: dict[str, Any]
    ) -> None:
        """The plugin's hooks exist and take only arguments their specs have."""
        # Built here, not by the fixture: a refused plugin fails this test by name
        # instead of erroring in a fixture.
        try:
            engine = Engine(
                tmp_path / "registers.db",
                plugins=[KitRegister(), plugin],
                clock=FakeClock(),
                config=plugin_config,
            )
        except PluginError as exc:
            pytest.fail(f"the plugin does not register: {exc}")
        with engine:
            assert engine.plugin_problems == ()

    def test_findings_are_well_formed(self, contract_engine: tuple[Engine, FakeClock]) -> None:
        """Every finding has a dotted code, a known severity and a message in both languages.

        The findings are the plugin's own: the engine fills in no language, and a
        check that raised or returned something malformed (``check.failed``) fails.
        """
        engine, clock = contract_engine
        for findings in self._decisions(engine, clock):
            for finding in findings:
                assert finding.code != "check.failed", (
                    f"the plugin's check failed: {finding.params.get('error')}"
                )
                assert _CODE.fullmatch(finding.code), (
                    f"code {finding.code!r} is not dotted lowercase"
                )
                assert finding.severity in Severity
                assert finding.message.strip(), f"{finding.code}: empty message"
                assert finding.message_nl.strip(), f"{finding.code}: empty Dutch message"

    def test_findings_hold_no_personal_data(
        self, contract_engine: tuple[Engine, FakeClock]
    ) -> None:
        """Messages and params carry codes, never addresses, numbers or the people's ids."""
        engine, clock = contract_engine
        for findings in self._decisions(engine, clock):
            for finding in findings:
                text = " ".join([finding.message, finding.message_nl, *finding.params.values()])
                match = _PERSONAL.search(text)
                assert match is None, f"{finding.code}: looks like personal data: {match.group()!r}"

    def test_notifications_are_well_formed(
        self, contract_engine: tuple[Engine, FakeClock], caplog: pytest.LogCaptureFixture
    ) -> None:
        """The notification hooks never fail: what they return is notifications, queued,
        each of a kind with a template whose placeholders its params fill."""
        engine, clock = contract_engine
        caplog.set_level(logging.WARNING, logger="stageborging")
        Journey(engine, clock).run()
        skipped = [r for r in caplog.records if r.getMessage() == "notifications skipped"]
        assert not skipped, "notification hook failed: " + ", ".join(
            f"{getattr(r, 'hook', '?')}: {getattr(r, 'error', '?')}" for r in skipped
        )
        for entry in engine.notifications(pending=False):
            note = entry.notification
            assert isinstance(note, Notification)
            template = engine.templates.get(note.template)
            assert template is not None, (
                f"the notification kind {note.template} has no template: give one in Dutch "
                "and English (stageborging_templates), or it is a dead letter when delivered"
            )
            missing = sorted(template.params - set(note.params))
            assert not missing, f"{note.template}: the template fills in {missing}, not given"
        assert_intact(engine)

    def test_never_sees_free_text(
        self,
        tmp_path: Path,
        plugin: object,
        plugin_config: dict[str, Any],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The plugin never gets free text or a sealed code: the story writes a known
        sentence into its notes and report, and no hook's arguments (watched by
        :class:`PluginSpy`), finding, notification or log line of the plugin hold it."""
        caplog.set_level(logging.DEBUG)
        spy, clock = PluginSpy(), FakeClock()
        plugins = [KitRegister(), plugin, spy]
        with Engine(tmp_path / "sealed.db", plugins=plugins, clock=clock, config=plugin_config,
                    master_key=MasterKey.generate()) as engine:  # fmt: skip
            Journey(engine, clock, text=SECRET).run()
            findings = [repr(e.findings) for s in engine.streams().streams
                        for e in engine.history(s.id)]  # fmt: skip
            queued = [repr(entry) for entry in engine.notifications(pending=False)]
        assert spy.calls, "the story called no hook"
        # what the plugin wrote first: a leak it made must not read as the engine's
        for text in (*findings, *queued):
            assert SECRET not in text, (
                "a finding or notification holds the free text: the plugin got it some way "
                "other than its hooks' arguments"
            )
        assert SECRET not in caplog.text, "a log line holds the free text"
        spy.assert_never_saw(SECRET)
