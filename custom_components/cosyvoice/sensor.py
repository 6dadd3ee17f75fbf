"""Diagnostic sensors: how the account's messages and client are doing, pushed.

Nothing is polled. The client's statistics call the sensors back when a request ends
or a connection opens or closes (see :meth:`ClientStats.add_listener`), the
account's health when a message ends (see :class:`.health.Health`). Counts and the
last error are restored, so they outlive reloads and restarts.
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

from .api import ERROR_KINDS
from .device import service_device
from .health import LastError
from .runtime import CosyVoiceConfigEntry, CosyVoiceData

# Sensors are pushed by the client and never polled or updated by Home Assistant.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CosyVoiceSensorEntityDescription(SensorEntityDescription):
    """A sensor and how it reads its value from what the entry holds."""

    value_fn: Callable[[CosyVoiceData], StateType]


@dataclass(frozen=True, kw_only=True)
class CountEntityDescription(CosyVoiceSensorEntityDescription):
    """A count that outlives reloads and restarts; ``value_fn`` is this run's.

    The entry's client and health count from zero each time the entry is set up;
    the sensor adds what it had.
    """

    value_fn: Callable[[CosyVoiceData], int]
    state_class: SensorStateClass = SensorStateClass.TOTAL_INCREASING
    daily: bool = False
    """Start again from zero at local midnight."""


NO_ERROR = "none"
"""The last-error state while nothing has failed: a fact, not an unknown."""


def _first_audio(percentile: str) -> Callable[[CosyVoiceData], StateType]:
    """A percentile of the time to first audio over the client's recent requests."""

    def value(data: CosyVoiceData) -> StateType:
        return data.client.stats.first_audio_ms()[percentile]

    return value


COUNTERS: tuple[CountEntityDescription, ...] = (
    CountEntityDescription(
        key="requests",
        translation_key="requests",
        value_fn=lambda data: data.health.requests,
    ),
    CountEntityDescription(
        key="failures",
        translation_key="failures",
        value_fn=lambda data: data.health.failures,
    ),
    CountEntityDescription(
        key="spoken_by_fallback",
        translation_key="spoken_by_fallback",
        value_fn=lambda data: data.health.spoken_by_fallback,
    ),
    CountEntityDescription(
        key="billed_characters_today",
        translation_key="billed_characters_today",
        value_fn=lambda data: data.client.stats.billed_characters,
        daily=True,
    ),
    CountEntityDescription(
        key="billed_characters_total",
        translation_key="billed_characters_total",
        value_fn=lambda data: data.client.stats.billed_characters,
    ),
)

LAST_ERROR = CosyVoiceSensorEntityDescription(
    key="last_error",
    translation_key="last_error",
    device_class=SensorDeviceClass.ENUM,
    options=[NO_ERROR, *ERROR_KINDS],
    # This run's; before its first failure the sensor shows the one it restored.
    value_fn=lambda data: None if (e := data.health.last_error) is None else e.kind,
)

SENSORS: tuple[CosyVoiceSensorEntityDescription, ...] = (
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
        value_fn=lambda data: data.client.pool.open_connections,
    ),
)

DESCRIPTIONS: tuple[CosyVoiceSensorEntityDescription, ...] = (
    *COUNTERS,
    LAST_ERROR,
    *SENSORS,
)
"""Every sensor of an account."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the entry's diagnostic sensors."""
    entities: list[CosyVoiceSensor] = [
        CountSensor(entry, description) for description in COUNTERS
    ]
    entities.append(LastErrorSensor(entry, LAST_ERROR))
    entities += [CosyVoiceSensor(entry, description) for description in SENSORS]
    async_add_entities(entities)


