"""The devices of an entry: the account's service, and one per voice profile."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import DOMAIN, MANUFACTURER
from .runtime import CosyVoiceConfigEntry


def service_device(entry: CosyVoiceConfigEntry) -> DeviceInfo:
    """The entry's device: the account's DashScope service, named as the entry is.

    Every platform describes it in full, so whichever is set up first creates the
    device whole instead of a bare identifier the other one fills in later. Its
    sensors are the account's health.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=MANUFACTURER,
        model="CosyVoice",
        entry_type=DeviceEntryType.SERVICE,
    )


def profile_device(profile: ConfigSubentry, model: str) -> DeviceInfo:
    """A voice profile's own device, in its subentry, named after the profile.

    Its model is the profile's. It is not linked under the account's device:
    ``via_device`` is deprecated from 2026.11, and its successor ``via_device_id`` is
    missing before.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, profile.subentry_id)},
        name=profile.title,
        manufacturer=MANUFACTURER,
        model=model,
        entry_type=DeviceEntryType.SERVICE,
    )
