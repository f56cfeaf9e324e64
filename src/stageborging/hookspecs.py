"""The hooks a stageborging plugin may implement.

A plugin is any module, class or object with functions named after these specs
and marked with :data:`hookimpl`::

    from stageborging import Finding, hookimpl

    class NoFridayStarts:
        @hookimpl
        def stageborging_check_transition(self, transition, now):
            if transition.trigger == "start" and now.weekday() == 4:
                return [Finding("local.friday_start", "warn", "Starting on a Friday.")]
            return None

Implementations may accept any subset of a spec's arguments, by name. Hooks are
always called with keyword arguments, so new arguments can be added to a spec
without breaking existing plugins.

Every hook also offers the opt-in argument ``plugin_config``: the settings the
calling engine holds for *this* plugin (``Engine(config={name: {...}})``, keyed
by the plugin's name; an empty mapping when it holds none), read-only all the
way down. Read settings from it in each hook rather than keeping them in module
globals: one plugin module serving two engines in one process (two institutions
of a school group) then never mixes their settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .core import (
        Actor,
        Channel,
        Contact,
        Event,
        Finding,
        GuidanceStep,
        KeyProvider,
        MessageTemplate,
        Notification,
        Recognition,
        Role,
        Stream,
    )
    from .lifecycles import FactSpec, InstitutionFact, LifecycleDefinition, Transition

__all__ = [
    "PROJECT",
    "hookimpl",
    "hookspec",
    "stageborging_after_record",
    "stageborging_after_transition",
    "stageborging_channels",
    "stageborging_check_record",
    "stageborging_check_transition",
    "stageborging_configure",
    "stageborging_contact",
    "stageborging_guidance_steps",
    "stageborging_institution_facts",
    "stageborging_key_provider",
    "stageborging_lifecycles",
    "stageborging_recipients",
    "stageborging_templates",
    "stageborging_verify_recognition",
]

#: The pluggy project name, and the entry-point group of installable plugins.
PROJECT = "stageborging"

#: Marks a hook specification (used in this module only).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Marks a plugin's hook implementation.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def stageborging_check_transition(
    stream: Stream,
    transition: Transition,
    actor: Actor,
    data: Mapping[str, Any],
    now: datetime,
    plugin_config: Mapping[str, Any],
) -> Iterable[Finding] | None:
    """Check a proposed transition before the lifecycle moves.

    Called for every :meth:`Engine.fire <stageborging.Engine.fire>` and
    :meth:`Engine.check <stageborging.Engine.check>` once the command's input is
    valid and the trigger is allowed from the stream's state, after the role
    check and the hard guards. Every implementation is called, each on its own
    (collect-all): one implementation's findings or failure never hide
    another's.

    Args:
        stream: The stream as it is now (read-only; ``stream.facts`` is frozen).
        transition: The transition being fired: its ``trigger``, ``sources``,
            ``dest``, ``roles``, ``guards``, ``fields``.
        actor: Who fires it (pseudonymous id and role).
        data: The validated command data (codes, ids, ISO dates, integers).
        now: The engine clock's current time, timezone-aware, in the engine's
            timezone (``Europe/Amsterdam`` unless configured): date rules use
            ``now.date()``.
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.Finding` (severity ``block``
        refuses the transition; ``warn`` and ``info`` are recorded with the
        event), or ``None`` when there is nothing to say. The finding's
        ``source`` is set to the plugin's name.

    An implementation that raises, or returns anything but findings, produces
    a blocking ``check.failed`` finding naming the plugin: checks fail closed.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_check_record(
    stream: Stream,
    fact: FactSpec,
    actor: Actor,
    data: Mapping[str, Any],
    now: datetime,
    plugin_config: Mapping[str, Any],
) -> Iterable[Finding] | None:
    """Check a fact before it is recorded.

    The counterpart of :func:`stageborging_check_transition` for
    :meth:`Engine.record <stageborging.Engine.record>`: called once the fact's
    data is valid, the fact may be recorded in the stream's state, and the role
    check and the fact's hard guards ran. Every implementation is called, each
    on its own (collect-all).

    Args:
        stream: The stream as it is now, before the fact (read-only).
        fact: The fact being recorded: its ``name``, ``roles``, ``effect``,
            ``fields``, ``guards``, ``states``.
        actor: Who records it (pseudonymous id and role).
        data: The validated fact data (codes, ids, ISO dates, integers), read-only.
        now: The engine clock's current time, timezone-aware, in the engine's
            timezone.
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.Finding` (``block`` refuses the
        fact; ``warn`` and ``info`` are recorded with the event), or ``None``.
        The finding's ``source`` is set to the plugin's name.

    An implementation that raises, or returns anything but findings, produces
    a blocking ``check.failed`` finding naming the plugin: checks fail closed.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec(firstresult=True)
