"""What every entity of an entry shares: the one service device they belong to."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import CONF_MODEL, DOMAIN, MANUFACTURER
from .runtime import CosyVoiceConfigEntry, option, where


def service_device(entry: CosyVoiceConfigEntry) -> DeviceInfo:
    """The entry's device: the DashScope service, as the entry's options use it.

    Every platform describes it in full, so whichever is set up first creates the
    device whole instead of a bare identifier the other one fills in later. The
    device is the service (DashScope), its speech entity the engine (CosyVoice), so
    each name says something the other does not.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=f"DashScope {where(entry.data)}",
        manufacturer=MANUFACTURER,
        model=f"DashScope {option(entry.options, CONF_MODEL)}",
        entry_type=DeviceEntryType.SERVICE,
    )
