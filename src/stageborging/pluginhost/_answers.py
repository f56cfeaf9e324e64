"""What the plugins said: one implementation's answer, and the recognition verifier's."""

from __future__ import annotations

from typing import Any, NamedTuple

from attrs import frozen

from ..core import PluginInfo, Recognition

__all__ = ["Answer", "RecognitionAnswer"]


class Answer(NamedTuple):
    """One implementation's answer to one call: its value, or the exception it raised.

    ``error`` is None when the call returned: then ``value`` is what it returned
    (after the caller's ``accept`` check). Log and record only ``error_type``: an
    exception's message may carry personal data. (A named tuple: one is made per
    plugin per command.)
    """

    plugin: PluginInfo
    value: Any = None
    error: Exception | None = None

    @property
    def error_type(self) -> str:
        """The exception's type name ("" when the call returned)."""
        return "" if self.error is None else type(self.error).__name__


@frozen
class RecognitionAnswer:
    """What the recognition verifier said: ``recognised`` is None when none answered."""

    recognised: bool | None
    source: str
    error: str | None = None
    asked: int = 0  #: how many verifiers were asked when none answered
    #: The verifier's answer when it gave a :class:`~stageborging.Recognition`.
    status: Recognition | None = None