def stageborging_verify_recognition(
    employer: str, qualification: str, on: date, plugin_config: Mapping[str, Any]
) -> bool | Recognition | None:
    """Say whether an employer is recognised (by SBB) for a qualification.

    Called for ``verify_employer`` in lifecycles with the ``recognition`` guard
    (the ``mbo_bpv`` variant). Implementations are asked in turn until one
    answers; with none answering, the transition is refused with
    ``recognition.no_verifier`` (fail closed).

    Args:
        employer: The employer's (leerbedrijf's) id as proposed.
        qualification: The student's qualification code (crebo).
        on: The date the recognition must hold.
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        ``True`` when recognised, ``False`` when not, ``None`` when this
        implementation does not know the employer (the next one is asked); or a
        :class:`~stageborging.Recognition` saying why not (``not_listed``,
        ``expired``, ``not_yet_valid``, ``suspended``) or that SBB has not
        decided yet (``pending``: the placement waits in ``placement_proposed``).
        Each refusal's finding names it (``recognition.expired`` …). Anything
        else (``"no"``, ``0``) refuses with ``recognition.verifier_failed``.

    An implementation that raises refuses the transition with
    ``recognition.verifier_failed`` naming the plugin.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec(historic=True)
def stageborging_configure(config: Mapping[str, Any], plugin_config: Mapping[str, Any]) -> None:
    """Check the plugin settings the host gave the engine, at start-up.

    Called once for every plugin when the engine starts, with the mapping passed
    as ``Engine(config=...)`` (empty by default), and, because the hook is
    *historic*, also for any plugin registered later. Validate your settings
    here, so that a bad one stops the engine at once; read them in each hook
    from ``plugin_config`` (your part of ``config``, under your plugin's name),
    not from a module global set here.

    Args:
        config: The host's settings for every plugin (read-only).
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        Nothing. Raise to refuse a setting you cannot use: the engine does not
        start, with a :class:`~stageborging.exceptions.PluginError` naming your plugin.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_lifecycles(
    plugin_config: Mapping[str, Any],
) -> Iterable[LifecycleDefinition] | None:
    """Contribute lifecycle definitions: an institution's own variants.

    Called once when the engine starts. Each definition is validated like the
    built-in ones (it must carry the hard guards) and must have a name no other
    definition has; streams are then opened under it with
    :meth:`Engine.open <stageborging.Engine.open>`.

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.LifecycleDefinition`, or ``None``.
        A definition that fails validation stops the engine from starting,
        with a :class:`~stageborging.exceptions.PluginError` naming your plugin and the
        offending state or transition.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_after_transition(
    stream: Stream, event: Event, plugin_config: Mapping[str, Any]
) -> Iterable[Notification] | None:
    """Say whom to notify after a transition went ahead.

    Called in the command's transaction, after the ``transitioned`` event is
    sealed and before it commits; the notifications returned are written to
    the outbox in that same transaction, so they exist exactly when the event
    does. Delivery happens later, outside the transaction, by channel plugins.
    Not called for refused commands (a refusal is an event, not a change).

    Args:
        stream: The stream as it is after the transition (read-only).
        event: The ``transitioned`` event just recorded: its ``name`` is the
            trigger, ``from_state``/``to_state`` the move, ``data`` the
            command data, ``seq`` its place in the stream.
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.Notification`, or ``None``.

    An implementation that raises, or returns anything but notifications, is
    logged (plugin name and error type) and skipped: a broken notification
    plugin never blocks a student's progress.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_after_record(
    stream: Stream, event: Event, plugin_config: Mapping[str, Any]
) -> Iterable[Notification] | None:
    """Say whom to notify after a fact was recorded.

    Like :func:`stageborging_after_transition`, for ``recorded`` events
    (``event.name`` is the fact: ``signature``, ``hours``, ``midterm_review``
    …): called in the command's transaction, the notifications written to the
    outbox with it. A plugin that raises is logged and skipped.

    Args:
        stream: The stream after the fact (read-only).
        event: The ``recorded`` event.
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.Notification`, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_guidance_steps(
    plugin_config: Mapping[str, Any],
) -> Iterable[GuidanceStep] | None:
    """Register the institution's guidance steps, with their deadlines and escalation.

    Called once when the engine starts; the steps of every plugin are collected
    into :attr:`Engine.guidance_steps <stageborging.Engine.guidance_steps>`.
    Names must be unique across plugins; a step naming an unknown lifecycle or
    an anchor state its lifecycles lack stops the engine with a
    :class:`~stageborging.exceptions.PluginError`. Their deadlines are scheduled,
    met and escalated as :doc:`/guidance` describes.

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.GuidanceStep`, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_institution_facts(
    plugin_config: Mapping[str, Any],
) -> Iterable[InstitutionFact] | None:
    """Declare the institution's own facts (a VOG received, a reflection report).

    Called once when the engine starts. Each is recorded with
    :meth:`Engine.record <stageborging.Engine.record>` like a built-in fact, by the
    roles and in the states it names, and written as a ``noted`` event. Its only
    effect is its own: ``facts["noted"][name]`` counts the records and keeps the
    values of the last one. It never changes the placement, the agreement or consent,
    so a guidance step may be completed by it (``done_by``) and the hard rules hold
    whatever it says. A name a built-in fact or trigger has, a name another plugin
    declared, an unknown lifecycle or state stops the engine with a
    :class:`~stageborging.exceptions.PluginError`.

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.InstitutionFact`, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec(firstresult=True)
def stageborging_recipients(
    role: Role, stream: Stream, plugin_config: Mapping[str, Any]
) -> Sequence[str] | None:
    """Say who holds a role for a stream: the pseudonymous ids a notification goes to.

    Called by :meth:`Engine.recipients <stageborging.Engine.recipients>` (and
    by notification delivery) when a notification for ``role`` is sent.
    Implementations are asked in turn until one answers; typically one plugin
    looks the ids up in the student information system.

    Args:
        role: The role to resolve (``coach``, ``team_lead`` …).
        stream: The stream the notification is about (read-only).
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        The pseudonymous ids of the people holding the role (possibly empty),
        or ``None`` when this implementation does not know (the next is asked).
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec(firstresult=True)
def stageborging_key_provider(plugin_config: Mapping[str, Any]) -> KeyProvider | None:
    """Offer the installation's key provider: a key management service (KMS) that wraps
    and unwraps the subject keys, in place of a master key the engine holds.

    Called once when the engine starts, when it was given no ``master_key``. The first
    plugin that answers is used. The wrapped keys stay in the database (envelope
    encryption): the service only ever sees a 32-byte subject key and its key id, and
    must bind the two (a wrapped key moved to another id must not unwrap). Erasing a
    subject empties their wrapped key in the database; the service keeps nothing per
    subject. An answer without callable ``wrap`` and ``unwrap`` stops the engine with a
    :class:`~stageborging.exceptions.PluginError`.

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        A :class:`~stageborging.core.KeyProvider` (``wrap(key_id, subject_key) ->
        bytes``, ``unwrap(key_id, wrapped) -> bytes``), or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_channels(plugin_config: Mapping[str, Any]) -> Iterable[Channel] | None:
    """Offer channels that deliver notifications (e-mail, a webhook, a plugin's own).

    Called once when a dispatcher starts (:meth:`Engine.dispatch
    <stageborging.Engine.dispatch>`, ``stageborging dispatch``). Each channel has a
    ``name`` (the ``channel`` notifications name) and a ``deliver(delivery, timeout)``
    method that sends one :class:`~stageborging.Delivery` to one recipient and
    returns once the receiver accepted it, or raises
    :class:`~stageborging.exceptions.DeliveryFailed` (``permanent=True`` when trying
    again cannot help). The dispatcher calls a channel for one delivery at a time,
    in a thread of its own, and gives up waiting after *timeout* seconds: a slow or
    failing channel holds up no other. Two channels of one name, or one without a
    name or a callable ``deliver``, stop the dispatcher with a
    :class:`~stageborging.exceptions.PluginError`.

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`): the server, the credentials' source, the timeouts.

    Returns:
        An iterable of channels, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec(firstresult=True)
