"""Designed voices' previews in the media browser (see :mod:`.previews`)."""

from __future__ import annotations

from homeassistant.components.media_player.const import MediaClass
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .previews import PREVIEWS, preview_url


async def async_get_media_source(hass: HomeAssistant) -> MediaSource:
    """The previews of voices designed since Home Assistant started."""
    return VoicePreviewSource(hass)


class VoicePreviewSource(MediaSource):
    """One playable item per kept preview."""

    name = "CosyVoice voice previews"

    def __init__(self, hass: HomeAssistant) -> None:
        """Read the previews kept in ``hass``."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """The preview's URL; players sign it like any ``/api`` path."""
        preview = self.hass.data.get(PREVIEWS, {}).get(item.identifier)
        if preview is None:
            raise Unresolvable(
                translation_domain=DOMAIN,
                translation_key="preview_not_found",
                translation_placeholders={"voice_id": item.identifier},
            )
        return PlayMedia(preview_url(preview.voice_id), preview.content_type)

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Every kept preview, newest first."""
        if item.identifier:
            raise Unresolvable(
                translation_domain=DOMAIN, translation_key="previews_have_no_folders"
            )
        previews = list(self.hass.data.get(PREVIEWS, {}).values())
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=None,
            media_class=MediaClass.DIRECTORY,
            media_content_type="",
            title=self.name,
            can_play=False,
            can_expand=True,
            children_media_class=MediaClass.MUSIC,
            children=[
                BrowseMediaSource(
                    domain=DOMAIN,
                    identifier=preview.voice_id,
                    media_class=MediaClass.MUSIC,
                    media_content_type=preview.content_type,
                    title=preview.title,
                    can_play=True,
                    can_expand=False,
                )
                for preview in reversed(previews)
            ],
        )
