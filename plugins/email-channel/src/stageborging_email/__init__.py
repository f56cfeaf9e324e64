"""E-mail delivery for stageborging: a channel plugin that sends each notification as a
plain-text e-mail over SMTP, with the standard library only.

Installed, the distribution registers the plugin ``email`` through the ``stageborging``
entry-point group; it offers one channel, ``email`` (the channel guidance escalations
and safeguarding notices are sent on). It is configured per engine under
``config["email"]`` (see :mod:`.settings`). Each message's ``Message-ID`` is derived from
the delivery's idempotency key (:func:`.message.message_id`), so a resent duplicate can
be dropped; the failure codes are listed in :mod:`.failures`.
"""

from .channel import EmailChannel
from .failures import failure
from .message import KEY_HEADER, compose, message_id
from .settings import Settings

__all__ = ["KEY_HEADER", "EmailChannel", "Settings", "compose", "failure", "message_id"]
__version__ = "0.1.0"
