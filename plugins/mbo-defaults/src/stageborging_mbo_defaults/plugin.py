"""The ``mbo-defaults`` plugin: registered by the ``stageborging`` entry point, or given
as ``Engine(plugins=[stageborging_mbo_defaults.plugin])``.

It keeps no state of its own: every hook reads this engine's settings from
``plugin_config``, so one process may serve engines with different settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from stageborging import (
    Finding,
    GuidanceStep,
    InstitutionFact,
    Recognition,
    Stream,
    Transition,
    hookimpl,
)

from .facts import FACTS, VOG_RECEIVED
from .register import load_register
from .settings import Settings
from .steps import default_steps

#: The name the plugin is registered and configured under.
name = "mbo-defaults"


@hookimpl
def stageborging_configure(plugin_config: Mapping[str, Any]) -> None:
    """Refuse settings that cannot work, and a register that cannot be read, at start-up."""
    settings = Settings.of(plugin_config)
    default_steps(settings)
    if settings.register is not None:
        load_register(settings.register)


@hookimpl
def stageborging_institution_facts() -> tuple[InstitutionFact, ...]:
    return FACTS


@hookimpl
def stageborging_guidance_steps(plugin_config: Mapping[str, Any]) -> list[GuidanceStep]:
    return default_steps(Settings.of(plugin_config))


@hookimpl
def stageborging_verify_recognition(
    employer: str, qualification: str, on: date, plugin_config: Mapping[str, Any]
) -> Recognition | None:
    """The register's answer; ``None`` (ask the next verifier) without a register."""
    settings = Settings.of(plugin_config)
    if settings.register is None:
        return None
    return load_register(settings.register).answer(employer, qualification, on)


@hookimpl
def stageborging_check_transition(
    stream: Stream, transition: Transition, plugin_config: Mapping[str, Any]
) -> list[Finding]:
    """A programme that needs a VOG starts only once it is received (MBO internships: the
    lifecycles ``vog_received`` may be recorded in)."""
    if transition.trigger != "start" or stream.lifecycle not in VOG_RECEIVED.lifecycles:
        return []
    programme = stream.facts["details"].get("programme")
    if programme not in Settings.of(plugin_config).vog_programmes:
        return []
    if "vog_received" in stream.facts.get("noted", {}):
        return []
    return [
        Finding(
            "mbo.vog_missing",
            "block",
            f"Programme {programme} needs a certificate of conduct (VOG) before the start; "
            "record vog_received first.",
            f"Opleiding {programme} vraagt een Verklaring Omtrent het Gedrag (VOG) voor de "
            "start; leg eerst vog_received vast.",
            params={"programme": programme},
        )
    ]
