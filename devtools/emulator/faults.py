"""Which fault, if any, hits the next handshake or the next task."""

from __future__ import annotations

import random
from collections import deque

from .config import (
    RANDOM_CUSTOMIZATION_FAULTS,
    RANDOM_HANDSHAKE_FAULTS,
    RANDOM_HTTP_FAULTS,
    RANDOM_TASK_FAULTS,
    EmulatorConfig,
    Fault,
    FaultKind,
)


class FaultPlan:
    """Queued one-shot faults first, then random ones at ``random_fault_rate``.

    Each kind of fault has its own queue: handshakes, run-tasks, HTTP synthesis
    POSTs, audio-URL downloads, voice enrollment POSTs and voice creations
    never take each other's faults.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        """Read the random settings from ``config`` at each draw (tests change it)."""
        self._config = config
        self._handshake: deque[Fault] = deque()
        self._task: deque[Fault] = deque()
        self._http: deque[Fault] = deque()
        self._audio_url: deque[Fault] = deque()
        self._customization: deque[Fault] = deque()
        self._voice_rejected: deque[Fault] = deque()
        self._rng: random.Random | None = None
        self._rng_seed: int | None = None

    def add(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests of the kind it hits."""
        queues = {
            FaultKind.HANDSHAKE: self._handshake,
            FaultKind.HTTP: self._http,
            FaultKind.AUDIO_URL: self._audio_url,
            FaultKind.CUSTOMIZATION: self._customization,
            FaultKind.VOICE_REJECTED: self._voice_rejected,
        }
        queues.get(fault.kind, self._task).extend([fault] * times)

    def next_handshake(self) -> Fault | None:
        """Return the fault for the handshake being answered, if any."""
        if self._handshake:
            return self._handshake.popleft()
        return self._draw(RANDOM_HANDSHAKE_FAULTS)

    def next_task(self) -> Fault | None:
        """Return the fault for the task being started, if any."""
        if self._config.unresponsive:
            return Fault.hang()
        if self._task:
            return self._task.popleft()
        return self._draw(RANDOM_TASK_FAULTS)

    def next_http(self) -> Fault | None:
        """Return the fault for the HTTP synthesis POST being answered, if any."""
        if self._http:
            return self._http.popleft()
        return self._draw(RANDOM_HTTP_FAULTS)

    def next_audio_url(self) -> Fault | None:
        """Return the fault for the audio download being answered (never random)."""
        return self._audio_url.popleft() if self._audio_url else None

    def next_customization(self) -> Fault | None:
        """Return the fault for the voice enrollment POST being answered, if any."""
        if self._customization:
            return self._customization.popleft()
        return self._draw(RANDOM_CUSTOMIZATION_FAULTS)

    def next_voice_rejected(self) -> bool:
        """Whether the voice being created is to end UNDEPLOYED (never random)."""
        if self._voice_rejected:
            self._voice_rejected.popleft()
            return True
        return False

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
