"""The testing kit: a pytest plugin plugin authors use, tested as they would use it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime

import pytest
from attrs import evolve

from stageborging import (
    Actor,
    Engine,
    Finding,
    InvalidInput,
    InvalidTransition,
    Notification,
    Refused,
    hookimpl,
)
from stageborging.privacy import MasterKey
from stageborging.testing import (
    Cast,
    FakeClock,
    Journey,
    KitRegister,
    assert_intact,
    assert_recorded,
    assert_refused,
    notifications,
    registered,
)

pytest_plugins = ["pytester"]


class NoFridayStarts:
    name = "no-friday-starts"

    @hookimpl
    def stageborging_check_transition(self, transition, now):  # type: ignore[no-untyped-def]
        if transition.trigger == "start" and now.weekday() == 4:
            return [
                Finding("local.friday_start", "block", "No starts on Friday.", "Niet op vrijdag.")
            ]
        return None


class TellsCoach:
    name = "tells-coach"

    @hookimpl
    def stageborging_after_transition(self, event):  # type: ignore[no-untyped-def]
        if event.name == "start":
            return [Notification("email", "coach", "internship.started")]
        return None


def test_fixtures_give_a_fresh_engine_and_a_clock(
    stageborging_engine: Engine, stageborging_clock: FakeClock
) -> None:
    """The kit's engine starts empty, on the kit's clock, with the plugins asked for."""
    assert stageborging_engine.statistics().events == 0
    assert [p.name for p in stageborging_engine.plugins] == [
        "stageborging.case_deadlines",
        "stageborging.defaults",
        "stageborging.safeguarding_notices",
    ]
    stageborging_clock.advance(days=1)
    assert stageborging_clock().day == 11


def test_registered_adds_a_plugin_for_a_block(
    stageborging_engine: Engine, stageborging_clock: FakeClock
) -> None:
    """Inside the block the plugin decides; after it, it is gone."""
    with registered(stageborging_engine, NoFridayStarts()) as name:
        assert name == "no-friday-starts"
        assert name in {p.name for p in stageborging_engine.plugins}
    assert "no-friday-starts" not in {p.name for p in stageborging_engine.plugins}


@pytest.mark.hook("stageborging_check_transition", "stageborging_after_transition")
def test_a_journey_with_audit_assertions(tmp_path, stageborging_clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """Drive the kit's journey; a Friday start is refused and recorded, then goes ahead."""
    started = Notification("email", "coach", "internship.started")
    with Engine(tmp_path / "x.db", plugins=[KitRegister()], clock=stageborging_clock) as engine:
        with registered(engine, NoFridayStarts()), registered(engine, TellsCoach()):
            internship = None
            for sid, kind, name, actor, data in Journey(engine, stageborging_clock).steps():
                internship = internship or sid
                command = engine.fire if kind == "fire" else engine.record
                if name == "start":
                    stageborging_clock.set("2027-02-05")  # a Friday
                    with pytest.raises(Refused):
                        command(sid, name, actor=actor, data=data)
                    assert_refused(engine, sid, "local.friday_start")
                    stageborging_clock.set("2027-02-08")
                command(sid, name, actor=actor, data=data)
        assert internship is not None
        assert assert_recorded(engine, internship, "complete").to_state == "completed"
        assert notifications(engine, internship) == [started]
        assert_intact(engine)
        with pytest.raises(AssertionError, match=r"no refusal with code 'x\.y'"):
            assert_refused(engine, internship, "x.y")


