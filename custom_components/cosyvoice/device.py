"""What every entity of an entry shares: the one service device they belong to."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import DOMAIN, MANUFACTURER
from .runtime import CosyVoiceConfigEntry, where


def service_device(entry: CosyVoiceConfigEntry) -> DeviceInfo:
    """The entry's device: the DashScope service of the account.

    Every platform describes it in full, so whichever is set up first creates the
    device whole instead of a bare identifier the other one fills in later. The
    device is the service (DashScope); its speech entities are the voice profiles,
    named by the user, and its sensors the account's health.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=f"DashScope {where(entry.data)}",
        manufacturer=MANUFACTURER,
        model="CosyVoice",
        entry_type=DeviceEntryType.SERVICE,
    )
