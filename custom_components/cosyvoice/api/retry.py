"""When to try again: exponential backoff with full jitter, a budget and a deadline."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .errors import CosyVoiceError, worth_retrying


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried.

    Full jitter (a random delay between 0 and the exponential cap) spreads the retries
    of many clients that failed together, so they do not come back in lockstep.
    """

    attempts: int = 3
    """Tries in all, the first included. A resumed stream that got a sentence further
    since its last failure counts afresh: only failures in a row use up the budget."""
    base_delay: float = 0.2
    """Cap of the first backoff, doubled after each failure."""
    max_delay: float = 2.0
    deadline: float = 20.0
    """No new attempt starts this many seconds after the first one started (for a
    resumed stream: the first since it last got a sentence further)."""

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the ``failures``-th failure (1-based)."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        return cap * rand()

    def should_retry(
        self,
        error: CosyVoiceError,
        failures: int,
        elapsed: float,
        *,
        restartable: bool = False,
        resumable: bool = False,
    ) -> bool:
        """Whether another attempt may follow: as its kind says, within budget."""
        return (
            worth_retrying(error, restartable=restartable, resumable=resumable)
            and failures < self.attempts
            and elapsed < self.deadline
        )


NO_RETRY = RetryPolicy(attempts=1)
