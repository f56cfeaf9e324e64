"""``stageborging new-plugin``: a ready-to-install plugin package to start from."""

from __future__ import annotations

import contextlib
import keyword
import re
import secrets
import shutil
import sys
from pathlib import Path

from ..__about__ import __version__
from ..exceptions import InvalidInput

__all__ = ["write_plugin"]

_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
#: Longer names make paths some systems refuse (the package folder repeats the name).
_MAX_NAME = 64

_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "0.1.0"
description = "A stageborging plugin: {name}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["stageborging>={min_version}"]

[project.optional-dependencies]
tests = ["pytest>=8"]

# This line makes stageborging find the plugin once the package is installed.
[project.entry-points.stageborging]
{name} = "{package}.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

_README = """\
# {name}

A [stageborging](https://pypi.org/project/stageborging/) plugin. It adds:

- a **check**: a warning when a student asks for assisted search after fewer
  than four applications (`{package}.few_applications`);
- a **guidance step**: a search check-in with the coach every two weeks while
  searching (`{step}`);
- a **notification**: the coach hears when an internship is terminated.

Install it next to stageborging and it is found through its entry point:

```sh
pip install .
stageborging plugins        # lists {name}
```

Run its tests, which use stageborging's testing kit:

```sh
pip install '.[tests]'
python -m pytest
```

Change `src/{package}/plugin.py`; the guide "Writing plugins" in the
stageborging documentation explains every hook.
"""

_PLUGIN = '''\
"""The {name} plugin: a check, a guidance step and a notification with its message.

stageborging finds this module through the entry point in pyproject.toml and
registers it as the plugin "{name}". Every function marked @hookimpl
implements the hook it is named after.
"""

from stageborging import Finding, GuidanceStep, MessageTemplate, Notification, hookimpl

#: The name findings, events and the outbox show (the entry point's name, too).
name = "{name}"

#: How many applications a student sends before assisted search is expected.
MINIMUM_APPLICATIONS = 4


@hookimpl
def stageborging_check_transition(stream, transition):
    """Warn (never block) when assisted search is asked for after few applications."""
    if transition.trigger != "request_assistance":
        return None
    sent = len(stream.facts.get("applications", {{}}))
    if sent >= MINIMUM_APPLICATIONS:
        return None
    return [
        Finding(
            code="{package}.few_applications",
            severity="warn",
            message=f"Only {{sent}} applications before asking for assisted search.",
            message_nl=f"Pas {{sent}} sollicitaties voor de vraag om begeleid zoeken.",
            params={{"sent": str(sent)}},
        )
    ]


@hookimpl
def stageborging_guidance_steps():
    """A check-in with the coach every two weeks while the student searches."""
    return [
        GuidanceStep(
            name="{step}",
            anchor="entered:searching",
            role="coach",
            offset=2,
            unit="weeks",
            every=2,
            done_by="guidance_contact",
            description="Search check-in between coach and student.",
            description_nl="Zoekgesprek tussen begeleider en student.",
        )
    ]


@hookimpl
def stageborging_after_transition(event):
    """Tell the coach when an internship is terminated, with the reason code."""
    if event.name != "terminate":
        return None
    return [
        Notification(
            channel="email",
            recipient_role="coach",
            template="{package}.terminated",
            params={{"reason": event.data["reason"]}},
        )
    ]


@hookimpl
def stageborging_templates():
    """The message of the notification above, in Dutch and English ({{reason}} is its
    param; the recipient's {{name}} and the {{link}} into the host's system are added)."""
    return [
        MessageTemplate.framed(
            "{package}.terminated",
            subject={{"nl": "Stage beëindigd ({{reason}})", "en": "Internship ended ({{reason}})"}},
            text={{
                "nl": "De stage van uw student is beëindigd, reden: {{reason}}.",
                "en": "Your student's internship was ended, reason: {{reason}}.",
            }},
        )
    ]
'''

