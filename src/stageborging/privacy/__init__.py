"""Privacy: the building blocks for free text and matching ids.

Free text (a report's description, a note on a reason) is sealed under the key of the
subject it is about, with authenticated encryption (AES-256-GCM); the subject keys are
wrapped by the installation's master key. Erasing a subject destroys their key: what
was sealed under it can no longer be read by anyone, while the audit chain, which
covers the ciphertext, still verifies. Ids that must be found again (an employer's, a
reporter's) are HMACs with an installation secret, never bare hashes.
"""

from ..core import KeyProvider
from ._access import EXPORT_ROLES, may_read
from ._keys import KEY_BYTES, MasterKey, new_subject_key
from ._pseudonyms import Pseudonyms
from ._sealing import open_text, seal_text
from ._subjects import subject_of

__all__ = [
    "EXPORT_ROLES",
    "KEY_BYTES",
    "KeyProvider",
    "MasterKey",
    "Pseudonyms",
    "may_read",
    "new_subject_key",
    "open_text",
    "seal_text",
    "subject_of",
]
