"""How a dispatcher retries: attempts, backoff with jitter, the per-call timeout, the lease."""

from __future__ import annotations

from datetime import datetime, timedelta

import tenacity
from attrs import field, frozen

from ..core import InvalidInput

__all__ = ["RetryPolicy"]

#: The most attempts an entry may have before it is a dead letter.
MAX_ATTEMPTS = 100


def _attempts(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise InvalidInput("attempts", value, f"must be a whole number from 1 to {MAX_ATTEMPTS}")
    return value


def _seconds(name: str, value: object, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= high:
        # NaN fails the comparison too
        raise InvalidInput(name, value, f"must be a number of seconds above 0, at most {high:g}")
    return float(value)


def _timeout(value: object) -> float:
    return _seconds("timeout", value, 3600)


def _lease(value: object) -> float:
    return _seconds("lease", value, 86_400)


def _wait(value: object) -> tenacity.wait.wait_base:
    if not isinstance(value, tenacity.wait.wait_base):
        raise InvalidInput("wait", value, "must be a tenacity wait strategy (tenacity.wait_…)")
    return value


def _default_wait() -> tenacity.wait.wait_base:
    # 1, 2, 4 … minutes, at most six hours apart, each with up to a minute of jitter so
    # that entries failing together are not all tried again at the same moment
    return tenacity.wait_exponential(multiplier=60, max=6 * 3600) + tenacity.wait_random(0, 60)


@frozen
class RetryPolicy:
    """How a dispatcher delivers and retries (the schedule itself is kept in each row).

    Attributes:
        attempts: Attempts before an entry becomes a dead letter (1-100; 8 by default:
            with the default wait, about four hours of trying).
        wait: How long to wait after the n-th failed attempt: any tenacity wait
            strategy (``tenacity.wait_exponential(multiplier=60, max=21600) +
            tenacity.wait_random(0, 60)`` by default: 1, 2, 4 … minutes, at most six
            hours, each plus up to a minute of jitter).
        timeout: Seconds one channel call may take (30 by default): the channel is given
            it, and the dispatcher stops waiting a second after it (the attempt then
            counts as ``channel.timeout``).
        lease: Seconds an entry is leased to a dispatcher: if it dies, another one
            takes the entry over once the lease ends (300 by default). A delivery is
            not started with less than *timeout* and a second of the lease left.

    Raises:
        InvalidInput: a value is out of range (naming it), or the lease is shorter
            than the timeout and a second.
    """

    attempts: int = field(default=8, converter=_attempts)
    wait: tenacity.wait.wait_base = field(factory=_default_wait, converter=_wait)
    timeout: float = field(default=30.0, converter=_timeout)
    lease: float = field(default=300.0, converter=_lease)

    def __attrs_post_init__(self) -> None:
        if self.lease < self.timeout + 1:
            raise InvalidInput("lease", self.lease, "must be at least the timeout and a second")

    def retry_at(self, attempt: int, now: datetime) -> datetime:
        """When an entry whose *attempt*-th attempt failed at *now* is tried again."""
        state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
        state.attempt_number = attempt
        return now + timedelta(seconds=max(0.0, float(self.wait(state))))
