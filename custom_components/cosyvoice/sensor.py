"""Diagnostic sensors: how the entry's client is doing, pushed as it changes.

Nothing is polled. The client's statistics call the sensors back when a request ends
or a connection opens or closes (see :meth:`ClientStats.add_listener`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import MAX_LENGTH_STATE_STATE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import ERROR_KINDS, CosyVoiceClient
from .device import service_device
from .runtime import CosyVoiceConfigEntry

# Sensors are pushed by the client and never polled or updated by Home Assistant.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CosyVoiceSensorEntityDescription(SensorEntityDescription):
    """A sensor and how it reads its value from the client."""

    value_fn: Callable[[CosyVoiceClient], StateType]
    attributes_fn: Callable[[CosyVoiceClient], dict[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class BilledCharactersEntityDescription(CosyVoiceSensorEntityDescription):
    """A count of billed characters that outlives restarts; ``value_fn`` is this run's.

    The client counts from zero each time it is made; the sensor adds what it had.
    """

    value_fn: Callable[[CosyVoiceClient], int]
    daily: bool = False
    """Start again from zero at local midnight."""


NO_ERROR = "none"
"""The last-error state while nothing has failed: a fact, not an unknown."""


def _last_error(client: CosyVoiceClient) -> str:
    """What kind of failure came last, as a translated state."""
    error = client.stats.last_error
    return NO_ERROR if error is None else error.error_kind


def _last_error_message(client: CosyVoiceClient) -> dict[str, Any]:
    """The last failure's own words, cut to what an attribute should hold."""
    error = client.stats.last_error
    if error is None:
        return {}
    message = error.message
    if len(message) > MAX_LENGTH_STATE_STATE:
        message = message[: MAX_LENGTH_STATE_STATE - 1] + "…"
    return {"message": message}


def _first_audio(percentile: str) -> Callable[[CosyVoiceClient], StateType]:
    """A percentile of the time to first audio over the client's recent requests."""

    def value(client: CosyVoiceClient) -> StateType:
        return client.stats.first_audio_ms()[percentile]

    return value


SENSORS: tuple[CosyVoiceSensorEntityDescription, ...] = (
    CosyVoiceSensorEntityDescription(
        key="requests",
        translation_key="requests",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda client: client.stats.requests,
    ),
    CosyVoiceSensorEntityDescription(
        key="failures",
        translation_key="failures",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda client: sum(client.stats.failures.values()),
    ),
    CosyVoiceSensorEntityDescription(
        key="last_error",
        translation_key="last_error",
        device_class=SensorDeviceClass.ENUM,
        options=[NO_ERROR, *ERROR_KINDS],
        value_fn=_last_error,
        attributes_fn=_last_error_message,
    ),
    # Latencies jump with every request: useful when tuning, noise otherwise.
    CosyVoiceSensorEntityDescription(
        key="first_audio_p50",
        translation_key="first_audio_p50",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=_first_audio("p50"),
    ),
    CosyVoiceSensorEntityDescription(
        key="first_audio_p95",
        translation_key="first_audio_p95",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=_first_audio("p95"),
    ),
    CosyVoiceSensorEntityDescription(
        key="open_connections",
        translation_key="open_connections",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda client: client.pool.open_connections,
    ),
)

