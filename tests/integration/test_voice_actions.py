"""The voice actions' edges: which entry, whose call, where a sample comes from, and
a voice the service's review rejects, at once or after the action has answered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, UnknownUser
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cosyvoice import services
from custom_components.cosyvoice.const import DOMAIN
from devtools.emulator import DashScopeEmulator, Fault
from tests.conftest import TEST_API_KEY
from tests.voice_samples import mp3_sample, wav_sample

from .conftest import VOICE_MODEL, design_voice, tts_entity, voice_action


@pytest.mark.parametrize("other_domain", [False, True])
async def test_an_action_for_an_entry_that_is_not_ours_is_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    other_domain: bool,
) -> None:
    entry_id = "no-such-entry"
    if other_domain:
        other = MockConfigEntry(domain="other_integration", title="Other")
        other.add_to_hass(hass)
        entry_id = other.entry_id
    requests = emulator.customization_requests
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "list_voices",
            {"config_entry_id": entry_id},
            blocking=True,
            return_response=True,
        )
    assert raised.value.translation_key == "entry_not_found"
    assert raised.value.translation_placeholders == {"entry_id": entry_id}
    assert str(raised.value).rstrip(".") == f"There is no CosyVoice entry {entry_id}"
    assert emulator.customization_requests == requests


async def test_an_action_for_an_unloaded_entry_says_to_fix_it_first(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    requests = emulator.customization_requests
    with pytest.raises(ServiceValidationError) as raised:
        await design_voice(hass, loaded_entry)
    assert raised.value.translation_key == "entry_not_loaded"
    assert str(raised.value).rstrip(".") == (
        "CosyVoice (emulator) is not loaded; fix or reload it first"
    )
    assert emulator.customization_requests == requests
    assert emulator.voices(TEST_API_KEY) == []


async def test_an_administrator_may_list_and_an_unknown_user_may_not(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_admin_user: User,
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "mine")

    async def list_as(user_id: str) -> object:
        return await hass.services.async_call(
            DOMAIN,
            "list_voices",
            {"config_entry_id": loaded_entry.entry_id},
            blocking=True,
            return_response=True,
            context=Context(user_id=user_id),
        )

    listed = await list_as(hass_admin_user.id)
    assert isinstance(listed, dict)
    assert [voice["voice_id"] for voice in listed["voices"]] == [voice_id]
    with pytest.raises(UnknownUser):
        await list_as("a-user-since-removed")


async def test_a_voice_the_review_rejects_is_answered_as_rejected(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.config.voice_deploy_seconds = 0.1
    emulator.add_fault(Fault.voice_rejected())
    with patch.object(services, "POLL_INTERVAL", 0.05):
        designed = await design_voice(hass, loaded_entry)
    assert designed["status"] == "UNDEPLOYED"
    # Nothing is left watching it: the action's answer is final.
    await hass.async_block_till_done(wait_background_tasks=True)
    labels = {
        v.voice_id: v.name
        for v in tts_entity(hass, loaded_entry).async_get_supported_voices("en")
    }
    assert labels[designed["voice_id"]].endswith(" (rejected by DashScope's review)")


async def test_a_voice_rejected_after_the_answer_is_offered_as_such(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.config.voice_deploy_seconds = 0.5
    emulator.add_fault(Fault.voice_rejected())
    with (
        patch.object(services, "READY_WAIT", 0.1),
        patch.object(services, "POLL_INTERVAL", 0.02),
        caplog.at_level(logging.INFO, logger=services.__name__),
    ):
        designed = await design_voice(hass, loaded_entry)
        assert designed["status"] == "DEPLOYING"
        # The voice is watched in the background until the review is done.
        await hass.async_block_till_done(wait_background_tasks=True)
    voice_id = designed["voice_id"]
    assert f"Voice {voice_id} did not become ready" in caplog.text
    labels = {
        v.voice_id: v.name
        for v in tts_entity(hass, loaded_entry).async_get_supported_voices("zh")
    }
    assert labels[voice_id].endswith(" (未通过 DashScope 审核)")


@pytest.fixture
async def public_sample(socket_enabled: None) -> AsyncIterator[str]:
    """A public URL that serves a good MP3 sample (on loopback)."""
    app = web.Application()
    data = mp3_sample(10.0)

    async def sample(request: web.Request) -> web.Response:
        return web.Response(body=data, content_type="audio/mpeg")

    app.router.add_get("/dad.mp3", sample)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/dad.mp3"
    await runner.cleanup()


async def test_clone_from_a_public_url_hands_the_url_over(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    public_sample: str,
) -> None:
    cloned = await voice_action(
        hass,
        "clone_voice",
        loaded_entry,
        model=VOICE_MODEL,
        name="dad",
        sample=f"  {public_sample} ",
        language="zh",
    )
    assert cloned["status"] == "OK"
    (stored,) = emulator.voices(TEST_API_KEY)
    assert (stored.voice_id, stored.url) == (cloned["voice_id"], public_sample)
    assert stored.language_hints == ["zh"]
    assert emulator.uploads == {}  # the service fetched it; nothing left the house


async def test_clone_from_a_file_in_an_allowed_folder(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
) -> None:
    sample = wav_sample(8.0)
    (tmp_path / "grandma.wav").write_bytes(sample)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    cloned = await voice_action(
        hass,
        "clone_voice",
        loaded_entry,
        model=VOICE_MODEL,
        name="grandma",
        sample=str(tmp_path / "grandma.wav"),
    )
    (stored,) = emulator.voices(TEST_API_KEY)
    assert stored.voice_id == cloned["voice_id"]
    assert stored.url.startswith("oss://")
    assert list(emulator.uploads.values()) == [sample]


async def test_a_file_over_10_mb_is_refused_before_it_is_read(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
) -> None:
    (tmp_path / "huge.wav").write_bytes(wav_sample(8.0).ljust(10 * 1024 * 1024 + 1))
    hass.config.media_dirs = {"local": str(tmp_path)}
    with pytest.raises(ServiceValidationError) as raised:
        await voice_action(
            hass,
            "clone_voice",
            loaded_entry,
            model=VOICE_MODEL,
            name="huge",
            sample="media-source://media_source/local/huge.wav",
        )
    assert raised.value.translation_key == "invalid_voice_sample"
    assert emulator.uploads == {}
    assert emulator.voices(TEST_API_KEY) == []
