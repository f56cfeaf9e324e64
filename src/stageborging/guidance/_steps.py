"""Collecting the plugins' guidance steps, validated against the known lifecycles."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import GuidanceStep
from ..lifecycles import InstitutionFact, LifecycleDefinition
from ..pluginhost import PluginHost, collect_named

__all__ = ["collect_steps"]


def collect_steps(
    host: PluginHost,
    definitions: Mapping[str, LifecycleDefinition],
    facts: tuple[InstitutionFact, ...] = (),
) -> tuple[GuidanceStep, ...]:
    """Every plugin's guidance steps, by name, validated against the known *definitions*.

    Raises:
        PluginError: naming the plugin whose hook failed, returned something that is
            no guidance step, or whose step is invalid or takes a name already taken.
    """
    return collect_named(
        host,
        "stageborging_guidance_steps",
        GuidanceStep,
        "a guidance step",
        lambda step: check_step(step, definitions, facts),
    )


def check_step(
    step: GuidanceStep,
    definitions: Mapping[str, LifecycleDefinition],
    facts: tuple[InstitutionFact, ...] = (),
) -> None:
    """Raise ValueError when *step* names an unknown lifecycle, state, trigger or fact (a
    built-in one or one of the institution *facts*), or asks for planned dates a
    lifecycle does not have."""
    unknown = [n for n in step.lifecycles if n not in definitions]
    if unknown:
        raise ValueError(f"step {step.name!r}: unknown lifecycle {unknown[0]!r}")
    applies = [d for d in definitions.values() if step.applies_to(d.name, d.kind)]
    for definition in applies:
        where = f"step {step.name!r}: {definition.name!r}"
        states = [*step.applies_in]
        if step.anchor.startswith("entered:"):
            states.append(step.anchor.removeprefix("entered:"))
        missing = [s for s in states if s not in definition.states]
        if missing:
            raise ValueError(f"{where} has no state {missing[0]!r}")
        if step.anchor.startswith("applications:"):
            if "application_sent" not in definition.facts_by_name:
                raise ValueError(f"{where} records no applications for {step.anchor!r}")
        elif not step.anchor.startswith("entered:") and definition.kind != "internship":
            raise ValueError(f"{where} has no planned dates for {step.anchor!r}")
        names = {*definition.transitions_by_trigger, *definition.facts_by_name,
                 *(f.name for f in facts if f.applies_to(definition))}  # fmt: skip
        missing = [n for n in step.done_by if n not in names]
        if not missing and step.done_with:
            fields = _fields_of(definition, facts, step.done_by)
            unknown = [key for key in step.done_with if key not in fields]
            if unknown:
                raise ValueError(f"{where}: {step.done_by[0]!r} takes no field {unknown[0]!r}")
        if missing:
            raise ValueError(f"{where} has no trigger or fact {missing[0]!r}")
        if step.trigger is not None:
            transition = definition.transitions_by_trigger.get(step.trigger)
            if transition is None or not set(transition.sources) & set(step.applies_in):
                raise ValueError(
                    f"{where} has no transition {step.trigger!r} from the states the step "
                    "applies in"
                )
            if step.action == "fire" and "system" not in transition.roles:
                raise ValueError(f"{where}: the system actor may not fire {step.trigger!r}")


def _fields_of(
    definition: LifecycleDefinition, facts: tuple[InstitutionFact, ...], names: tuple[str, ...]
) -> set[str]:
    """The field names every one of *names* (triggers, facts, institution facts) takes."""
    own = {fact.name: fact for fact in facts}
    taken: set[str] | None = None
    for name in names:
        spec = (
            definition.transitions_by_trigger.get(name)
            or definition.facts_by_name.get(name)
            or own.get(name)
        )
        found = {field.name for field in spec.fields} if spec is not None else set()
        taken = found if taken is None else taken & found
    return taken or set()
