"""Building the client of a config entry, and checking credentials with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    NO_RETRY,
    REGION_CUSTOM,
    ConnectionPool,
    CosyVoiceClient,
    Endpoint,
    KeepReadySettings,
    PoolSettings,
    RouteChoice,
    RoutingSettings,
)
from .availability import Availability
from .const import (
    CONF_HTTP_URL,
    CONF_KEEP_READY,
    CONF_LONG_TEXT_THRESHOLD,
    CONF_POOL_SIZE,
    CONF_REGION,
    CONF_ROUTE,
    CONF_WORKSPACE_ID,
    CONF_WS_URL,
)
from .health import Health
from .option_table import DEFAULTS
from .own_voices import OwnVoices


@dataclass(slots=True)
class CosyVoiceData:
    """What a loaded entry owns: the client, its connection pool, the own voices."""

    client: CosyVoiceClient
    voices: OwnVoices
    availability: Availability
    """Whether the service answers, logged once each way for the whole account."""
    health: Health = field(default_factory=Health)
    """The account's messages since setup: what the sensors add to their totals."""

    @property
    def pool(self) -> ConnectionPool:
        """Every WebSocket connection of this entry."""
        return self.client.pool


type CosyVoiceConfigEntry = ConfigEntry[CosyVoiceData]


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """The endpoint an entry's data describes (a region preset or custom URLs).

    Raises ``InvalidOptionError`` for an unknown region or a malformed URL.
    """
    workspace = data.get(CONF_WORKSPACE_ID) or None
    if data.get(CONF_REGION) == REGION_CUSTOM:
        return Endpoint.custom(
            data.get(CONF_WS_URL) or "", data.get(CONF_HTTP_URL) or None, workspace
        )
    return Endpoint.for_region(data.get(CONF_REGION, ""), workspace)


_REGION_NAMES = {
    "cn": "China mainland (Beijing)",
    "intl": "International (Singapore)",
}


def where(data: Mapping[str, Any]) -> str:
    """The region an entry uses, or its custom endpoint's host, as titles name it."""
    if data.get(CONF_REGION) in _REGION_NAMES:
        return _REGION_NAMES[data[CONF_REGION]]
    return f"({endpoint_from_data(data).host})"


def option(settings: Mapping[str, Any], key: str) -> Any:
    """A setting of a voice profile or of the account, or its default."""
    return settings.get(key, DEFAULTS[key])


def profile_routing(profile: Mapping[str, Any]) -> RoutingSettings:
    """Which API speaks a voice profile's messages."""
    return RoutingSettings(
        route=cast("RouteChoice", option(profile, CONF_ROUTE)),
        long_text_threshold=int(option(profile, CONF_LONG_TEXT_THRESHOLD)),
    )


def pool_settings(options: Mapping[str, Any]) -> PoolSettings:
    """The account's connection pool, as its options say."""
    return PoolSettings(max_connections=int(option(options, CONF_POOL_SIZE)))


def keep_ready_settings(options: Mapping[str, Any]) -> KeepReadySettings:
    """How many of the account's connections are kept ready, as its options say."""
    return KeepReadySettings(connections=int(option(options, CONF_KEEP_READY)))


def build_client(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    retry: bool = True,
) -> CosyVoiceClient:
    """A client on Home Assistant's shared aiohttp session, one per account.

    Its profiles share its connection pool; each passes its own routing per request.
    """
    return CosyVoiceClient(
        async_get_clientsession(hass),
        data[CONF_API_KEY],
        endpoint_from_data(data),
        pool=pool_settings(options),
        keep_ready=keep_ready_settings(options),
        retry=None if retry else NO_RETRY,
    )


async def async_check_credentials(hass: HomeAssistant, data: Mapping[str, Any]) -> None:
    """Open one WebSocket with these credentials; DashScope checks the key there.

    The handshake costs nothing (no text is billed) and is answered with 401/403
    for a bad key. Raises the client's typed errors.
    """
    client = build_client(hass, data, {}, retry=False)
    try:
        await client.pool.warm_up()
    finally:
        await client.close()
