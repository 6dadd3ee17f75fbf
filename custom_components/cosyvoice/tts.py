"""The CosyVoice text-to-speech entity."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, Awaitable, Mapping
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
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    CosyVoiceError,
    StreamingSettings,
    SynthesisOptions,
    SynthesisTimeoutError,
    falls_back,
    wav_header,
)
from .const import CONF_MODEL, CONF_VOICE, DOMAIN
from .device import profile_device
from .fallback import (
    Fallback,
    FallbackError,
    async_fallback_audio,
    async_fallback_stream,
    first_audio_deadline,
    profile_fallback,
)
from .health import FailedMessage
from .issues import (
    async_update_fallback_missing_issue,
    async_update_voice_missing_issue,
)
from .languages import default_language, supported_languages
from .option_table import PER_MESSAGE
from .own_voices import label_words, voice_choices
from .profiles import ProfileChanges, async_follow_profiles, entity_unique_id, profiles
from .reactions import react, recovered, translated
from .request_options import default_options, resolve
from .runtime import CosyVoiceConfigEntry, option, profile_routing
from .text_tap import TextTap

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
    """Add one TTS entity per voice profile, each in its subentry, and keep them so.

    A profile added, changed or removed later takes effect without a reload: no
    announcement falls into one.
    """
    entities: dict[str, CosyVoiceTTSEntity] = {}

    @callback
    def add(profile: ConfigSubentry) -> None:
        entity = entities[profile.subentry_id] = CosyVoiceTTSEntity(
            hass, entry, profile
        )
        async_add_entities([entity], config_subentry_id=profile.subentry_id)

    @callback
    def follow(changes: ProfileChanges) -> None:
        for profile in changes.added:
            add(profile)
        for profile in changes.changed:
            if (entity := entities.get(profile.subentry_id)) is not None:
                entity.async_apply(profile)
        for subentry_id in changes.removed:
            entities.pop(subentry_id, None)

    for profile in profiles(entry):
        add(profile)
    entry.async_on_unload(async_follow_profiles(hass, entry, follow))


class CosyVoiceTTSEntity(TextToSpeechEntity):
    """A voice profile's speech, through the account's client and connection pool."""

    # Named by the profile, as its device is: with an entity name the two would read
    # "Greetings Greetings", without one Home Assistant refuses to speak with the
    # engine (as core's OpenAI TTS, which is named like this).
    _attr_has_entity_name = False
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
        # What the entry had when the entity was made: a message still under way
        # when the entry reloads finishes with it, not with what is already gone.
        self._data = entry.runtime_data
        self._attr_unique_id = entity_unique_id(profile)
        self._failure: FailedMessage | None = None
        self._describe(hass, profile)

    async def async_added_to_hass(self) -> None:
        """Show on this entity when its latest message was not spoken by CosyVoice."""
        await super().async_added_to_hass()
        self.async_on_remove(self._data.health.add_listener(self._async_health))
        self._failure = self._data.health.unspoken.get(self._profile.subentry_id)

    @callback
    def _async_health(self) -> None:
        failure = self._data.health.unspoken.get(self._profile.subentry_id)
        if failure is not self._failure:
            self._failure = failure
            self.async_write_ha_state()

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Why the latest message was not spoken by CosyVoice, until one is again.

        Where a newcomer looks first: the entity's card. Its kind (translated), when,
        and the fallback engine that spoke it instead, if one did (left out when
        none did: the card would say "Unknown"); never its text.
        """
        if (failure := self._failure) is None:
            return None
        shown = {"last_error": failure.kind, "failed_at": failure.at.isoformat()}
        if failure.fallback is not None:
            shown["spoken_by"] = failure.fallback
        return shown

    def _describe(self, hass: HomeAssistant, profile: ConfigSubentry) -> None:
        self._profile = profile
        self._model = str(option(profile.data, CONF_MODEL))
        self._voice = str(option(profile.data, CONF_VOICE))
        self._routing = profile_routing(profile.data)
        self._attr_name = profile.title
        self._attr_supported_languages = supported_languages(self._model)
        self._attr_default_language = default_language(
            self._attr_supported_languages, hass.config.language, hass.config.country
        )
        self._attr_default_options = default_options(profile.data)
        self._attr_device_info = profile_device(profile, self._model)

    @callback
    def async_apply(self, profile: ConfigSubentry) -> None:
        """The profile was changed: speak as it now says from the next message on.

        Its default options change with it, and with them Home Assistant's cache
        key: a message is not replayed in the old voice.
        """
        self._describe(self.hass, profile)
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self._entry.entry_id):
            if (DOMAIN, profile.subentry_id) in device.identifiers:
                registry.async_update_device(
                    device.id, model=self._model, name=profile.title
                )
        async_update_voice_missing_issue(self.hass, profile, self._data.voices)
        async_update_fallback_missing_issue(self.hass, profile)
        self.async_write_ha_state()

    @callback
    def async_get_supported_voices(self, language: str) -> list[Voice]:
        """The voice in use, the model's own voices, then its system voices.

        The voice in use leads even when no list holds it (a variant the picker does
        not show), so the picker can show it. Own voices speak every language: every
        one made for the profile's model, labelled with that model and what it was
        asked to sound like. Names follow ``language``: Chinese for Chinese.
        """
        own = self._data.voices.for_model(self._model)
        words = label_words(self.hass, language)
        return [
            Voice(voice_id, label)
            for voice_id, label in voice_choices(
                self._model, self._voice, own, language, words=words
            )
        ]

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize the whole message through the smart router, or fall back."""
        try:
            request = resolve(options, self._attr_default_options or {}, language)
        except CosyVoiceError as err:
            # The caller's mistake: never hidden behind a fallback.
            raise self._failed(err, len(message)) from err
        fallback = profile_fallback(self._profile.data)
        try:
            await self._data.voices.async_check(request.options.voice)
            result = await self._data.client.synthesize(
                message,
                request.options,
                self._routing,
                first_audio_within=first_audio_deadline(fallback),
            )
        except CosyVoiceError as err:
            err = await self._explained(err, options)
            if fallback is None or not falls_back(err):
                raise self._failed(err, len(message)) from err
            speak = async_fallback_audio(
                self.hass, fallback.engine, message, language, request.extension
            )
            audio = await self._fall_back(err, fallback, speak, len(message))
            return request.extension, audio
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
            resolved = resolve(
                request.options, self._attr_default_options or {}, request.language
            )
        except CosyVoiceError as err:
            raise self._failed(err) from err
        fallback = profile_fallback(self._profile.data)
        tap = TextTap(request.message_gen)
        try:
            await self._data.voices.async_check(resolved.options.voice)
        except CosyVoiceError as err:
            if fallback is None or not falls_back(err):
                await tap.close()
                raise self._failed(err) from err
            chunks = self._fallen_back(err, fallback, tap, request, resolved.extension)
            return TTSAudioResponse(resolved.extension, chunks)
        speech = _Speech(tap, resolved.options, resolved.extension, fallback)
        return TTSAudioResponse(resolved.extension, self._stream(request, speech))

    async def _stream(
        self, request: TTSAudioRequest, speech: _Speech
    ) -> AsyncGenerator[bytes]:
        client = self._data.client
        options, header = speech.options, b""
        if options.format == "wav":
            header = wav_header(options.sample_rate)
            options = dataclasses.replace(options, format="pcm")
        text = speech.tap.pieces()
        try:
            async with aclosing(
                client.stream_text(text, options, STREAMING, self._routing)
            ) as chunks:
                deadline = first_audio_deadline(speech.fallback)
                first = await _first_chunk(chunks, speech.tap, deadline)
                yield header + (first or b"")
                async for chunk in chunks:
                    yield chunk
        except CosyVoiceError as err:
            err = await self._explained(err, request.options)
            if not speech.may_fall_back(err):
                # Home Assistant logs the failed message with this error's text.
                raise self._failed(err) from err
            assert speech.fallback is not None
            fallen_back = self._fallen_back(
                err, speech.fallback, speech.tap, request, speech.extension
            )
            async for chunk in fallen_back:
                yield chunk
            return
        finally:
            await speech.tap.close()
        self._succeeded()

    async def _fallen_back(
        self,
        err: CosyVoiceError,
        fallback: Fallback,
        tap: TextTap,
        request: TTSAudioRequest,
        extension: str,
    ) -> AsyncGenerator[bytes]:
        """The fallback speaks what was written so far, then the rest as it comes."""
        chunks = async_fallback_stream(
            self.hass, fallback.engine, tap.pieces(), request.language, extension
        )
        try:
            first = await self._fall_back(err, fallback, anext(chunks, b""), None)
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()
            await tap.close()

    async def _fall_back[T](
        self,
        err: CosyVoiceError,
        fallback: Fallback,
        speaking: Awaitable[T],
        length: int | None,
    ) -> T:
        """The fallback's first audio; if it cannot speak either, CosyVoice's error.

        The home hears of it as soon as the fallback's outcome is known.
        """
        try:
            audio = await speaking
        except FallbackError as reason:
            _LOGGER.warning(
                "%s could not speak a message (%s), nor could its fallback %s (%s)",
                self._profile.title,
                err,
                fallback.engine,
                reason,
            )
            async_update_fallback_missing_issue(self.hass, self._profile)
            raise self._failed(err, length) from err
        if self._current():
            react(
                self.hass,
                self._entry,
                self._profile,
                err,
                fallback=fallback.engine,
                length=length,
            )
        _LOGGER.debug(
            "%s spoke through %s: %s", self._profile.title, fallback.engine, err
        )
        return audio

    async def _explained(
        self, err: CosyVoiceError, options: Mapping[str, Any]
    ) -> CosyVoiceError:
        """A refused own voice that the account no longer has, said as such."""
        voice = str(options.get(CONF_VOICE) or self._voice)
        return await self._data.voices.async_explain(err, voice)

    def _succeeded(self) -> None:
        """Speech came through: the service is reachable and the account pays."""
        if self._current():
            recovered(self.hass, self._entry, spoke=True, profile=self._profile)

    def _failed(
        self, err: CosyVoiceError, length: int | None = None
    ) -> HomeAssistantError:
        """The translated error, once the home was shown what it means.

        ``length``: the message's, when it is known whole.
        """
        if not self._current():
            return translated(err)
        return react(self.hass, self._entry, self._profile, err, length=length)

    def _current(self) -> bool:
        """Whether the entry still holds what this entity was made with.

        Not after a reload: then a failure is only said, not counted or reacted to.
        """
        return getattr(self._entry, "runtime_data", None) is self._data


@dataclasses.dataclass(frozen=True, slots=True)
class _Speech:
    """What one streamed message is made with, and what speaks if CosyVoice cannot."""

    tap: TextTap
    options: SynthesisOptions
    extension: str
    fallback: Fallback | None

    def may_fall_back(self, err: CosyVoiceError) -> bool:
        """Only before any audio went out: a listener never hears a start twice."""
        return self.fallback is not None and falls_back(err) and not err.after_audio


async def _first_chunk(
    chunks: AsyncGenerator[bytes], tap: TextTap, seconds: float
) -> bytes | None:
    """The first audio, given up when none came ``seconds`` after the first text.

    The deadline runs from the first text, not the request: an answer still being
    thought out is no outage.
    """
    upcoming = asyncio.ensure_future(_next(chunks))
    started = asyncio.ensure_future(tap.started.wait())
    try:
        await asyncio.wait((upcoming, started), return_when=asyncio.FIRST_COMPLETED)
        if not (await asyncio.wait((upcoming,), timeout=seconds))[0]:
            raise SynthesisTimeoutError(f"DashScope made no audio within {seconds:g} s")
        return upcoming.result()
    finally:
        started.cancel()
        if not upcoming.done():
            upcoming.cancel()
            await asyncio.gather(upcoming, return_exceptions=True)


async def _next(chunks: AsyncGenerator[bytes]) -> bytes | None:
    return await anext(chunks, None)
