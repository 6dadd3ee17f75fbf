"""The recording media player: resolves what it is given, as a real player would."""

from __future__ import annotations

from typing import Any

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
from homeassistant.helpers.entity_platform import AddEntitiesCallback


async def async_setup_platform(
    hass: HomeAssistant,
    config: dict[str, Any],
    async_add_entities: AddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Add one recording player, named by the ``name`` of its configuration."""
    async_add_entities([RecordingPlayer(str(config.get("name", "Local player")))])


class RecordingPlayer(MediaPlayerEntity):
    """Keeps the media id and the resolved URL of the last play request."""

    _attr_state = MediaPlayerState.IDLE
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
