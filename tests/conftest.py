"""Shared fixtures: a DashScope emulator on loopback for every test that needs one."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from devtools.emulator import DashScopeEmulator, EmulatorConfig

TEST_API_KEY = "sk-test-0123456789abcdef"

# Property-based tests: bounded and reproducible by default, so the suite stays fast and
# a failure in CI fails the same way here (no deadline: CI machines are slow). Set
# HYPOTHESIS_PROFILE=fuzz to search 25 times longer, with fresh random examples.
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None
)
settings.register_profile(
    "fuzz", max_examples=5_000, deadline=None, database=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


@pytest.fixture(autouse=True)
def api_key_never_logged() -> Iterator[None]:
    """Fail any test in which our code logs the test API key, at any level."""
    recorder = _Recorder()
    logger = logging.getLogger("custom_components.cosyvoice")
    previous = logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous)
    leaked = [m for m in recorder.messages if TEST_API_KEY in m]
    assert not leaked, f"API key logged: {leaked[0]}"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Emulator settings for one test: fast audio, no pacing, one valid key."""
    return EmulatorConfig(api_keys={TEST_API_KEY}, ms_per_char=20.0)


@pytest.fixture
async def emulator(
    emulator_config: EmulatorConfig, socket_enabled: None
) -> AsyncIterator[DashScopeEmulator]:
    """A started emulator on a free 127.0.0.1 port; stopped after the test.

    Sockets are re-enabled for it; the test plugin still lets them reach 127.0.0.1 only.
    """
    async with DashScopeEmulator(emulator_config) as emu:
        yield emu
