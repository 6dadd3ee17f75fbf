"""Shared fixtures: a DashScope emulator on loopback for every test that needs one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from devtools.emulator import DashScopeEmulator, EmulatorConfig

TEST_API_KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Emulator settings for one test: fast audio, no pacing, one valid key."""
    return EmulatorConfig(api_keys={TEST_API_KEY}, ms_per_char=20.0)


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[DashScopeEmulator]:
    """A started emulator on a free 127.0.0.1 port; stopped after the test."""
    async with DashScopeEmulator(emulator_config) as emu:
        yield emu
