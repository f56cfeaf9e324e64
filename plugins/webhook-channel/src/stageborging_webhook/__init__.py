"""A webhook channel for stageborging.

Installed, the distribution registers the plugin ``webhook`` through the
``stageborging`` entry-point group. It offers one channel, ``webhook``: every delivery is
an HTTP POST of a versioned JSON payload (:mod:`.payload`) to the configured address,
signed per the Standard Webhooks specification (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) with a secret read from the environment. Its settings are in
:mod:`.settings`, what each answer comes to in :mod:`.outcomes`.
"""

from .__about__ import __version__
from .channel import WebhookChannel
from .outcomes import check_status, transport_code
from .payload import PAYLOAD_TYPE, PAYLOAD_VERSION, encode, payload
from .settings import PLUGIN_NAME, Settings
from .signature import signed_headers

__all__ = [
    "PAYLOAD_TYPE",
    "PAYLOAD_VERSION",
    "PLUGIN_NAME",
    "Settings",
    "WebhookChannel",
    "__version__",
    "check_status",
    "encode",
    "payload",
    "signed_headers",
    "transport_code",
]