def test_the_journey_in_small_steps(tmp_path, stageborging_clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """Each step moves one internship on, MBO and HBO; the start waits for the planned date."""
    with Engine(tmp_path / "x.db", plugins=[KitRegister()], clock=stageborging_clock) as engine:
        journey = Journey(engine, stageborging_clock)
        mbo = journey.open()
        assert journey.to_agreement_pending(mbo)
        assert engine.stream(mbo).state == "agreement_pending"
        assert journey.sign(mbo)
        assert journey.confirm(mbo)
        assert engine.stream(mbo).state == "ready_to_start"
        assert journey.start(mbo)
        assert (engine.stream(mbo).state, stageborging_clock().date().isoformat()) == (
            "active",
            "2027-02-01",
        )
        hbo = journey.open("hbo_stage", planned_start="2027-03-01", turns_18_on="2027-05-01")
        assert "qualification" not in engine.stream(hbo).facts["details"]
        assert journey.to_active(hbo)  # the coach approves the assignment; a guardian signs
        assert engine.stream(hbo).state == "active"
        signed = [e.data["party"] for e in engine.history(hbo) if e.name == "signature"]
        assert signed == ["student", "employer", "school", "guardian"]
        assert_recorded(engine, hbo, "assignment_decision")
        assert stageborging_clock().date().isoformat() == "2027-03-01"
        assert_intact(engine)


def test_a_refused_step_raises_or_returns_false(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A refusal raises; with keep_going the step stops there and says so; the cast acts."""
    office = Actor("roc-po-7", "placement_office")
    with Engine(tmp_path / "x.db", plugins=[KitRegister()], clock=FakeClock()) as engine:
        strict = Journey(engine, cast=evolve(Cast(), office=office), employer="kit-unrecognised")
        sid = strict.open()
        with pytest.raises(Refused):
            strict.to_agreement_pending(sid)
        assert_refused(engine, sid, "recognition.not_recognised")
        assert {e.actor for e in engine.history(sid) if e.name == "verify_employer"} == {office}
        lenient = Journey(engine, keep_going=True)
        other = lenient.open()
        assert lenient.to_agreement_pending(other)
        assert lenient.sign(other, "student")
        assert not lenient.confirm(other)  # two signatures are missing
        with pytest.raises(InvalidTransition):  # a step the state does not allow still raises
            lenient.search(other)
        assert engine.stream(other).state == "agreement_pending"


def test_the_journey_and_the_demo_run_without_pytest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The kit's journey, clock and helpers, and the demo built on them, need no pytest."""
    program = textwrap.dedent(
        f"""
        import sys
        sys.modules["pytest"] = None  # any import of pytest now fails
        import stageborging.cli
        import stageborging.testing as kit
        from click.testing import CliRunner
        try:
            kit.PluginContract
        except ImportError:
            pass
        else:
            raise SystemExit("the contract should need pytest")
        db = {str(tmp_path / "demo.db")!r}
        result = CliRunner().invoke(stageborging.cli.main, ["demo", "--db", db, "--students", "5"])
        print(result.output)
        raise SystemExit(result.exit_code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Demo cohort of 5 students" in done.stdout
    assert "Audit log: intact" in done.stdout
    assert "pytest" not in done.stderr


def test_the_pytest_plugin_and_the_contract_suite(pytester: pytest.Pytester) -> None:
    """A plugin author's test file: fixtures from the kit, and the contract suite passing."""
    pytester.makepyfile(
        test_author="""
        import pytest
        from stageborging import Finding, hookimpl
        from stageborging.testing import PluginContract

        class Reminder:
            name = "roc-reminder"

            @hookimpl
            def stageborging_check_transition(self, transition):
                if transition.trigger == "begin_search":
                    return [Finding("roc.training", "info", "Training first.", "Eerst training.")]
                return None

        class TestReminder(PluginContract):
            @pytest.fixture
            def plugin(self):
                return Reminder()

        @pytest.fixture
        def stageborging_plugins():
            return [Reminder()]

        def test_engine_has_my_plugin(stageborging_engine):
            assert "roc-reminder" in {p.name for p in stageborging_engine.plugins}
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_the_contract_suite_catches_bad_plugins(pytester: pytest.Pytester) -> None:
    """Personal data, undotted codes, missing Dutch and nondeterminism each fail the suite."""
    pytester.makepyfile(
        test_bad="""
        import itertools
        import pytest
        from stageborging import Finding, hookimpl
        from stageborging.testing import PluginContract

        counter = itertools.count()

        class Leaky:
            name = "leaky"

            @hookimpl
            def stageborging_check_transition(self, actor, transition):
                if transition.trigger == "begin_search":
                    return [Finding("Leak", "warn", f"Call jan@example.nl about {actor.id}")]
                if transition.trigger == "start":
                    return [Finding("leaky.flaky", "info", f"n={next(counter)}", "n")]
                return None

        class TestLeaky(PluginContract):
            @pytest.fixture
            def plugin(self):
                return Leaky()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*two dry runs disagree*"])


@pytest.mark.hook("stageborging_check_record")
def test_the_contract_checks_a_plugins_fact_checks_too(pytester: pytest.Pytester) -> None:
    """A fact check that leaks personal data fails the contract, like a transition check."""
    pytester.makepyfile(
        test_facts="""
        import pytest
        from stageborging import Finding, hookimpl
        from stageborging.testing import PluginContract

        class LeakyFacts:
            name = "leaky-facts"

            @hookimpl
            def stageborging_check_record(self, fact):
                if fact.name == "hours":
                    return [Finding("leaky.hours", "warn", "Mail jan@roc.nl", "Mail jan@roc.nl")]
                return None

        class TestLeakyFacts(PluginContract):
            @pytest.fixture
            def plugin(self):
                return LeakyFacts()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*leaky.hours: looks like personal data*"])


def test_the_contract_catches_a_failing_notification_hook(pytester: pytest.Pytester) -> None:
    """A notification hook that raises is skipped by the engine, but fails the contract."""
    pytester.makepyfile(
        test_noisy="""
        import pytest
        from stageborging import hookimpl
        from stageborging.testing import PluginContract

        class Noisy:
            name = "noisy"

            @hookimpl
            def stageborging_after_transition(self, event):
                if event.name == "terminate":
                    raise KeyError("reason")
                return None

        class TestNoisy(PluginContract):
            @pytest.fixture
            def plugin(self):
                return Noisy()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        ["*notification hook failed: stageborging_after_transition: KeyError*"]
    )


@pytest.mark.hook("stageborging_configure")
def test_settings_reach_the_kit_engine(pytester: pytest.Pytester) -> None:
    """Overriding stageborging_config gives the kit's engine its plugin settings."""
    pytester.makepyfile(
        test_settings="""
        import pytest
        from stageborging import hookimpl

        class Configured:
            name = "configured"
            seen = None

            @hookimpl
            def stageborging_configure(self, config):
                Configured.seen = dict(config)

        @pytest.fixture
        def stageborging_plugins():
            return [Configured()]

        @pytest.fixture
        def stageborging_config():
            return {"configured": {"minimum": 2}}

        def test_configured(stageborging_engine):
            assert Configured.seen == {"configured": {"minimum": 2}}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('return [Finding("roc.note", "info", "Training first.")]', "*empty Dutch message*"),
        ('return [Finding("roc.note", "info", " ", "Eerst training.")]', "*empty message*"),
        ('raise KeyError("student")', "*the plugin's check failed: KeyError*"),
        ('return [Finding("roc.note", "info", None, "Tekst.")]', "*check failed: InvalidInput*"),
    ],
    ids=["no-dutch", "blank-english", "raises", "malformed"],
)
def test_the_contract_fails_findings_that_are_not_well_formed(
    pytester: pytest.Pytester, body: str, message: str
) -> None:
    """No Dutch (the engine fills none in), a blank message or a failing check fails it."""
    pytester.makepyfile(
        test_findings=f"""
        import pytest
        from stageborging import Finding, hookimpl
        from stageborging.testing import PluginContract

        class Sloppy:
            name = "sloppy"

            @hookimpl
            def stageborging_check_transition(self, transition):
                if transition.trigger == "begin_search":
                    {body}
                return None

        class TestSloppy(PluginContract):
            @pytest.fixture
            def plugin(self):
                return Sloppy()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "findings_are_well_formed")
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines([message])


def test_the_contract_fails_a_plugin_that_does_not_register(pytester: pytest.Pytester) -> None:
    """A misspelled hook fails the registration test by name (the others cannot run)."""
    pytester.makepyfile(
        test_misspelled="""
        import pytest
        from stageborging import hookimpl
        from stageborging.testing import PluginContract

        class Misspelled:
            name = "misspelled"

            @hookimpl
            def stageborging_check_transitions(self, transition):
                return None

        class TestMisspelled(PluginContract):
            @pytest.fixture
            def plugin(self):
                return Misspelled()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "registers_cleanly")
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines(["*the plugin does not register*stageborging_check_transitions*"])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: FakeClock("2027-01-01"), "now"),  # type: ignore[arg-type]
        (lambda: FakeClock(datetime(2027, 1, 1)), "now"),
        (lambda: FakeClock().advance(days="x"), "days"),  # type: ignore[arg-type]
        (lambda: FakeClock().advance(years=1), "years"),
        (lambda: FakeClock().advance(days=float("nan")), "days"),
        (lambda: FakeClock().advance(days=10**10), "delta"),
        (lambda: FakeClock().set("someday"), "day"),
        (lambda: FakeClock().set(datetime(2027, 1, 1)), "day"),
    ],
)
def test_the_fake_clock_names_what_it_cannot_use(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()
    assert info.value.field == field


def test_the_journey_reports_and_flags_as_a_school_does(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A case with or without consent, and an employer with a flag, for plugin tests."""
    clock = FakeClock()
    with Engine(tmp_path / "kit.db", clock=clock, master_key=MasterKey.generate()) as engine:
        journey = Journey(engine, clock, employer="kit-employer-9")
        assert engine.stream(journey.report(consent=False)).state == "registered_only"
        assert engine.stream(journey.report()).state == "investigating"
        founded = journey.report(founded=True)
        assert engine.stream(founded).facts["outcome"] == "founded"
        event = journey.flag_employer(flag="block")
        assert event.data["basis"] == "recommendation"
        journey.flag_employer("kit-employer-2", "review_before_new_placement")
        assert [f.flag for f in engine.employer("kit-employer-9").flags] == ["block"]
        sid = journey.open()
        journey.search(sid)
        assert not Journey(engine, clock, employer="kit-employer-9", keep_going=True).place(sid)
        assert_refused(engine, sid, "employer.blocked")
