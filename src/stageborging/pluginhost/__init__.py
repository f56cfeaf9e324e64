"""The plugin host of one engine: registration (explicit plugins, entry points, the block
list, refusal of what cannot work), isolated and fail-closed hook calls with each
plugin's own settings, and the built-in default plugins."""

from ._answers import Answer, RecognitionAnswer
from ._calls import Accept
from ._collect import collect_facts, collect_named
from ._host import PluginHost
from ._register import plugin_name

__all__ = [
    "Accept",
    "Answer",
    "PluginHost",
    "RecognitionAnswer",
    "collect_facts",
    "collect_named",
    "plugin_name",
]