class CosyVoiceSensor(SensorEntity):
    """One number (or text) of the entry's client or health, written when it changes."""

    entity_description: CosyVoiceSensorEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self, entry: CosyVoiceConfigEntry, description: CosyVoiceSensorEntityDescription
    ) -> None:
        """Read from what the entry holds now; a reload makes new sensors."""
        self.entity_description = description
        self._data = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = service_device(entry)
        self._attributes: dict[str, Any] | None = None

    async def async_added_to_hass(self) -> None:
        """Take the current value, then follow the client's and the health's changes."""
        await super().async_added_to_hass()
        self._update()
        self.async_on_remove(self._data.client.stats.add_listener(self._async_changed))
        self.async_on_remove(self._data.health.add_listener(self._async_changed))

    def _value(self) -> StateType:
        return self.entity_description.value_fn(self._data)

    def _attributes_now(self) -> dict[str, Any] | None:
        return None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the state alone cannot say (the last error's message)."""
        return self._attributes

    def _update(self) -> bool:
        """Take the current value; whether the state changed."""
        value, attributes = self._value(), self._attributes_now()
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
class CountStoredData(SensorExtraStoredData):
    """A count's last value and the local day it was counted on."""

    day: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The sensor's data plus the day, as ISO text."""
        return {**super().as_dict(), "day": self.day}


class CountSensor(CosyVoiceSensor, RestoreSensor):
    """A count across reloads and restarts: what was restored plus this run's count.

    The value is ``restored + counted - baseline``, where ``counted`` is this run's
    count since the entry was set up and ``baseline`` is what it was when the count
    last started over: 0, or for a daily sensor its value at local midnight. A
    reload keeps the last value in memory for the new sensor, a restart on disk.
    """

    entity_description: CountEntityDescription

    def __init__(
        self,
        entry: CosyVoiceConfigEntry,
        description: CountEntityDescription,
    ) -> None:
        """Count from zero until the restored value is known."""
        super().__init__(entry, description)
        self._restored = 0
        self._baseline = 0
        self._counted = 0
        """This run's count when the value was last worked out."""
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
    def extra_restore_state_data(self) -> CountStoredData:
        """What the next start restores: the count and the day it belongs to."""
        return CountStoredData(
            self.native_value, self.native_unit_of_measurement, self._day.isoformat()
        )

    def _value(self) -> StateType:
        counted = self.entity_description.value_fn(self._data)
        if self.entity_description.daily and (today := _today()) != self._day:
            # A new day. A request that ended since the last look (before the
            # midnight timer ran) was counted after midnight: it is today's.
            self._day, self._restored, self._baseline = today, 0, self._counted
        self._counted = counted
        return self._restored + counted - self._baseline

    @callback
    def _async_midnight(self, _now: datetime) -> None:
        """Show the new day's zero even when nothing is spoken after midnight."""
        self._async_changed()


@dataclass
class LastErrorStoredData(SensorExtraStoredData):
    """The last error's kind (the value) and its message."""

    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The sensor's data plus the message."""
        return {**super().as_dict(), "message": self.message}


class LastErrorSensor(CosyVoiceSensor, RestoreSensor):
    """The kind of the last message CosyVoice did not speak, across restarts.

    This run's last error, or until there is one the last error restored: a
    restart is no reason to claim that nothing failed.
    """

    def __init__(
        self,
        entry: CosyVoiceConfigEntry,
        description: CosyVoiceSensorEntityDescription,
    ) -> None:
        """Nothing known until the restored error is read."""
        super().__init__(entry, description)
        self._restored: LastError | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the last error, then follow."""
        self._restored = await self._async_restored_error()
        await super().async_added_to_hass()

    async def _async_restored_error(self) -> LastError | None:
        if (stored := await self.async_get_last_extra_data()) is None:
            return None
        data = stored.as_dict()
        kind, message = data.get("native_value"), data.get("message")
        if kind not in ERROR_KINDS:  # "none", or a kind this version does not know
            return None
        return LastError(str(kind), message if isinstance(message, str) else "")

    def _last(self) -> LastError | None:
        return self._data.health.last_error or self._restored

    def _value(self) -> StateType:
        if (kind := self.entity_description.value_fn(self._data)) is not None:
            return kind
        return NO_ERROR if self._restored is None else self._restored.kind

    def _attributes_now(self) -> dict[str, Any] | None:
        """The error's own words, cut to what an attribute should hold."""
        if (last := self._last()) is None:
            return None
        message = last.message
        if len(message) > MAX_LENGTH_STATE_STATE:
            message = message[: MAX_LENGTH_STATE_STATE - 1] + "…"
        return {"message": message}

    @property
    def extra_restore_state_data(self) -> LastErrorStoredData:
        """What the next start restores: the kind and the whole message."""
        last = self._last()
        return LastErrorStoredData(
            self.native_value, None, None if last is None else last.message
        )


def _today() -> date:
    """The local date in Home Assistant's time zone."""
    return dt_util.now().date()
