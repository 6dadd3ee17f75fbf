"""The one place where the client's typed errors become Home Assistant errors.

What an error means is the client's to say (:attr:`CosyVoiceError.kind`, the key of its
translation in ``strings.json``, and :attr:`CosyVoiceError.caller_error`); this module
only dresses it as a Home Assistant error.
"""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import CosyVoiceError, InvalidOptionError
from .const import DOMAIN


def to_ha_error(error: CosyVoiceError) -> HomeAssistantError:
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
