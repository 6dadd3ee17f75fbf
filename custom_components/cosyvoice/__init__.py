"""CosyVoice (Alibaba Cloud DashScope) text-to-speech for Home Assistant.

The HA-free client lives in the ``api`` subpackage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .api import CosyVoiceError, InvalidRequestError
from .availability import Availability
from .const import DOMAIN
from .fallback import profile_fallback
from .issues import (
    async_delete_issues,
    async_update_voice_missing_issue,
    async_watch_fallback_engines,
)
from .own_voices import (
    OwnVoices,
    async_load_label_words,
    async_remove_descriptions,
    descriptions_store,
)
from .previews import async_setup_previews
from .profiles import (
    async_migrate_to_profiles,
    profiles,
)
from .reactions import forget_fallback_audio, react, recovered, setup_failed
from .runtime import CosyVoiceConfigEntry, CosyVoiceData, build_client
from .services import async_setup_services

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.SENSOR, Platform.TTS]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the voice actions and the previews of designed voices.

    The words of own voices' picker labels are loaded once, for every entry.
    """
    async_setup_services(hass)
    async_setup_previews(hass)
    await async_load_label_words(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> bool:
    """Build the client on HA's shared session and check the key with one handshake.

    The handshake's connection stays in the pool, so the first request is warm. A key
    that works clears the entry's repair issues: reauthentication and reconfiguration
    end in this setup. The account's own voices are listed for the pickers; a
    configured one that is gone raises a repair issue.
    """
    try:
        client = build_client(hass, entry.data, entry.options)
    except InvalidRequestError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_config",
            translation_placeholders={"detail": str(err)},
        ) from err
    outage: CosyVoiceError | None = None
    try:
        await client.pool.warm_up()
    except CosyVoiceError as err:
        if not _speaks_anyway(entry, err):
            await client.close()
            raise setup_failed(hass, entry, err) from err
        outage = err
    else:
        async_delete_issues(hass, entry)
        forget_fallback_audio(hass, entry)  # a new key works: CosyVoice is back
    async_watch_fallback_engines(hass, entry)
    voices = OwnVoices(client, descriptions_store(hass, entry.entry_id))
    await voices.async_load()
    if outage is None:  # unlisted is not deleted: the pickers wait for the service
        await voices.async_refresh()
    for profile in profiles(entry):
        async_update_voice_missing_issue(hass, profile, voices)

    entry.runtime_data = CosyVoiceData(client, voices, Availability(entry))
    if outage is not None:
        # Keeping ready connects as soon as the service answers, backing off till then.
        react(hass, entry, None, outage)
    client.keep_ready.start(_keep_ready_outcome(hass, entry))

    async def _close_on_stop(_event: Event) -> None:
        await client.close()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _close_on_stop)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _speaks_anyway(entry: CosyVoiceConfigEntry, error: CosyVoiceError) -> bool:
    """Whether the entry loads though the service cannot be reached.

    A profile with a fallback still speaks, so no automation is left without an
    engine (after a power cut Home Assistant is often up before the router). A key
    the service refuses never loads: it asks for a new one.
    """
    return error.kind != "invalid_auth" and any(
        profile_fallback(profile.data) is not None for profile in profiles(entry)
    )


def _keep_ready_outcome(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry
) -> Callable[[CosyVoiceError | None], None]:
    """What a renewal of the ready connections tells the user: as a request would.

    A key refused while the house was quiet asks for a new one (renewal stops, so
    once); an outage is logged once each way with the requests' own log.
    """

    @callback
    def outcome(error: CosyVoiceError | None) -> None:
        if error is None:
            recovered(hass, entry, spoke=False)
        else:
            react(hass, entry, None, error)

    return outcome


async def async_unload_entry(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> bool:
    """Unload the platforms, then close every connection of the entry."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> None:
    """Take the entry's repair issues and kept descriptions with it.

    Nobody could fix the issues any more, nor pick the voices the descriptions name.
    """
    async_delete_issues(hass, entry)
    await async_remove_descriptions(hass, entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> bool:
    """Version 1 → 2: the entry's options become its first voice profile.

    A version newer than this code knows (after a downgrade) is refused.
    """
    if entry.version > 2:
        return False
    if entry.version == 1:
        async_migrate_to_profiles(hass, entry)
    return True
