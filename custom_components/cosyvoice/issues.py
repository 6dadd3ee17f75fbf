"""Repair issues: what only the user can fix, and an outage while it lasts.

A failed message explains itself once, to whoever asked for it; an issue stays in
Settings → Repairs until the cause is gone. An outage is there because a newcomer
looks there first when a speaker stays silent; it goes when CosyVoice answers. None
can be fixed by a flow here: a key is re-entered in the reauthentication flow, an
account is topped up in the console, a deleted voice or fallback engine is replaced
in the profile's options.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from .api import CosyVoiceError, parse_custom_voice_id
from .const import CONF_FALLBACK_ENGINE, CONF_VOICE, DOMAIN
from .own_voices import OwnVoices
from .profiles import profiles
from .runtime import CosyVoiceConfigEntry, option

# URLs go in as placeholders: translations must not contain them.
CONSOLE_CN = "https://bailian.console.aliyun.com/"
CONSOLE_INTL = "https://modelstudio.console.alibabacloud.com/"


def invalid_auth_issue_id(entry_id: str) -> str:
    """The issue of a key DashScope stopped accepting."""
    return f"invalid_auth_{entry_id}"


def account_issue_id(entry_id: str) -> str:
    """The issue of an account that cannot pay for speech."""
    return f"account_{entry_id}"


def unreachable_issue_id(entry_id: str) -> str:
    """The issue saying the entry's account cannot reach DashScope."""
    return f"unreachable_{entry_id}"


def voice_missing_issue_id(profile_id: str) -> str:
    """The issue of a profile's own voice that the account no longer has."""
    return f"voice_missing_{profile_id}"


@callback
def async_update_voice_missing_issue(
    hass: HomeAssistant, profile: ConfigSubentry, voices: OwnVoices
) -> None:
    """Raise the issue if the profile's own voice is not listed, else clear it.

    Nothing is said while the list is unknown: unlisted is not deleted.
    """
    issue_id = voice_missing_issue_id(profile.subentry_id)
    voice_id = str(option(profile.data, CONF_VOICE))
    if (
        voices.listed
        and parse_custom_voice_id(voice_id) is not None
        and voices.find(voice_id) is None
    ):
        _async_create(hass, issue_id, "voice_missing", profile.title, voice=voice_id)
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


def fallback_missing_issue_id(profile_id: str) -> str:
    """The issue of a profile's fallback engine that no longer exists."""
    return f"fallback_missing_{profile_id}"


def _fallback(profile: ConfigSubentry) -> str | None:
    return str(profile.data.get(CONF_FALLBACK_ENGINE) or "") or None


def _tts_entity_exists(hass: HomeAssistant, entity_id: str) -> bool:
    """Registered (its integration may still be loading) or at least in the states."""
    if not entity_id.startswith("tts."):
        return False
    return (
        er.async_get(hass).async_get(entity_id) is not None
        or hass.states.get(entity_id) is not None
    )


@callback
def async_update_fallback_missing_issue(
    hass: HomeAssistant, profile: ConfigSubentry
) -> None:
    """Raise the issue if the profile's fallback engine is no TTS entity, else clear it."""
    issue_id = fallback_missing_issue_id(profile.subentry_id)
    fallback = _fallback(profile)
    if fallback is not None and not _tts_entity_exists(hass, fallback):
        _async_create(
            hass, issue_id, "fallback_missing", profile.title, fallback=fallback
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_watch_fallback_engines(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry
) -> None:
    """Check each profile's fallback engine now, and again when one comes or goes.

    Its state is watched rather than its registry entry: when an entity is removed
    from the registry its state lingers until the entity is taken down, and an
    entity without a unique id has a state only. The profiles are read at each
    event, so a fallback chosen later (no reload) is watched too. Stops when the
    entry unloads.
    """
    for profile in profiles(entry):
        async_update_fallback_missing_issue(hass, profile)

    @callback
    def _is_a_fallback(data: EventStateChangedData) -> bool:
        # Only an entity appearing or disappearing can change the verdict.
        return (data["old_state"] is None or data["new_state"] is None) and any(
            _fallback(profile) == data["entity_id"] for profile in profiles(entry)
        )

    @callback
    def _came_or_went(event: Event[EventStateChangedData]) -> None:
        for profile in profiles(entry):
            if _fallback(profile) == event.data["entity_id"]:
                async_update_fallback_missing_issue(hass, profile)

    entry.async_on_unload(
        hass.bus.async_listen(
            EVENT_STATE_CHANGED, _came_or_went, event_filter=_is_a_fallback
        )
    )


@callback
def async_create_invalid_auth_issue(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry
) -> None:
    """Point the user at reauthentication; setup with a working key removes it."""
    _async_create(
        hass, invalid_auth_issue_id(entry.entry_id), "invalid_auth", entry.title
    )


@callback
def async_create_account_issue(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, error: CosyVoiceError
) -> None:
    """Say what the service refused and where to top up or activate Model Studio."""
    _async_create(
        hass,
        account_issue_id(entry.entry_id),
        "account_error",
        entry.title,
        detail=str(error),
        console_cn=CONSOLE_CN,
        console_intl=CONSOLE_INTL,
    )


@callback
def async_create_unreachable_issue(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, error: CosyVoiceError
) -> None:
    """Say the service cannot be reached, and that it clears by itself."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        unreachable_issue_id(entry.entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="unreachable",
        translation_placeholders={"name": entry.title, "detail": str(error)},
    )


@callback
def async_delete_unreachable_issue(hass: HomeAssistant, entry_id: str) -> None:
    """CosyVoice answers again."""
    ir.async_delete_issue(hass, DOMAIN, unreachable_issue_id(entry_id))


@callback
def _async_create(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    name: str,
    **placeholders: str,
) -> None:
    """An issue only the user can fix, naming the entry or profile it is about."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=translation_key,
        translation_placeholders={"name": name, **placeholders},
    )


@callback
def async_delete_account_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Something was spoken, so the account pays again."""
    ir.async_delete_issue(hass, DOMAIN, account_issue_id(entry_id))


@callback
def async_delete_issues(hass: HomeAssistant, entry: CosyVoiceConfigEntry) -> None:
    """Remove every issue of the entry: it works again, or it is gone."""
    ir.async_delete_issue(hass, DOMAIN, invalid_auth_issue_id(entry.entry_id))
    for profile in profiles(entry):
        ir.async_delete_issue(hass, DOMAIN, voice_missing_issue_id(profile.subentry_id))
        ir.async_delete_issue(
            hass, DOMAIN, fallback_missing_issue_id(profile.subentry_id)
        )
    async_delete_account_issue(hass, entry.entry_id)
    async_delete_unreachable_issue(hass, entry.entry_id)
