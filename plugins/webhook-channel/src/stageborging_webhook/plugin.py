"""The ``webhook`` plugin: registered by the ``stageborging`` entry point, or given as
``Engine(plugins=[stageborging_webhook.plugin])``.

It keeps no state of its own: ``stageborging_channels`` reads this engine's settings from
``plugin_config`` each time a dispatcher starts, so one process may serve engines with
different settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageborging import hookimpl

from .channel import WebhookChannel
from .settings import PLUGIN_NAME, Settings

#: The name the plugin is registered and configured under.
name = PLUGIN_NAME


@hookimpl
def stageborging_channels(plugin_config: Mapping[str, Any]) -> list[WebhookChannel]:
    """The webhook channel, as the settings say (see :mod:`.settings`); none without a
    ``[webhook]`` table: installed but not configured, the plugin offers nothing, so
    the dispatcher still delivers on the other channels.

    Raises:
        InvalidInput: a setting is missing or off, naming it (``webhook.url``); the
            dispatcher does not start (a :class:`~stageborging.PluginError` naming
            this plugin).
    """
    if not plugin_config:
        return []
    return [WebhookChannel(Settings.of(plugin_config))]
