"""Backoff: exponential caps, full jitter, budget and deadline."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import (
    AuthenticationError,
    ConnectionDroppedError,
    ServiceUnavailableError,
)
from custom_components.cosyvoice.api.retry import NO_RETRY, RetryPolicy


def test_delay_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=1.0)
    top = [policy.delay(n, rand=lambda: 1.0) for n in range(1, 6)]
    assert top == pytest.approx([0.2, 0.4, 0.8, 1.0, 1.0])
    assert policy.delay(3, rand=lambda: 0.0) == 0.0
    assert policy.delay(3, rand=lambda: 0.5) == pytest.approx(0.4)


def test_real_jitter_stays_within_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=0.3)
    delays = [policy.delay(4) for _ in range(200)]
    assert all(0 <= d <= 0.3 for d in delays)
    assert len(set(delays)) > 100  # random, not a fixed schedule


def test_should_retry() -> None:
    policy = RetryPolicy(attempts=3, deadline=5)
    transient = ServiceUnavailableError("x")
    assert policy.should_retry(transient, failures=1, elapsed=0)
    assert policy.should_retry(transient, failures=2, elapsed=4.9)
    assert not policy.should_retry(transient, failures=3, elapsed=0)
    assert not policy.should_retry(transient, failures=1, elapsed=5)
    assert not policy.should_retry(AuthenticationError("x"), failures=1, elapsed=0)
    late = ConnectionDroppedError("x", audio_delivered=True)
    assert not policy.should_retry(late, failures=1, elapsed=0)
    # A stream that knows the sentences heard goes on, within the same budget.
    assert policy.should_retry(late, failures=2, elapsed=0, resumable=True)
    assert not policy.should_retry(late, failures=3, elapsed=0, resumable=True)
    assert not policy.should_retry(late, failures=1, elapsed=5, resumable=True)
    assert not NO_RETRY.should_retry(transient, failures=1, elapsed=0)
