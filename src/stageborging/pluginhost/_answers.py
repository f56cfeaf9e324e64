"""What a first-answer hook said, for the rules that asked."""

from __future__ import annotations

from attrs import frozen

__all__ = ["RecognitionAnswer"]


@frozen
class RecognitionAnswer:
    """What the recognition verifier said: ``recognised`` is None when none answered."""

    recognised: bool | None
    source: str
    error: str | None = None
    asked: int = 0  #: how many verifiers were asked when none answered
