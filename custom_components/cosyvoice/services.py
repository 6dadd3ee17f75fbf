"""Actions that manage the account's own voices: design, clone, list and delete.

They change the DashScope account, so only administrators may call them. Each ends
by listing the account's voices again, so pickers and the options offer the change.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Final

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv

from .api import (
    CosyVoiceError,
    CustomVoice,
    VoiceNotReadyError,
    VoiceStatus,
    default_target_model,
)
from .const import CONF_MODEL, CONF_VOICE, DOMAIN
from .previews import async_forget_preview, async_keep_preview
from .profiles import profiles
from .reactions import translated
from .runtime import CosyVoiceConfigEntry, option
from .voice_sample import async_sample_source

_LOGGER = logging.getLogger(__name__)

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_NAME: Final = "name"
ATTR_DESCRIPTION: Final = "description"
ATTR_PREVIEW_TEXT: Final = "preview_text"
ATTR_SAMPLE: Final = "sample"
ATTR_LANGUAGE: Final = "language"
ATTR_VOICE_ID: Final = "voice_id"

READY_WAIT: Final = 10.0
"""How long an action waits for its new voice to be ready before answering."""
BACKGROUND_WAIT: Final = 600.0
"""How long the voice is then watched, so the picker offers it once it is ready."""
POLL_INTERVAL: Final = 2.0

_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
_LANGUAGE: dict[vol.Marker, Any] = {vol.Optional(ATTR_LANGUAGE): cv.string}

DESIGN_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(CONF_MODEL): cv.string,
        vol.Required(ATTR_NAME): cv.string,
        vol.Required(ATTR_DESCRIPTION): cv.string,
        vol.Required(ATTR_PREVIEW_TEXT): cv.string,
        **_LANGUAGE,
    }
)
CLONE_SCHEMA: Final = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(CONF_MODEL): cv.string,
        vol.Required(ATTR_NAME): cv.string,
        vol.Required(ATTR_SAMPLE): vol.Any(cv.string, dict),
        **_LANGUAGE,
    }
)
DELETE_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Required(ATTR_VOICE_ID): cv.string})
LIST_SCHEMA: Final = vol.Schema({**_ENTRY, vol.Optional(CONF_MODEL): cv.string})


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the voice actions (once, for every entry of the integration)."""
    actions = (
        ("design_voice", _design, DESIGN_SCHEMA, SupportsResponse.OPTIONAL),
        ("clone_voice", _clone, CLONE_SCHEMA, SupportsResponse.OPTIONAL),
        ("delete_voice", _delete, DELETE_SCHEMA, SupportsResponse.NONE),
        ("list_voices", _list, LIST_SCHEMA, SupportsResponse.ONLY),
    )
    for name, handler, schema, response in actions:
        hass.services.async_register(
            DOMAIN, name, _as_admin(hass, handler), schema, supports_response=response
        )


def _as_admin(hass: HomeAssistant, handler: Any) -> Any:
    """The handler, for administrators only; errors of the client translated."""

    async def run(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:
            user = await hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        entry = _loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
        try:
            response: ServiceResponse = await handler(hass, entry, call)
        except CosyVoiceError as err:
            raise translated(err) from err
        return response if call.return_response else None

    return run


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> CosyVoiceConfigEntry:
    entry: CosyVoiceConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    return entry


async def _design(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, call: ServiceCall
) -> ServiceResponse:
    designed = await entry.runtime_data.client.enrollment.design(
        _target_model(entry, call, design=True),
        call.data[ATTR_NAME],
        description=call.data[ATTR_DESCRIPTION],
        preview_text=call.data[ATTR_PREVIEW_TEXT],
        language=call.data.get(ATTR_LANGUAGE),
    )
    preview = async_keep_preview(hass, designed)
    voice = await _settle(hass, entry, designed.voice)
    return {**voice.as_dict(), "preview": preview}


async def _clone(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, call: ServiceCall
) -> ServiceResponse:
    source = await async_sample_source(hass, call.data[ATTR_SAMPLE])
    voice = await entry.runtime_data.client.enrollment.clone(
        _target_model(entry, call, design=False),
        call.data[ATTR_NAME],
        url=source.url,
        sample=source.data,
        language=call.data.get(ATTR_LANGUAGE),
    )
    return (await _settle(hass, entry, voice)).as_dict()


def _target_model(
    entry: CosyVoiceConfigEntry, call: ServiceCall, *, design: bool
) -> str:
    """The model the call names, else the one the account's profiles use.

    A voice speaks only with the model it is made for: made for the profiles' model,
    it is offered in their pickers at once.
    """
    if named := call.data.get(CONF_MODEL):
        return str(named)
    return default_target_model(
        [str(option(profile.data, CONF_MODEL)) for profile in profiles(entry)],
        entry.runtime_data.client.endpoint.region,
        design=design,
    )


async def _delete(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, call: ServiceCall
) -> ServiceResponse:
    voice_id = call.data[ATTR_VOICE_ID]
    for profile in profiles(entry):
        if voice_id == option(profile.data, CONF_VOICE):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="voice_in_use",
                translation_placeholders={"voice": voice_id, "name": profile.title},
            )
    voices = entry.runtime_data.voices
    await entry.runtime_data.client.enrollment.delete(voice_id)
    voices.removed(voice_id)
    async_forget_preview(hass, voice_id)
    await voices.async_refresh()
    return None


async def _list(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, call: ServiceCall
) -> ServiceResponse:
    voices = await entry.runtime_data.client.enrollment.list_voices(
        call.data.get(CONF_MODEL)
    )
    return {"voices": [voice.as_dict() for voice in voices]}


async def _settle(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, voice: CustomVoice
) -> CustomVoice:
    """Wait briefly for a new voice; if it is not ready, keep watching it meanwhile."""
    own = entry.runtime_data.voices
    own.added(voice)
    try:
        voice = await entry.runtime_data.client.enrollment.wait_until_ready(
            voice.voice_id, timeout=READY_WAIT, interval=POLL_INTERVAL
        )
    except VoiceNotReadyError as err:
        if err.status == VoiceStatus.DEPLOYING:
            entry.async_create_background_task(
                hass, _watch(entry, voice.voice_id), f"{DOMAIN} watch {voice.voice_id}"
            )
        voice = dataclasses.replace(voice, status=err.status)
    await own.async_refresh()
    return own.find(voice.voice_id) or voice


async def _watch(entry: CosyVoiceConfigEntry, voice_id: str) -> None:
    """List the voices again once a deploying voice is ready (or rejected)."""
    try:
        await entry.runtime_data.client.enrollment.wait_until_ready(
            voice_id, timeout=BACKGROUND_WAIT, interval=POLL_INTERVAL * 5
        )
    except CosyVoiceError as err:
        _LOGGER.info("Voice %s did not become ready: %s", voice_id, err)
    await entry.runtime_data.voices.async_refresh()
