"""The testing kit for plugin authors, registered as a pytest plugin.

With stageborging installed, every pytest session has these fixtures:

``stageborging_clock``
    A :class:`FakeClock` at 2027-01-10 09:00 UTC that the test moves by hand.
``stageborging_plugins``
    The plugins the engine gets: ``[]``; override it in your ``conftest.py``.
``stageborging_config``
    The plugin settings the engine gets: ``{}``; override it likewise.
``stageborging_engine``
    A fresh :class:`~stageborging.Engine` on a temporary SQLite file, with the
    clock, the plugins and the settings above (entry points off, so the test
    sees only what it asked for) and a new master key (free text is sealed).

and, to use in tests: :func:`registered` (a plugin for the duration of a
block), :func:`notifications` (what plugins queued), :func:`assert_refused`,
:func:`assert_recorded` and :func:`assert_intact` (the audit log),
:class:`PluginSpy` (what plugins are given: never free text),
:func:`due_steps` and :func:`assert_escalated` (guidance: move the clock, ``tick``,
and see what became due or was missed), :class:`KitContacts` and
:class:`RecordingChannel` (delivery: an address book and a channel that keeps what
it is handed), :class:`ChannelContract` (the tests every channel plugin should pass), a
:class:`Journey` that drives internships along the lifecycles in small steps
or as a whole story, and :class:`PluginContract`, a suite of tests every
plugin should pass::

    from stageborging.testing import PluginContract

    class TestMyPlugin(PluginContract):
        @pytest.fixture
        def plugin(self):
            return MyPlugin()

Importing this package does not import pytest: the journey, the clock and the
helpers work in any program (the command line's demo uses the journey). The
contract is imported when first asked for; the fixtures live in a module that
pytest loads as a plugin next to this one (``pytest_plugins``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._assertions import (
    PluginSpy,
    assert_escalated,
    assert_intact,
    assert_recorded,
    assert_refused,
    due_steps,
    notifications,
    registered,
)
from ._clock import FakeClock
from ._delivery import KitContacts, RecordingChannel
from ._journey import Cast, Journey, KitRegister, Step

if TYPE_CHECKING:
    from ._channel_contract import ChannelContract
    from ._contract import PluginContract

__all__ = [
    "Cast",
    "ChannelContract",
    "FakeClock",
    "Journey",
    "KitContacts",
    "KitRegister",
    "PluginContract",
    "PluginSpy",
    "RecordingChannel",
    "Step",
    "assert_escalated",
    "assert_intact",
    "assert_recorded",
    "assert_refused",
    "due_steps",
    "notifications",
    "registered",
]

#: The kit's fixtures: pytest registers this module as a plugin (entry point
#: ``pytest11``), then the modules listed here.
pytest_plugins = ["stageborging.testing._fixtures"]


def __getattr__(name: str) -> Any:
    # The contract is a pytest test class: import pytest only when it is used.
    if name == "PluginContract":
        from ._contract import PluginContract

        return PluginContract
    if name == "ChannelContract":
        from ._channel_contract import ChannelContract

        return ChannelContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
