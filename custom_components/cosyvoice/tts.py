"""The CosyVoice text-to-speech entity."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

from homeassistant.components.tts import (
    ATTR_PREFERRED_FORMAT,
    TextToSpeechEntity,
    TtsAudioType,
    Voice,
)
from homeassistant.components.tts.entity import TTSAudioRequest, TTSAudioResponse
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CosyVoiceError, StreamingSettings, SynthesisOptions, wav_header
from .const import (
    CONF_MODEL,
    CONF_VOICE,
)
from .device import profile_device
from .languages import default_language, supported_languages
from .option_table import PER_MESSAGE
from .own_voices import voice_choices
from .profiles import entity_unique_id, profiles
from .reactions import react, recovered
from .request_options import default_options, resolve
from .runtime import CosyVoiceConfigEntry, option, profile_routing

_LOGGER = logging.getLogger(__name__)

# Requests queue in the entry's connection pool, which bounds them itself.
PARALLEL_UPDATES = 0

STREAMING = StreamingSettings()
"""Batching of streamed text and the keep-alive before DashScope's 23 s timeout."""

# Claimed options are delivered exactly: Home Assistant 2026.11 no longer converts
# audio for them. Of the player's preferences only the format is claimed; Home
# Assistant converts rates, channels, sample widths and bitrates (bit_rate is an
# Opus-only parameter of DashScope, so an MP3 could not honour a preferred bitrate).
SUPPORTED_OPTIONS = [*PER_MESSAGE, ATTR_PREFERRED_FORMAT]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one TTS entity per voice profile, each in its subentry."""
    for profile in profiles(entry):
        async_add_entities(
            [CosyVoiceTTSEntity(hass, entry, profile)],
            config_subentry_id=profile.subentry_id,
        )


class CosyVoiceTTSEntity(TextToSpeechEntity):
    """A voice profile's speech, through the account's client and connection pool."""

    _attr_has_entity_name = True
    _attr_translation_key = "speech"  # its icon; the name is the profile's
    _attr_supported_options = SUPPORTED_OPTIONS

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CosyVoiceConfigEntry,
        profile: ConfigSubentry,
    ) -> None:
        """Describe the entity from its profile, on the account's service device."""
        self._entry = entry
        self._profile = profile
        self._model = str(option(profile.data, CONF_MODEL))
        self._voice = str(option(profile.data, CONF_VOICE))
        self._routing = profile_routing(profile.data)
        # Named by the user; Home Assistant refuses to speak with an unnamed engine.
        self._attr_name = profile.title
        self._attr_unique_id = entity_unique_id(profile)
        self._attr_supported_languages = supported_languages(self._model)
        self._attr_default_language = default_language(
            self._attr_supported_languages, hass.config.language, hass.config.country
        )
        self._attr_default_options = default_options(profile.data)
        self._attr_device_info = profile_device(entry, profile, self._model)

    @callback
    def async_get_supported_voices(self, language: str) -> list[Voice]:
        """The voice in use, the model's own voices, then its system voices.

        The voice in use leads even when no list holds it (a variant the picker does
        not show), so the picker can show it. Own voices speak every language.
        """
        own = self._entry.runtime_data.voices.for_model(self._model)
        return [
            Voice(voice_id, label)
            for voice_id, label in voice_choices(
                self._model, self._voice, own, language
            )
        ]

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize the whole message through the smart router."""
        client = self._entry.runtime_data.client
        try:
            request = resolve(options, self._attr_default_options or {})
            await self._entry.runtime_data.voices.async_check(request.options.voice)
            result = await client.synthesize(message, request.options, self._routing)
        except CosyVoiceError as err:
            raise self._failed(await self._explained(err, options)) from err
        self._succeeded()
        _LOGGER.debug(
            "Synthesized %d characters over %s in %.0f ms",
            result.characters,
            result.route,
            result.total_time * 1000,
        )
        return request.extension, result.audio

    async def async_stream_tts_audio(
        self, request: TTSAudioRequest
    ) -> TTSAudioResponse:
        """Speak text while it is still being written; audio goes out as it arrives.

        Options are checked here, so a bad one fails before any audio. WAV goes out as
        one header with an unknown length and then raw PCM as it comes, so the first
        sentence plays before the last is made.
        """
        try:
            resolved = resolve(request.options, self._attr_default_options or {})
            await self._entry.runtime_data.voices.async_check(resolved.options.voice)
        except CosyVoiceError as err:
            raise self._failed(err) from err
        options = resolved.options
        header = b""
        if options.format == "wav":
            header = wav_header(options.sample_rate)
            options = dataclasses.replace(options, format="pcm")
        return TTSAudioResponse(
            resolved.extension, self._stream(request, options, header)
        )

    async def _stream(
        self, request: TTSAudioRequest, options: SynthesisOptions, header: bytes
    ) -> AsyncGenerator[bytes]:
        client = self._entry.runtime_data.client
        try:
            async with aclosing(
                client.stream_text(
                    request.message_gen, options, STREAMING, self._routing
                )
            ) as chunks:
                async for chunk in chunks:
                    yield header + chunk
                    header = b""
        except CosyVoiceError as err:
            err = await self._explained(err, request.options)
            # Home Assistant logs the failed message with this error's text.
            raise self._failed(err) from err
        self._succeeded()

    async def _explained(
        self, err: CosyVoiceError, options: Mapping[str, Any]
    ) -> CosyVoiceError:
        """A refused own voice that the account no longer has, said as such."""
        voice = str(options.get(CONF_VOICE) or self._voice)
        return await self._entry.runtime_data.voices.async_explain(err, voice)

    def _succeeded(self) -> None:
        """Speech came through: the service is reachable and the account pays."""
        recovered(self.hass, self._entry, spoke=True)

    def _failed(self, err: CosyVoiceError) -> HomeAssistantError:
        """The translated error, once the home was shown what it means."""
        return react(self.hass, self._entry, self._profile, err)
