"""Fixtures for the emulator's own tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Let tests open sockets; the plugin still allows connects to 127.0.0.1 only."""
