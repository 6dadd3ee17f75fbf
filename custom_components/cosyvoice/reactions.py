"""What the home sees when the service fails or comes back: decided here, once per kind.

What an error means is the client's to say (its kind, the key of its translation in
``strings.json``, and whether it is the caller's mistake); this module decides what a
home sees of it: a new key asked for, a repair issue, the outage logged, and the
translated error the caller gets. Speech, keeping connections ready and setup all
come here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)

from .api import CosyVoiceError, InvalidOptionError
from .const import DOMAIN
from .issues import (
    async_create_account_issue,
    async_create_invalid_auth_issue,
    async_delete_account_issue,
    async_update_voice_missing_issue,
)
from .runtime import CosyVoiceConfigEntry

_LOGGER = logging.getLogger(__name__)

type Reaction = Callable[
    [HomeAssistant, CosyVoiceConfigEntry, ConfigSubentry | None, CosyVoiceError], None
]


@callback
def _ask_for_a_new_key(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    _profile: ConfigSubentry | None,
    _error: CosyVoiceError,
) -> None:
    entry.async_start_reauth(hass)
    async_create_invalid_auth_issue(hass, entry)


@callback
def _say_the_account_cannot_pay(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    _profile: ConfigSubentry | None,
    error: CosyVoiceError,
) -> None:
    async_create_account_issue(hass, entry, error)


@callback
def _say_the_voice_is_gone(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    profile: ConfigSubentry | None,
    _error: CosyVoiceError,
) -> None:
    if profile is not None:
        async_update_voice_missing_issue(hass, profile, entry.runtime_data.voices)


REACTIONS: Final[dict[str, Reaction]] = {
    "invalid_auth": _ask_for_a_new_key,
    "account_error": _say_the_account_cannot_pay,
    "voice_not_found": _say_the_voice_is_gone,
}
"""What only the user can fix, by kind; every failure also counts for availability."""


@callback
def react(
    hass: HomeAssistant,
    entry: CosyVoiceConfigEntry,
    profile: ConfigSubentry | None,
    error: CosyVoiceError,
) -> HomeAssistantError:
    """Show the home what a failure means; return the caller's translated error.

    ``profile``: the voice profile that failed to speak; None when no profile was
    involved (connections kept ready for the whole account).
    """
    if (reaction := REACTIONS.get(error.kind)) is not None:
        reaction(hass, entry, profile, error)
    entry.runtime_data.availability.failed(error)
    _LOGGER.debug("Request failed: %s", error)
    return translated(error)


@callback
def recovered(hass: HomeAssistant, entry: CosyVoiceConfigEntry, *, spoke: bool) -> None:
    """The service answered again; ``spoke``: speech came, so the account pays."""
    entry.runtime_data.availability.succeeded()
    if spoke:
        async_delete_account_issue(hass, entry.entry_id)


@callback
def setup_failed(
    hass: HomeAssistant, entry: CosyVoiceConfigEntry, error: CosyVoiceError
) -> HomeAssistantError:
    """What setup raises for a failure to reach the service with the key.

    A refused key asks for a new one (Home Assistant starts the reauthentication
    for :class:`ConfigEntryAuthFailed`); anything else is tried again later.
    """
    if error.kind == "invalid_auth":
        async_create_invalid_auth_issue(hass, entry)
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key=error.kind,
        translation_placeholders={"detail": str(error)},
    )


def translated(error: CosyVoiceError) -> HomeAssistantError:
    """A translated Home Assistant error for a failed request.

    Problems with what the caller asked for (an option, the text) are
    :class:`ServiceValidationError`, so they are not reported as bugs. No message is
    given: Home Assistant makes it from the translation, so its own log lines (e.g. a
    failed TTS message) and the REST API say it as the frontend does. The client's
    message is the detail; it never holds the API key, so it is safe to show.
    """
    placeholders = {"detail": str(error)}
    if isinstance(error, InvalidOptionError):
        placeholders["option"] = error.option
    kind = ServiceValidationError if error.caller_error else HomeAssistantError
    return kind(
        translation_domain=DOMAIN,
        translation_key=error.kind,
        translation_placeholders=placeholders,
    )
