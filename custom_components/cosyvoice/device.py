"""The devices of an entry: the DashScope service, and one per voice profile."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
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


def profile_device(
    entry: CosyVoiceConfigEntry, profile: ConfigSubentry, model: str
) -> DeviceInfo:
    """A voice profile's own device, in its subentry (as Home Assistant wants).

    It bears the service's name, so its entity, named after the profile, reads
    *DashScope China mainland (Beijing) Greetings*; its model is the profile's. It
    is not linked under the service's device: ``via_device`` is deprecated from
    2026.11, and its successor ``via_device_id`` is missing before.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, profile.subentry_id)},
        name=f"DashScope {where(entry.data)}",
        manufacturer=MANUFACTURER,
        model=model,
        entry_type=DeviceEntryType.SERVICE,
    )
