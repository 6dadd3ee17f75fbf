"""Designed voices' previews in the media browser: listed, played, bounded, forgotten."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from homeassistant.components import media_source
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cosyvoice.const import DOMAIN
from custom_components.cosyvoice.previews import MAX_PREVIEWS
from devtools.emulator import DashScopeEmulator

from .conftest import VOICE_MODEL, design_voice, voice_action

ROOT = f"media-source://{DOMAIN}"


async def test_the_media_browser_lists_previews_newest_first(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    empty = await media_source.async_browse_media(hass, ROOT)
    assert empty.title == "CosyVoice voice previews"
    assert empty.children == []

    calm = await design_voice(hass, loaded_entry, name="calm")
    bright = await design_voice(hass, loaded_entry, name="bright")
    browsed = await media_source.async_browse_media(hass, ROOT)
    assert browsed.can_expand
    assert not browsed.can_play
    assert [(c.title, c.can_play) for c in browsed.children] == [
        (f"bright ({VOICE_MODEL})", True),
        (f"calm ({VOICE_MODEL})", True),
    ]
    assert [c.media_content_id for c in browsed.children] == [
        bright["preview"],
        calm["preview"],
    ]
    assert [c.media_content_type for c in browsed.children] == ["audio/wav"] * 2


async def test_previews_have_no_folders(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    designed = await design_voice(hass, loaded_entry)
    # Unresolvable, or BrowseError on the newer Home Assistants: both say why.
    with pytest.raises(HomeAssistantError, match="no folders"):
        await media_source.async_browse_media(hass, designed["preview"])


async def test_only_the_newest_previews_are_kept(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    designed = [
        await design_voice(hass, loaded_entry, name=f"v{i}")
        for i in range(MAX_PREVIEWS + 1)
    ]
    browsed = await media_source.async_browse_media(hass, ROOT)
    assert [c.media_content_id for c in browsed.children] == [
        d["preview"] for d in reversed(designed[1:])
    ]
    # The oldest is gone: the media browser cannot resolve it, nor the server serve it.
    with pytest.raises(media_source.Unresolvable, match="No preview"):
        await media_source.async_resolve_media(hass, designed[0]["preview"], None)
    client = await hass_client()
    gone = f"/api/cosyvoice/preview/{designed[0]['voice_id']}"
    assert (await client.get(gone)).status == HTTPStatus.NOT_FOUND
    newest = await media_source.async_resolve_media(hass, designed[-1]["preview"], None)
    assert (await client.get(newest.url)).status == HTTPStatus.OK


async def test_a_deleted_voice_takes_its_preview_with_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    emulator: DashScopeEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    designed = await design_voice(hass, loaded_entry)
    preview = await media_source.async_resolve_media(hass, designed["preview"], None)
    await voice_action(
        hass, "delete_voice", loaded_entry, voice_id=designed["voice_id"]
    )
    browsed = await media_source.async_browse_media(hass, ROOT)
    assert browsed.children == []
    client = await hass_client()
    assert (await client.get(preview.url)).status == HTTPStatus.NOT_FOUND
    with pytest.raises(media_source.Unresolvable):
        await media_source.async_resolve_media(hass, designed["preview"], None)
