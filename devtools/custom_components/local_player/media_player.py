"""The recording media player: resolves and fetches what it is given, plays nothing.

A real player fetches the audio, and Home Assistant makes a message's audio only
then, so a message that fails shows only once it is fetched.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from homeassistant.components import media_source
from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.browse_media import (
    async_process_play_media_url,
)
from homeassistant.components.media_player.const import (
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddEntitiesCallback


async def async_setup_platform(
    hass: HomeAssistant,
    config: dict[str, Any],
    async_add_entities: AddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Add one recording player, named by the ``name`` of its configuration.

    ``fetch: true`` has it fetch the audio as a speaker does.
    """
    player = RecordingPlayer(str(config.get("name", "Local player")))
    player.fetches = bool(config.get("fetch", False))
    async_add_entities([player])


class RecordingPlayer(MediaPlayerEntity):
    """Keeps the media id and the resolved URL of the last play request."""

    _attr_state = MediaPlayerState.IDLE
    fetches = False
    _attr_supported_features = (
        MediaPlayerEntityFeature.PLAY_MEDIA | MediaPlayerEntityFeature.MEDIA_ANNOUNCE
    )

    def __init__(self, name: str) -> None:
        """A player with this name (and an id made from it)."""
        self._attr_name = name
        self._attr_unique_id = f"local_player_{name.casefold().replace(' ', '_')}"

    async def async_play_media(
        self, media_type: str, media_id: str, **kwargs: Any
    ) -> None:
        """Resolve a media-source id to the URL a speaker would fetch."""
        url = media_id
        if media_source.is_media_source_id(media_id):
            item = await media_source.async_resolve_media(
                self.hass, media_id, self.entity_id
            )
            url = async_process_play_media_url(self.hass, item.url)
        self._attr_extra_state_attributes = {
            "played_media_id": media_id,
            "played_url": url,
            "announce": kwargs.get("announce"),
        }
        self._attr_state = MediaPlayerState.PLAYING
        self.async_write_ha_state()
        if self.fetches and url.startswith(("http://", "https://")):
            self.hass.async_create_background_task(
                self._fetch(url), f"{self.entity_id} fetches {media_id}"
            )

    async def _fetch(self, url: str) -> None:
        """Fetch the audio as a speaker does; say in the state what came of it."""
        outcome: dict[str, Any]
        try:
            async with async_get_clientsession(self.hass).get(url) as response:
                body = await response.read()
        except aiohttp.ClientError as err:
            outcome = {"fetch_error": str(err) or type(err).__name__}
        else:
            outcome = (
                {"fetched_bytes": len(body)}
                if response.status == 200
                else {"fetch_error": f"HTTP {response.status}"}
            )
        self._attr_extra_state_attributes = {
            **(self._attr_extra_state_attributes or {}),
            **outcome,
        }
        self._attr_state = MediaPlayerState.IDLE
        self.async_write_ha_state()
