"""Logging, once each way, when DashScope stops answering and when it is back.

A TTS entity that turned unavailable would not be asked to speak at all, and its
fallback with it, so an outage shows in the log, as a repair issue and on each
voice profile's entity (:mod:`.reactions`). Only a request that failed for good
(after the client's retries) counts, and only errors about reaching the service: a
bad key or an empty account is a repair issue, and a bad message is the caller's
problem.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .api import ConnectivityError, CosyVoiceError

if TYPE_CHECKING:  # runtime.py holds an Availability
    from .runtime import CosyVoiceConfigEntry

_LOGGER = logging.getLogger(__name__)


class Availability:
    """Whether the entry's last word from the service was an outage, and its log.

    Starts available: setup has just reached the service.
    """

    def __init__(self, entry: CosyVoiceConfigEntry) -> None:
        """Name the entry in the log by its current title."""
        self._entry = entry
        self.available = True

    def failed(self, error: CosyVoiceError) -> bool:
        """A request failed: log an outage if it is the first one; whether one began."""
        if not self.available or not isinstance(error, ConnectivityError):
            return False
        self.available = False
        _LOGGER.warning("%s cannot reach DashScope: %s", self._entry.title, error)
        return True

    def succeeded(self) -> bool:
        """The service answered: log the end of an outage; whether one ended."""
        if self.available:
            return False
        self.available = True
        _LOGGER.info("%s reaches DashScope again", self._entry.title)
        return True
