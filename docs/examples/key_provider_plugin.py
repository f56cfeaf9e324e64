"""The installation's key service (stageborging_key_provider): subject keys wrapped by a
key management service instead of a master key the engine holds."""

import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stageborging import Actor, Engine, hookimpl
from stageborging.exceptions import KeyUnavailable


class SchoolKms:
    """Stands in for the school's KMS: it holds its key; the database holds what it wraps.

    A real one calls the service (Vault transit, a cloud KMS, an HSM) in wrap and unwrap.
    """

    name = "roc-kms"

    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._nonce = 0
        self.calls: list[str] = []

    @hookimpl
    def stageborging_key_provider(self):
        return self

    def wrap(self, key_id: str, subject_key: bytes) -> bytes:
        self.calls.append(f"wrap {key_id}")
        self._nonce += 1
        nonce = self._nonce.to_bytes(12, "big")  # a KMS keeps its own nonces
        return nonce + self._aead.encrypt(nonce, subject_key, key_id.encode())

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        self.calls.append(f"unwrap {key_id}")
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], key_id.encode())
        except Exception:
            raise KeyUnavailable(key_id, "the KMS refused to unwrap it") from None


student = Actor("stu-4711", "student")
advisor = Actor("vp-2", "confidential_advisor")


def main() -> None:
    kms = SchoolKms()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Engine(Path(tmp) / "school.db", plugins=[kms]) as engine,
    ):
        report = {"phase": "search", "description": "The interviewer asked about my faith."}
        sid = engine.open("case", actor=student, data=report).stream_id
        (description,) = engine.reveal(sid, actor=advisor)
        print("advisor reads:", description.value)
        # the database's master check, the student's key wrapped, then unwrapped to read
        print("the KMS was asked:", ", ".join(kms.calls))


if __name__ == "__main__":
    main()
