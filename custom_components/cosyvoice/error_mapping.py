"""The one place where the client's typed errors become Home Assistant errors."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    AccountError,
    AuthenticationError,
    CannotConnectError,
    ConnectionDroppedError,
    ContentFilteredError,
    CosyVoiceError,
    InvalidOptionError,
    InvalidTextError,
    PoolClosedError,
    PoolTimeoutError,
    RateLimitedError,
    ServiceUnavailableError,
    SynthesisTimeoutError,
    TextTooLongError,
)
from .api.ssml import InvalidSsmlError
from .const import DOMAIN

# Most specific first: the first class the error is an instance of wins.
_TRANSLATION_KEYS: tuple[tuple[type[CosyVoiceError], str], ...] = (
    (AuthenticationError, "invalid_auth"),
    (AccountError, "account_error"),
    (RateLimitedError, "rate_limited"),
    (ServiceUnavailableError, "service_unavailable"),
    (CannotConnectError, "cannot_connect"),
    (ConnectionDroppedError, "connection_dropped"),
    (SynthesisTimeoutError, "timeout"),
    (PoolTimeoutError, "busy"),
    (PoolClosedError, "not_loaded"),
    (InvalidOptionError, "invalid_option"),
    (InvalidSsmlError, "invalid_ssml"),
    (TextTooLongError, "text_too_long"),
    (InvalidTextError, "invalid_text"),
    (ContentFilteredError, "content_filtered"),
)
_USER_ERRORS = (InvalidOptionError, InvalidTextError, ContentFilteredError)


ERROR_KEYS: tuple[str, ...] = (
    *(key for _, key in _TRANSLATION_KEYS),
    "synthesis_failed",
)
"""Every key :func:`translation_key` can give."""


def translation_key(error: CosyVoiceError | type[CosyVoiceError]) -> str:
    """The ``exceptions`` key of ``strings.json`` that explains this error (or kind)."""
    error_type = error if isinstance(error, type) else type(error)
    for kind, key in _TRANSLATION_KEYS:
        if issubclass(error_type, kind):
            return key
    return "synthesis_failed"


def to_ha_error(error: CosyVoiceError) -> HomeAssistantError:
    """A translated Home Assistant error for a failed request.

    Problems with what the caller asked for (an option, the text) are
    :class:`ServiceValidationError`, so they are not reported as bugs. The client's
    messages never hold the API key, so they are safe to show.
    """
    placeholders = {"detail": str(error)}
    if isinstance(error, InvalidOptionError):
        placeholders["option"] = error.option
    kind = (
        ServiceValidationError
        if isinstance(error, _USER_ERRORS)
        else HomeAssistantError
    )
    return kind(
        str(error),
        translation_domain=DOMAIN,
        translation_key=translation_key(error),
        translation_placeholders=placeholders,
    )