_TESTS = '''\
"""Tests of the {name} plugin, with stageborging's testing kit."""

import pytest
from stageborging import Actor
from stageborging.testing import (
    Journey, KitRegister, PluginContract, assert_escalated, due_steps, notifications,
)

from {package} import plugin as the_plugin

OFFICE = Actor("po-1", "placement_office")
STUDENT = Actor("stu-1", "student")
COACH = Actor("coach-1", "coach")
DETAILS = {{
    "student": "stu-1", "programme": "ict", "qualification": "25604", "level": 4,
    "track": "BOL", "planned_start": "2027-02-01", "planned_end": "2027-06-30",
    "planned_hours": 400, "turns_18_on": "2025-09-01",
}}


@pytest.fixture
def stageborging_plugins():
    """The kit's stageborging_engine gets this plugin (and a recognition verifier)."""
    return [KitRegister(), the_plugin]


class TestContract(PluginContract):
    """The suite every stageborging plugin should pass."""

    @pytest.fixture
    def plugin(self):
        return the_plugin


def test_few_applications_give_a_warning(stageborging_engine):
    sid = stageborging_engine.open("mbo_bpv", actor=OFFICE, data=DETAILS).stream_id
    stageborging_engine.fire(sid, "begin_search", actor=STUDENT)
    event = stageborging_engine.fire(sid, "request_assistance", actor=STUDENT)
    assert [f.code for f in event.findings] == ["{package}.few_applications"]
    assert event.to_state == "assisted_search"  # a warning never blocks


def test_the_check_in_escalates_after_two_weeks(stageborging_engine, stageborging_clock):
    journey = Journey(stageborging_engine, stageborging_clock)
    sid = journey.open(**DETAILS)
    journey.search(sid)  # entering searching schedules the step
    stageborging_clock.advance(days=14)
    assert due_steps(stageborging_engine, sid) == ["{step}"]
    stageborging_clock.advance(days=1)
    assert stageborging_engine.tick().missed == 1
    assert_escalated(stageborging_engine, sid, "{step}")
    assert stageborging_engine.tick().missed == 0  # exactly once


def test_termination_notifies_the_coach(stageborging_engine, stageborging_clock):
    journey = Journey(stageborging_engine, stageborging_clock)  # the kit's steps and actors
    sid = journey.open(**DETAILS)
    journey.to_active(sid)  # placed, signed, and started on the planned start date
    stageborging_engine.fire(sid, "terminate", actor=COACH, data={{"reason": "mismatch"}})
    (sent,) = notifications(stageborging_engine, sid)
    assert (sent.recipient_role, sent.template) == ("coach", "{package}.terminated")
'''


def _check_name(name: str) -> str:
    """The package name of the plugin *name*, once *name* is one pip and Python accept.

    Raises:
        InvalidInput: the name is malformed, too long, or its package would be a
            Python keyword, a standard-library module or stageborging itself.
    """
    if len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        raise InvalidInput(
            "name",
            name if len(name) <= _MAX_NAME else f"{name[:_MAX_NAME]}…",
            f"use lowercase letters, digits and single hyphens (at most {_MAX_NAME}), "
            "like 'roc-flags'",
        )
    package = name.replace("-", "_")
    if keyword.iskeyword(package):
        raise InvalidInput("name", name, "is a Python keyword: the package could not be imported")
    if package == "stageborging":
        raise InvalidInput("name", name, "is stageborging itself: name the plugin for what it does")
    if package in sys.stdlib_module_names:
        raise InvalidInput("name", name, "would hide the standard-library module of that name")
    return package


def _missing_parents(directory: Path) -> list[Path]:
    """The ancestors of *directory* that do not exist yet, the outermost first."""
    missing = [p for p in directory.parents if not p.exists()]
    return missing[::-1]


def write_plugin(name: str, directory: Path) -> list[Path]:
    """Write a plugin package called *name* into *directory*; return the files written.

    Nothing is written unless all of it is: the files go into a temporary folder
    beside *directory*, which is renamed into place at the end.

    Raises:
        InvalidInput: the name is not a lowercase distribution name
            (``roc-flags``) of at most 64 characters, its package would be a
            Python keyword, a standard-library module or ``stageborging``, or
            *directory* exists and is not an empty folder.
        OSError: *directory* cannot be written (nothing is left behind).
    """
    package = _check_name(name)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidInput("dir", str(directory), "exists and is not empty (or not a folder)")
    values = {
        "name": name,
        "package": package,
        "step": f"{package}.search_check_in",
        "min_version": __version__,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"src/{package}/__init__.py": '"""The {name} stageborging plugin."""\n',
        f"src/{package}/plugin.py": _PLUGIN,
        "tests/test_plugin.py": _TESTS,
    }
    created = _missing_parents(directory)
    staging: Path | None = None
    emptied = False
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        # Made like any folder (not mkdtemp's owner-only mode), as the package will be.
        staging = directory.parent / f".stageborging-new-plugin-{secrets.token_hex(8)}"
        staging.mkdir()
        for relative, template in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(**values), encoding="utf-8")
        emptied = directory.exists()
        if emptied:
            directory.rmdir()  # empty (checked above): the rename needs its place
        staging.rename(directory)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if emptied:
            directory.mkdir(exist_ok=True)  # the empty folder the user gave, as it was
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    return [directory / relative for relative in files]
