"""The plugin's settings: ``Engine(config={"mbo-defaults": {...}})`` or the ``[mbo-defaults]``
table of the command line's config file.

========================  ==================================================================
key                       meaning
========================  ==================================================================
``register``              A path to the SBB register extract (CSV or JSON); without it the
                          plugin answers no recognition question (another verifier may).
``vog_programmes``        The programmes (``details["programme"]``) that need a VOG before
                          the start: their start is refused without ``vog_received``, and
                          their search escalates at T − ``vog_escalation_weeks``.
``escalation_weeks``      The search escalation before the planned start (T − 4 weeks).
``vog_escalation_weeks``  The same for VOG programmes (T − 8 weeks: Justis takes 2-8 weeks).
``disabled_steps``        Names of default steps the institution does not use.
``steps``                 Per step name, new ``offset``, ``unit``, ``every``, ``count``,
                          ``role`` or ``escalate_to`` (other fields are the defaults').
========================  ==================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")

__all__ = ["STEP_KEYS", "Settings"]

#: What an institution may change of a default step.
STEP_KEYS = frozenset({"offset", "unit", "every", "count", "role", "escalate_to"})
_KEYS = frozenset(
    {"register", "vog_programmes", "escalation_weeks", "vog_escalation_weeks",
     "disabled_steps", "steps"}
)  # fmt: skip


def _names(key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key} must be a list of names, not {type(value).__name__}")
    for name in value:
        if not isinstance(name, str) or not _ID.fullmatch(name):
            raise ValueError(f"{key}: {name!r} is no id (letters, digits, '._:-', no spaces)"[:200])
    return tuple(value)


def _weeks(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 52:
        raise ValueError(f"{key} must be a whole number of weeks from 1 to 52, not {value!r}")
    return value


@frozen
class Settings:
    """The settings of one engine's ``mbo-defaults`` plugin, checked."""

    register: Path | None = None
    vog_programmes: tuple[str, ...] = ()
    escalation_weeks: int = 4
    vog_escalation_weeks: int = 8
    disabled_steps: tuple[str, ...] = ()
    steps: Mapping[str, Mapping[str, Any]] = {}

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        """The settings in *config* (the plugin's part of the engine's config).

        Raises:
            ValueError: naming the key that is unknown or off.
        """
        unknown = sorted(set(config) - _KEYS)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(_KEYS))}")
        register = config.get("register")
        if register is not None and not isinstance(register, str | Path):
            raise ValueError(f"register must be a file path, not {type(register).__name__}")
        steps = config.get("steps", {})
        if not isinstance(steps, Mapping):
            raise ValueError("steps must be a table of step names")
        for name, changes in steps.items():
            if not isinstance(changes, Mapping):
                raise ValueError(f"steps.{name} must be a table of step settings")
            extra = sorted(set(changes) - STEP_KEYS)
            if extra:
                known = ", ".join(sorted(STEP_KEYS))
                raise ValueError(f"steps.{name}.{extra[0]} cannot be changed; only {known}")
        return cls(
            register=None if register is None else Path(register),
            vog_programmes=_names("vog_programmes", config.get("vog_programmes", [])),
            escalation_weeks=_weeks("escalation_weeks", config.get("escalation_weeks", 4)),
            vog_escalation_weeks=_weeks(
                "vog_escalation_weeks", config.get("vog_escalation_weeks", 8)
            ),
            disabled_steps=_names("disabled_steps", config.get("disabled_steps", [])),
            steps={name: dict(changes) for name, changes in steps.items()},
        )