BILLED_SENSORS: tuple[BilledCharactersEntityDescription, ...] = (
    BilledCharactersEntityDescription(
        key="billed_characters_today",
        translation_key="billed_characters_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda client: client.stats.billed_characters,
        daily=True,
    ),
    BilledCharactersEntityDescription(
        key="billed_characters_total",
        translation_key="billed_characters_total",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda client: client.stats.billed_characters,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the entry's diagnostic sensors."""
    entities: list[CosyVoiceSensor] = [
        CosyVoiceSensor(entry, description) for description in SENSORS
    ]
    entities += [
        BilledCharactersSensor(entry, description) for description in BILLED_SENSORS
    ]
    async_add_entities(entities)


class CosyVoiceSensor(SensorEntity):
    """One number (or text) of the entry's client, written when it changes."""

    entity_description: CosyVoiceSensorEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self, entry: CosyVoiceConfigEntry, description: CosyVoiceSensorEntityDescription
    ) -> None:
        """Read from the client the entry has now; a reload makes new sensors."""
        self.entity_description = description
        self._client = entry.runtime_data.client
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = service_device(entry)
        self._attributes: dict[str, Any] | None = None

    async def async_added_to_hass(self) -> None:
        """Take the current value, then follow the client's changes."""
        await super().async_added_to_hass()
        self._update()
        self.async_on_remove(self._client.stats.add_listener(self._async_changed))

    def _value(self) -> StateType:
        return self.entity_description.value_fn(self._client)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the state alone cannot say (the last error's message)."""
        return self._attributes

    def _update(self) -> bool:
        """Take the client's value; whether the state changed."""
        value = self._value()
        attributes = None
        if (attributes_fn := self.entity_description.attributes_fn) is not None:
            attributes = attributes_fn(self._client)
        if (value, attributes) == (self._attr_native_value, self._attributes):
            return False
        self._attr_native_value, self._attributes = value, attributes
        return True

    @callback
    def _async_changed(self) -> None:
        """Write the state only if it moved: this runs after every request."""
        if self._update():
            self.async_write_ha_state()


@dataclass
class BilledCharactersStoredData(SensorExtraStoredData):
    """The sensor's last value and the local day it was counted on."""

    day: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The sensor's data plus the day, as ISO text."""
        return {**super().as_dict(), "day": self.day}


class BilledCharactersSensor(CosyVoiceSensor, RestoreSensor):
    """Billed characters across restarts: what was restored plus this run's count.

    The value is ``restored + billed - baseline``, where ``billed`` is the client's
    count since it was made and ``baseline`` is what it was when the count last
    started over: 0, or for the daily sensor its value at local midnight.
    """

    entity_description: BilledCharactersEntityDescription

    def __init__(
        self,
        entry: CosyVoiceConfigEntry,
        description: BilledCharactersEntityDescription,
    ) -> None:
        """Count from zero until the restored value is known."""
        super().__init__(entry, description)
        self._restored = 0
        self._baseline = 0
        self._counted = 0
        """The client's count when the value was last worked out."""
        self._day = _today()

    async def async_added_to_hass(self) -> None:
        """Restore the last count (today's only if it is from today), then follow."""
        self._restored = await self._async_restored_count()
        await super().async_added_to_hass()
        if self.entity_description.daily:
            self.async_on_remove(
                async_track_time_change(
                    self.hass, self._async_midnight, hour=0, minute=0, second=0
                )
            )

    async def _async_restored_count(self) -> int:
        if (stored := await self.async_get_last_extra_data()) is None:
            return 0
        data = stored.as_dict()
        if self.entity_description.daily and data.get("day") != self._day.isoformat():
            return 0
        value = data.get("native_value")
        return value if isinstance(value, int) and value > 0 else 0

    @property
    def extra_restore_state_data(self) -> BilledCharactersStoredData:
        """What the next start restores: the count and the day it belongs to."""
        return BilledCharactersStoredData(
            self.native_value, self.native_unit_of_measurement, self._day.isoformat()
        )

    def _value(self) -> StateType:
        billed = self.entity_description.value_fn(self._client)
        if self.entity_description.daily and (today := _today()) != self._day:
            # A new day. A request that ended since the last look (before the
            # midnight timer ran) was billed after midnight: it is today's.
            self._day, self._restored, self._baseline = today, 0, self._counted
        self._counted = billed
        return self._restored + billed - self._baseline

    @callback
    def _async_midnight(self, _now: datetime) -> None:
        """Show the new day's zero even when nothing is spoken after midnight."""
        self._async_changed()


def _today() -> date:
    """The local date in Home Assistant's time zone."""
    return dt_util.now().date()
