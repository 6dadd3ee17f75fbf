"""Another TTS engine speaks a message CosyVoice cannot: one hop, never a chain.

A voice profile may name a fallback: any other TTS entity (Piper, Google Translate,
Home Assistant Cloud, another CosyVoice profile). When the service or the network
fails a message (:func:`.api.falls_back` says which failures), or no audio has come
by the profile's deadline, the fallback speaks the same words, without SSML markup,
through Home Assistant's own TTS pipeline, which converts its audio to the format
the caller was promised.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.tts import ATTR_PREFERRED_FORMAT, async_create_stream
from homeassistant.core import HomeAssistant, split_entity_id
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from .api import TextCleaner, clean_text, is_ssml, spoken_text
from .const import (
    CONF_FALLBACK_AFTER,
    CONF_FALLBACK_ENGINE,
    FALLBACK_AFTER_RANGE,
    NO_FALLBACK_DEADLINE,
)
from .runtime import option

_LOGGER = logging.getLogger(__name__)

FALLBACK_LIMIT: Final = 30.0
"""Seconds a fallback may take to its first audio: it must never hold a message."""

_IN_FALLBACK: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cosyvoice_in_fallback", default=False
)
"""Set while a fallback speaks, so a CosyVoice profile asked to be one does not fall
back in its turn: Home Assistant runs the fallback in tasks that copy this."""


class FallbackError(Exception):
    """The fallback could not speak either; its reason, never the message's text."""


@dataclass(frozen=True, slots=True)
class Fallback:
    """A profile's fallback engine and how long CosyVoice has before it speaks."""

    engine: str
    after: float


def profile_fallback(profile: Mapping[str, Any]) -> Fallback | None:
    """The profile's fallback, unless it has none or this is a fallback already."""
    engine = str(option(profile, CONF_FALLBACK_ENGINE) or "")
    if not engine or _IN_FALLBACK.get():
        return None
    return Fallback(engine, float(option(profile, CONF_FALLBACK_AFTER)))


def first_audio_deadline(fallback: Fallback | None) -> float:
    """How long a message may go without audio: the fallback's wait, else a bound."""
    return NO_FALLBACK_DEADLINE if fallback is None else fallback.after


def check_fallback(
    hass: HomeAssistant, chosen: Mapping[str, Any], own_entity: str | None
) -> dict[str, str]:
    """Form errors for a profile's fallback settings (translated by their keys)."""
    low, high = FALLBACK_AFTER_RANGE
    if not low <= float(chosen[CONF_FALLBACK_AFTER]) <= high:
        return {CONF_FALLBACK_AFTER: "invalid_fallback_after"}
    engine = str(chosen.get(CONF_FALLBACK_ENGINE) or "")
    if not engine:
        return {}
    if engine == own_entity:
        return {CONF_FALLBACK_ENGINE: "fallback_is_itself"}
    if not _is_tts_entity(engine):
        return {CONF_FALLBACK_ENGINE: "fallback_not_tts"}
    if hass.states.get(engine) is None and er.async_get(hass).async_get(engine) is None:
        return {CONF_FALLBACK_ENGINE: "fallback_not_found"}
    return {}


def _is_tts_entity(entity_id: str) -> bool:
    try:
        return split_entity_id(entity_id)[0] == "tts"
    except ValueError:
        return False


async def async_fallback_audio(
    hass: HomeAssistant, engine: str, message: str, language: str, extension: str
) -> bytes:
    """The fallback's audio of a whole message, made as ``extension``."""
    token = _IN_FALLBACK.set(True)
    try:
        stream = _create_stream(hass, engine, language, extension)
        stream.async_set_message(clean_text(spoken_text(message)))
        async with asyncio.timeout(FALLBACK_LIMIT):
            return b"".join([chunk async for chunk in stream.async_stream_result()])
    except (HomeAssistantError, TimeoutError) as err:
        raise FallbackError(_reason(err)) from err
    finally:
        _IN_FALLBACK.reset(token)


async def async_fallback_stream(
    hass: HomeAssistant,
    engine: str,
    text: AsyncIterable[str],
    language: str,
    extension: str,
) -> AsyncGenerator[bytes]:
    """The fallback's audio of text still being written, made as ``extension``.

    Before Home Assistant 2025.5 a stream takes only whole messages: the text is
    read to its end first.
    """
    token = _IN_FALLBACK.set(True)
    try:
        stream = _create_stream(hass, engine, language, extension)
        pieces = aiter(text)
        first = await anext(pieces, "")
        if hasattr(stream, "async_set_message_stream") and not is_ssml(first):
            stream.async_set_message_stream(_joined(first, pieces))
        else:
            # A whole message (SSML comes whole) is spoken without its markup.
            rest = "".join([piece async for piece in pieces])
            stream.async_set_message(clean_text(spoken_text(first + rest)))
        chunks = stream.async_stream_result()
        async with asyncio.timeout(FALLBACK_LIMIT):
            audio = await anext(chunks, b"")
    except (HomeAssistantError, TimeoutError) as err:
        raise FallbackError(_reason(err)) from err
    finally:
        _IN_FALLBACK.reset(token)
    yield audio
    async for chunk in chunks:
        yield chunk


async def _joined(first: str, rest: AsyncIterator[str]) -> AsyncGenerator[str]:
    """The text as words: another engine would read Markdown aloud as well."""
    cleaner = TextCleaner()
    if words := cleaner.feed(first):
        yield words
    async for piece in rest:
        if words := cleaner.feed(piece):
            yield words
    if words := cleaner.finish():
        yield words


def _create_stream(
    hass: HomeAssistant, engine: str, language: str, extension: str
) -> Any:
    """Home Assistant's stream of ``engine``, in our language if it speaks it."""
    options = {ATTR_PREFERRED_FORMAT: extension}
    try:
        return async_create_stream(hass, engine, language, options)
    except HomeAssistantError as err:
        if "language" not in str(err).lower():
            raise
    # Its own default language rather than none at all: the words still come.
    return async_create_stream(hass, engine, None, options)


def _reason(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return f"no audio within {FALLBACK_LIMIT:g} s"
    return str(err) or type(err).__name__
