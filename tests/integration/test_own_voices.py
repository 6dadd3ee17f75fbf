"""Own voices in Home Assistant: the actions, the picker, previews, and their errors."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.auth.models import User
from homeassistant.components import media_source, tts
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice import own_voices, services
from custom_components.cosyvoice.const import DOMAIN
from devtools.emulator import DashScopeEmulator
from tests.conftest import TEST_API_KEY
from tests.voice_samples import wav_sample

from .conftest import (
    VOICE_MODEL,
    design_voice,
    first_profile,
    set_profile,
    tts_entity,
    voice_action,
)


async def test_design_a_voice_then_speak_with_it_through_tts_speak(
    hass: HomeAssistant,
    entity_id: str,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    designed = await design_voice(hass, loaded_entry)
    voice_id = designed["voice_id"]
    assert voice_id.startswith(f"{VOICE_MODEL}-")
    assert designed["status"] == "OK"
    assert designed["target_model"] == VOICE_MODEL
    assert designed["name"] == "calm"
    assert designed["kind"] == "designed"

    # The preview plays from the media browser, as the service spoke it.
    preview = await media_source.async_resolve_media(hass, designed["preview"], None)
    client = await hass_client()
    response = await client.get(preview.url)
    assert response.status == HTTPStatus.OK
    assert preview.mime_type == "audio/wav"
    assert (await response.read())[:4] == b"RIFF"
    # Only to whoever may: no login, no preview.
    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(preview.url)).status == HTTPStatus.UNAUTHORIZED

    # The picker offers it, named as the user called it, with its model and description.
    voices = tts_entity(hass, loaded_entry).async_get_supported_voices("en")
    assert (
        voice_id,
        f"calm · designed for {VOICE_MODEL} · A calm, warm middle-aged female voice,"
        " speaking slowly.",
    ) in [(v.voice_id, v.name) for v in voices]

    calls = async_mock_service(hass, "media_player", "play_media")
    await hass.services.async_call(
        tts.DOMAIN,
        "speak",
        {
            "entity_id": entity_id,
            "media_player_entity_id": "media_player.kitchen",
            "message": "你好，欢迎回家。",
            "options": {"voice": voice_id},
        },
        blocking=True,
    )
    media = await media_source.async_resolve_media(
        hass, calls[0].data["media_content_id"], None
    )
    response = await client.get(media.url)
    assert response.status == HTTPStatus.OK
    task = emulator.tasks[-1]
    assert task.parameters["voice"] == voice_id
    assert await response.read() == task.audio


async def test_clone_a_voice_from_local_media(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
) -> None:
    (tmp_path / "grandma.wav").write_bytes(wav_sample(8.0))
    hass.config.media_dirs = {"local": str(tmp_path)}
    cloned = await voice_action(
        hass,
        "clone_voice",
        loaded_entry,
        model=VOICE_MODEL,
        name="grandma",
        sample={"media_content_id": "media-source://media_source/local/grandma.wav"},
    )
    assert cloned["status"] == "OK"
    assert cloned["kind"] == "cloned"
    (stored,) = emulator.voices(TEST_API_KEY)
    assert stored.voice_id == cloned["voice_id"]
    assert stored.url.startswith("oss://")  # uploaded to the account's own storage

    listed = await voice_action(hass, "list_voices", loaded_entry)
    assert [v["voice_id"] for v in listed["voices"]] == [cloned["voice_id"]]


@pytest.mark.parametrize(
    "sample",
    [
        "/etc/passwd",
        "secrets.yaml",
        "media-source://media_source/local/../secrets.yaml",
    ],
)
async def test_clone_reads_only_allowed_files(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
    sample: str,
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "secrets.yaml").write_text("api_key: sk-secret\n")
    hass.config.media_dirs = {"local": str(tmp_path / "media")}
    with pytest.raises(ServiceValidationError) as raised:
        await voice_action(
            hass,
            "clone_voice",
            loaded_entry,
            model=VOICE_MODEL,
            name="x",
            sample=sample,
        )
    assert raised.value.translation_key == "sample_not_allowed"
    assert emulator.voices(TEST_API_KEY) == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"name": "Grandma"}, "invalid_option"),
        ({"model": "cosyvoice-v1"}, "invalid_option"),
        (
            {"sample": "media-source://media_source/local/silent.wav"},
            "invalid_voice_sample",
        ),
        (
            {"sample": "media-source://media_source/local/short.wav"},
            "invalid_voice_sample",
        ),
        ({"sample": "media-source://media_source/local/none.wav"}, "sample_not_found"),
        ({"sample": "media-source://media_source/other/good.wav"}, "sample_not_found"),
        ({"sample": "media-source://media_source/local"}, "sample_not_found"),
        ({"sample": "media-source://tts/x"}, "sample_source_unsupported"),
    ],
)
async def test_bad_clone_requests_are_clear_and_make_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    tmp_path: Path,
    data: dict[str, str],
    key: str,
) -> None:
    (tmp_path / "silent.wav").write_bytes(wav_sample(8.0, silent=True))
    (tmp_path / "short.wav").write_bytes(wav_sample(2.0))
    (tmp_path / "good.wav").write_bytes(wav_sample(8.0))
    hass.config.media_dirs = {"local": str(tmp_path)}
    request = {
        "model": VOICE_MODEL,
        "name": "grandma",
        "sample": "media-source://media_source/local/good.wav",
        **data,
    }
    with pytest.raises(ServiceValidationError) as raised:
        await voice_action(hass, "clone_voice", loaded_entry, **request)
    assert raised.value.translation_key == key
    assert emulator.voices(TEST_API_KEY) == []


async def test_a_refusal_of_the_service_is_translated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.config.max_voices = 0
    with pytest.raises(ServiceValidationError) as raised:
        await design_voice(hass, loaded_entry)
    assert raised.value.translation_key == "voice_refused"


async def test_only_administrators_manage_voices(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_read_only_user: User,
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "list_voices",
            {"config_entry_id": loaded_entry.entry_id},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert emulator.customization_requests == 1  # only the list made at setup


async def test_delete_a_voice_but_not_the_one_in_use(
    hass: HomeAssistant, emulator: DashScopeEmulator, config_entry: MockConfigEntry
) -> None:
    in_use = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "inuse")
    spare = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "spare")
    set_profile(hass, config_entry, model=VOICE_MODEL, voice=in_use)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(ServiceValidationError) as raised:
        await voice_action(hass, "delete_voice", config_entry, voice_id=in_use)
    assert raised.value.translation_key == "voice_in_use"

    await voice_action(hass, "delete_voice", config_entry, voice_id=spare)
    assert [v.voice_id for v in emulator.voices(TEST_API_KEY)] == [in_use]
    voices = tts_entity(hass, config_entry).async_get_supported_voices("zh")
    assert spare not in [v.voice_id for v in voices]
    assert voices[0].voice_id == in_use

    with pytest.raises(ServiceValidationError) as raised:
        await voice_action(hass, "delete_voice", config_entry, voice_id=spare)
    assert raised.value.translation_key == "voice_not_found"


async def test_a_configured_voice_deleted_elsewhere_is_an_issue_not_a_fallback(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "gone")
    set_profile(hass, config_entry, model=VOICE_MODEL, voice=voice_id)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"voice_missing_{first_profile(config_entry).subentry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    # Deleted in the console: the service refuses the next message, which says why;
    # nothing is spoken, with this voice or another.
    await config_entry.runtime_data.client.enrollment.delete(voice_id)
    entity = tts_entity(hass, config_entry)
    for _ in range(2):
        with pytest.raises(HomeAssistantError) as raised:
            await entity.async_get_tts_audio(
                "你好。", "zh", entity.default_options or {}
            )
        assert raised.value.translation_key == "voice_not_found"
    (refused,) = emulator.tasks  # the second message was not even sent
    assert (refused.state, refused.frames) == ("failed", [])
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "CosyVoice", "voice": voice_id}

    # Setup finds it gone too; another voice in the options clears the issue.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    set_profile(hass, config_entry, model=VOICE_MODEL, voice="longanyang")
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_voice_still_deploying_cannot_speak_yet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, emulator: DashScopeEmulator
) -> None:
    emulator.config.voice_deploy_seconds = 60
    with (
        patch.object(services, "READY_WAIT", 0.2),
        patch.object(services, "POLL_INTERVAL", 0.05),
    ):
        designed = await design_voice(hass, loaded_entry)
    assert designed["status"] == "DEPLOYING"
    entity = tts_entity(hass, loaded_entry)
    labels = {v.voice_id: v.name for v in entity.async_get_supported_voices("zh")}
    assert labels[designed["voice_id"]].startswith(f"calm · 为 {VOICE_MODEL} 设计 · ")
    assert labels[designed["voice_id"]].endswith("(制作中)")
    options = {**(entity.default_options or {}), "voice": designed["voice_id"]}
    with pytest.raises(HomeAssistantError) as raised:
        await entity.async_get_tts_audio("你好。", "zh", options)
    assert raised.value.translation_key == "voice_not_ready"


async def test_setup_waits_only_briefly_for_the_list(
    hass: HomeAssistant,
    emulator: DashScopeEmulator,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    voice_id = emulator.add_voice(TEST_API_KEY, VOICE_MODEL, "slow")
    set_profile(hass, config_entry, model=VOICE_MODEL, voice=voice_id)
    emulator.config.handshake_delay = 0.5  # the list's answer too
    with patch.object(own_voices, "LIST_TIMEOUT", 0.1):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert not config_entry.runtime_data.voices.listed
    # Unlisted is not deleted: no issue, and the voice still speaks.
    assert not issue_registry.issues
    emulator.config.handshake_delay = 0
    entity = tts_entity(hass, config_entry)
    _, audio = await entity.async_get_tts_audio(
        "你好。", "zh", entity.default_options or {}
    )
    assert audio == emulator.tasks[-1].audio
