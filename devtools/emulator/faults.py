"""Which fault, if any, hits the next handshake or the next task."""

from __future__ import annotations

import random
from collections import deque

from .config import (
    RANDOM_HANDSHAKE_FAULTS,
    RANDOM_TASK_FAULTS,
    EmulatorConfig,
    Fault,
)


class FaultPlan:
    """Queued one-shot faults first, then random ones at ``random_fault_rate``."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Read the random settings from ``config`` at each draw (tests change it)."""
        self._config = config
        self._handshake: deque[Fault] = deque()
        self._task: deque[Fault] = deque()
        self._rng: random.Random | None = None
        self._rng_seed: int | None = None

    def add(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` handshakes or run-tasks."""
        queue = self._handshake if fault.is_handshake else self._task
        queue.extend([fault] * times)

    def next_handshake(self) -> Fault | None:
        """Return the fault for the handshake being answered, if any."""
        if self._handshake:
            return self._handshake.popleft()
        return self._draw(RANDOM_HANDSHAKE_FAULTS)

    def next_task(self) -> Fault | None:
        """Return the fault for the task being started, if any."""
        if self._task:
            return self._task.popleft()
        return self._draw(RANDOM_TASK_FAULTS)

    def _draw(self, choices: tuple[Fault, ...]) -> Fault | None:
        rate = self._config.random_fault_rate
        if rate <= 0:
            return None
        seed = self._config.random_seed
        if self._rng is None or seed != self._rng_seed:
            self._rng, self._rng_seed = random.Random(seed), seed
        if self._rng.random() >= rate:
            return None
        return self._rng.choice(choices)
