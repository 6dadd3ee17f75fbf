"""Diagnostics: the entry with its secrets redacted, the pool's and messages' numbers.

No message's text is in them: a failed message is listed by its time, profile,
kind and length.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_WORKSPACE_ID
from .option_table import DEFAULT_PROFILE
from .profiles import profiles
from .runtime import CosyVoiceConfigEntry

# The unique id is a digest of the key: not secret, but nothing to share either.
TO_REDACT = {CONF_API_KEY, CONF_WORKSPACE_ID, "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry
) -> dict[str, Any]:
    """What support needs: configuration, profiles, pool, messages, own voices."""
    client = entry.runtime_data.client
    pool = entry.runtime_data.pool
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "endpoint": {
            "region": client.endpoint.region,
            "host": client.endpoint.host,
            "http_api": client.endpoint.http_url is not None,
            "workspace": client.endpoint.workspace_id is not None,
        },
        "profiles": [
            {
                "title": profile.title,
                "subentry_id": profile.subentry_id,
                "settings": {**DEFAULT_PROFILE, **profile.data},
            }
            for profile in profiles(entry)
        ],
        "connection_pool": {
            "max_connections": pool.settings.max_connections,
            "max_idle": pool.settings.max_idle,
            "max_age": pool.settings.max_age,
            "waiting": pool.waiting,
            "keep_ready": client.keep_ready.settings.connections,
            "renew_after": client.keep_ready.settings.renew_after,
            "keeping_ready": client.keep_ready.running,
        },
        "statistics": client.snapshot(),
        "messages": entry.runtime_data.health.as_dict(),
        "own_voices": {
            "listed": entry.runtime_data.voices.listed,
            "voices": [voice.as_dict() for voice in entry.runtime_data.voices.voices],
        },
    }