def stageborging_contact(
    person: str, channel: str, plugin_config: Mapping[str, Any]
) -> Contact | None:
    """Say how to reach one recipient on one channel, at delivery time.

    Called by the dispatcher for each pseudonymous id the ``stageborging_recipients``
    plugins gave, just before the message is written and sent. The contact (address,
    language, display name, deep link into your system) is used for that one message
    and never stored or logged. Implementations are asked in turn until one answers;
    typically one plugin looks the person up in the student information system.

    Args:
        person: The recipient's pseudonymous id.
        channel: The channel the message goes out on (``email``, ``webhook`` …).
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        A :class:`~stageborging.Contact`, or ``None`` when this implementation does
        not know the person (the next is asked). When none answers, the attempt
        records ``no_contact`` for that recipient and is tried again later, until the
        entry's attempts are used up and it becomes a dead letter.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called


@hookspec
def stageborging_templates(
    plugin_config: Mapping[str, Any],
) -> Iterable[MessageTemplate] | None:
    """Give the message templates of the notification kinds your plugin sends.

    Called once, when the engine's templates are first needed (a dispatcher starting,
    :attr:`Engine.templates <stageborging.Engine.templates>`). Each
    :class:`~stageborging.MessageTemplate`
    holds the subject and the text of one kind in Dutch and English, filled in at
    delivery with the notification's params and the recipient's ``{name}`` and
    ``{link}``. The built-in kinds (guidance's, safeguarding's) come with theirs; a
    plugin's template of a built-in kind replaces the built-in one (your own
    wording). Two plugins giving one kind, or a malformed template, stop the
    dispatcher with a :class:`~stageborging.exceptions.PluginError`; commands and
    deadlines go on. A notification whose kind
    has no template is a dead letter at its first delivery attempt
    (``template.unknown``).

    Args:
        plugin_config: This engine's settings for your plugin, read-only
            (:ref:`plugin-config`).

    Returns:
        An iterable of :class:`~stageborging.MessageTemplate`, or ``None``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called
