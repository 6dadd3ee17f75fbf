"""What the home sees when the service fails or comes back: decided here, once per kind.

What an error means is the client's to say (its kind, the key of its translation in
``strings.json``, and whether it is the caller's mistake); this module decides what a
home sees of it: a new key asked for, a repair issue, the outage logged and shown
in Repairs, the message counted, shown on its entity and announced, and the
translated error the caller gets. Speech, keeping connections ready and setup all
come here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .api import CosyVoiceError, InvalidOptionError
from .const import DOMAIN, EVENT_SPEECH_FAILED
from .health import FailedMessage
from .issues import (
    async_create_account_issue,
    async_create_invalid_auth_issue,
    async_create_unreachable_issue,
    async_delete_account_issue,
    async_delete_unreachable_issue,
    async_update_voice_missing_issue,
)
from .profiles import entity_unique_id
from .runtime import CosyVoiceConfigEntry

_LOGGER = logging.getLogger(__name__)

_FALLBACK_CACHED: Final = f"{DOMAIN}_fallback_cached"
"""Entries a fallback spoke for since Home Assistant's TTS cache was last cleared.
Kept in ``hass.data``, so a reload (a new key) does not forget it."""

type Reaction = Callable[
    [HomeAssistant, CosyVoiceConfigEntry, ConfigSubentry | None, CosyVoiceError], None
]


@callback
def _ask_for_a_new_key(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    _profile: ConfigSubentry | None,
    _error: CosyVoiceError,
) -> None:
    entry.async_start_reauth(hass)
    async_create_invalid_auth_issue(hass, entry)


@callback
def _say_the_account_cannot_pay(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    _profile: ConfigSubentry | None,
    error: CosyVoiceError,
) -> None:
    async_create_account_issue(hass, entry, error)


@callback
def _say_the_voice_is_gone(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    profile: ConfigSubentry | None,
    _error: CosyVoiceError,
) -> None:
    if profile is not None:
        async_update_voice_missing_issue(hass, profile, entry.runtime_data.voices)


REACTIONS: Final[dict[str, Reaction]] = {
    "invalid_auth": _ask_for_a_new_key,
    "account_error": _say_the_account_cannot_pay,
    "voice_not_found": _say_the_voice_is_gone,
}
"""What only the user can fix, by kind; every failure also counts for availability."""


@callback
def react(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    profile: ConfigSubentry | None,
    error: CosyVoiceError,
    *,
    fallback: str | None = None,
    length: int | None = None,
) -> HomeAssistantError:
    """Show the home what a failure means; return the caller's translated error.

    ``profile``: the voice profile that failed to speak a message, once per message
    (the caller's mistakes included): it is counted, shown as the last error and
    announced by an event. None when no message was involved (connections kept
    ready for the whole account): then only what the user must fix and the outage
    log are shown. ``fallback``: the entity that spoke the message instead, if one
    did. ``length``: the message's length in characters, when known whole.
    """
    if (reaction := REACTIONS.get(error.kind)) is not None:
        reaction(hass, entry, profile, error)
    if entry.runtime_data.availability.failed(error):
        async_create_unreachable_issue(hass, entry, error)
    if profile is not None:
        _count_and_announce(
            hass, entry, profile, error, fallback=fallback, length=length
        )
    _LOGGER.debug("Request failed: %s", error)
    return translated(error)


@callback
def _count_and_announce(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    profile: ConfigSubentry,
    error: CosyVoiceError,
    *,
    fallback: str | None,
    length: int | None,
) -> None:
    """Count the message for the sensors and diagnostics, and fire the event.

    The recorder keeps events in the home's history: no text goes in.
    """
    failure = FailedMessage(
        at=dt_util.utcnow(),
        profile=profile.title,
        profile_id=profile.subentry_id,
        kind=error.kind,
        length=length,
        fallback=fallback,
    )
    entry.runtime_data.health.failed(failure, str(error))
    if fallback is not None:
        hass.data.setdefault(_FALLBACK_CACHED, set()).add(entry.entry_id)
    entity_id = er.async_get(hass).async_get_entity_id(
        "tts", DOMAIN, entity_unique_id(profile)
    )
    hass.bus.async_fire(
        EVENT_SPEECH_FAILED,
        {
            "entity_id": entity_id,
            "kind": error.kind,
            "profile": profile.title,
            "fallback": fallback,
        },
    )


@callback
def recovered(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    *,
    spoke: bool,
    profile: ConfigSubentry | None = None,
) -> None:
    """The service answered again.

    ``spoke``: CosyVoice spoke a message (call once per message; it is counted),
    for ``profile``, so the account pays. False for an answer that was no message
    (a connection kept ready).
    """
    back = entry.runtime_data.availability.succeeded()
    if back:
        async_delete_unreachable_issue(hass, entry.entry_id)
    if spoke:
        entry.runtime_data.health.spoke(profile.subentry_id if profile else None)
        async_delete_account_issue(hass, entry.entry_id)
    if spoke or back:
        forget_fallback_audio(hass, entry)


@callback
def forget_fallback_audio(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> None:
    """Once CosyVoice speaks again, no message is replayed in a fallback's voice.

    Home Assistant caches what an engine returns under the engine's name, the
    message and its options, in memory and on disk: a message a fallback spoke
    would be played from there in the fallback's voice, without asking us. Its
    cache has no way to forget one engine's audio, so the whole of it is cleared,
    once, after a fallback spoke; other engines make theirs again when asked.
    """
    cached = hass.data.get(_FALLBACK_CACHED, set())
    if entry.entry_id in cached and hass.services.has_service("tts", "clear_cache"):
        cached.discard(entry.entry_id)
        hass.async_create_task(
            hass.services.async_call("tts", "clear_cache", blocking=True),
            f"{DOMAIN} forget fallback audio",
        )


@callback
def setup_failed(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, error: CosyVoiceError
) -> HomeAssistantError:
    """What setup raises for a failure to reach the service with the key.

    A refused key asks for a new one (Home Assistant starts the reauthentication
    for :class:`ConfigEntryAuthFailed`); anything else is tried again later.
    """
    if error.kind == "invalid_auth":
        async_create_invalid_auth_issue(hass, entry)
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key=error.kind,
        translation_placeholders={"detail": str(error)},
    )


def translated(error: CosyVoiceError) -> HomeAssistantError:
    """A translated Home Assistant error for a failed request.

    Problems with what the caller asked for (an option, the text) are
    :class:`ServiceValidationError`, so they are not reported as bugs. No message is
    given: Home Assistant makes it from the translation, so its own log lines (e.g. a
    failed TTS message) and the REST API say it as the frontend does. The client's
    message is the detail; it never holds the API key, so it is safe to show.
    """
    placeholders = {"detail": str(error)}
    if isinstance(error, InvalidOptionError):
        placeholders["option"] = error.option
    kind = ServiceValidationError if error.caller_error else HomeAssistantError
    return kind(
        translation_domain=DOMAIN,
        translation_key=error.kind,
        translation_placeholders=placeholders,
    )
