"""Previews of designed voices: kept in memory, played through the media browser.

A designed voice comes with the service speaking its preview text. The preview is
offered as ``media-source://cosyvoice/<voice id>``, so any media player (and the
media browser) can play it; the audio is served to authenticated requests only
(players get a signed URL from Home Assistant, as for any ``/api`` path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .api import DesignedVoice
from .const import DOMAIN

PREVIEW_URL: Final = "/api/cosyvoice/preview/{voice_id}"
MAX_PREVIEWS: Final = 20
"""Previews kept, newest first: a few MB of memory at most."""

_CONTENT_TYPES: Final = {"wav": "audio/wav", "mp3": "audio/mpeg", "pcm": "audio/L16"}


@dataclass(frozen=True, slots=True)
class Preview:
    """What a designed voice sounded like when it was made."""

    voice_id: str
    title: str
    audio: bytes
    content_type: str


PREVIEWS: HassKey[dict[str, Preview]] = HassKey(f"{DOMAIN}_previews")


def media_source_id(voice_id: str) -> str:
    """Where a media player finds a voice's preview."""
    return f"media-source://{DOMAIN}/{voice_id}"


def preview_url(voice_id: str) -> str:
    """The path the preview's audio is served at."""
    return PREVIEW_URL.format(voice_id=voice_id)


@callback
def async_setup_previews(hass: HomeAssistant) -> None:
    """Serve previews; called once, when the integration is set up."""
    hass.data[PREVIEWS] = {}
    hass.http.register_view(PreviewView())


@callback
def async_keep_preview(hass: HomeAssistant, designed: DesignedVoice) -> str:
    """Keep a designed voice's preview; its media-source id."""
    previews = hass.data[PREVIEWS]
    voice = designed.voice
    previews.pop(voice.voice_id, None)
    previews[voice.voice_id] = Preview(
        voice.voice_id,
        f"{voice.name} ({voice.model})",
        designed.preview,
        _CONTENT_TYPES.get(designed.preview_format, "application/octet-stream"),
    )
    while len(previews) > MAX_PREVIEWS:
        previews.pop(next(iter(previews)))
    return media_source_id(voice.voice_id)


@callback
def async_forget_preview(hass: HomeAssistant, voice_id: str) -> None:
    """A deleted voice's preview goes with it."""
    hass.data[PREVIEWS].pop(voice_id, None)


class PreviewView(HomeAssistantView):
    """The audio of one preview."""

    url = PREVIEW_URL
    name = "api:cosyvoice:preview"
    requires_auth = True

    async def get(self, request: web.Request, voice_id: str) -> web.Response:
        """The preview's audio, or 404."""
        preview = request.app[KEY_HASS].data[PREVIEWS].get(voice_id)
        if preview is None:
            return web.Response(status=404)
        return web.Response(body=preview.audio, content_type=preview.content_type)
