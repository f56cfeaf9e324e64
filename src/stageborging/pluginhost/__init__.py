"""The plugin host of one engine: registration (explicit plugins, entry points, the block
list), isolated and fail-closed hook calls, and the built-in default plugins."""

from ._answers import RecognitionAnswer
from ._host import PluginHost, plugin_name

__all__ = ["PluginHost", "RecognitionAnswer", "plugin_name"]
