"""The Dutch MBO defaults for stageborging (DOMAIN §6, §8b).

Installed, the distribution registers the plugin ``mbo-defaults`` through the
``stageborging`` entry-point group: the default guidance steps and deadlines of an MBO
school, the institution facts they are completed by, an SBB recognition verifier over
a register file the school imports, and a VOG pre-start check per programme. Every part
is configured per engine under ``config["mbo-defaults"]`` (see :mod:`.settings`).
"""

from .facts import FACTS
from .register import Register, RegisterError, load_register
from .settings import Settings
from .steps import default_steps

__all__ = ["FACTS", "Register", "RegisterError", "Settings", "default_steps", "load_register"]
__version__ = "0.1.0"
