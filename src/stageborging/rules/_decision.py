"""The decision on one command: role, hard guards and the plugins' checks, in that order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..core import EventType, Finding, PluginInfo, Stream
from ..lifecycles import EXTERNAL_EFFECTS, FactSpec, Transition
from ..pluginhost import PluginHost, RecognitionAnswer
from ._guards import Command, Context, Lookup, check_role, evaluate_guards, nothing_linked

__all__ = ["decide"]

#: The check hook that sees each kind of move.
_CHECK_HOOKS = {
    EventType.TRANSITIONED: "stageborging_check_transition",
    EventType.RECORDED: "stageborging_check_record",
}


def decide(
    cmd: Command,
    host: PluginHost,
    stream: Callable[[], Stream],
    employer: Lookup = nothing_linked,
    linked: Lookup = nothing_linked,
) -> tuple[list[Finding], list[PluginInfo]]:
    """Every finding on *cmd*, and the plugins that took part (sorted by name, unique).

    *stream* gives the read-only stream the plugins see; it is only called when a
    plugin checks this kind of move. *employer* and *linked* look up the other streams
    the hard rules read (an employer by its id, any stream by its id).
    """
    answered: list[str] = []

    def verify(employer: str, qualification: str, on: date) -> RecognitionAnswer:
        answer = host.verify_recognition(employer, qualification, on)
        answered.append(answer.source)
        return answer

    findings = check_role(cmd) + evaluate_guards(cmd, Context(verify, employer, linked))
    plugins: list[PluginInfo] = []
    hook = _CHECK_HOOKS.get(cmd.move.type)
    if EXTERNAL_EFFECTS.intersection(cmd.move.effects):
        hook = None  # the world's record (SBB's decision …): no plugin check refuses it
    if hook is not None and host.implemented(hook):
        spec = cmd.move.spec
        if isinstance(spec, Transition):
            checked, plugins = host.check_transition(
                stream(), spec, cmd.actor, cmd.move.data, cmd.now
            )
        else:
            assert isinstance(spec, FactSpec)  # a recorded move always has its fact
            checked, plugins = host.check_record(stream(), spec, cmd.actor, cmd.move.data, cmd.now)
        findings.extend(checked)
    verifiers = [host.info(name) for name in answered if name in host]
    if verifiers:  # the checks' plugins come sorted and unique; keep them so
        plugins = sorted({*plugins, *verifiers}, key=lambda p: p.name)
    return findings, plugins
