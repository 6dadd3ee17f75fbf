"""DashScope error codes map to the right typed error."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import errors


@pytest.mark.parametrize(
    ("code", "message", "status", "kind", "retryable"),
    [
        (
            "InvalidApiKey",
            "Invalid API-key provided.",
            401,
            errors.AuthenticationError,
            False,
        ),
        (None, None, 401, errors.AuthenticationError, False),
        (None, None, 403, errors.AuthenticationError, False),
        ("Model.AccessDenied", "denied", None, errors.AuthenticationError, False),
        (
            "Arrearage",
            "Access denied, please make sure your account is in good standing.",
            400,
            errors.AccountError,
            False,
        ),
        (
            "Throttling.RateQuota",
            "Requests rate limit exceeded, please try again later.",
            None,
            errors.RateLimitedError,
            True,
        ),
        (None, None, 429, errors.RateLimitedError, True),
        # The rate-limit message has been seen under other codes.
        (
            "InvalidParameter",
            "Requests rate limit exceeded, please try again later.",
            None,
            errors.RateLimitedError,
            True,
        ),
        (
            "InternalError",
            "An internal error has occured",
            None,
            errors.ServiceUnavailableError,
            True,
        ),
        (None, None, 500, errors.ServiceUnavailableError, True),
        (None, None, 503, errors.ServiceUnavailableError, True),
        ("GatewayTimeout", None, 504, errors.ServiceUnavailableError, True),
        (
            "InvalidParameter",
            "[tts:]Engine return error code: 418",
            None,
            errors.InvalidRequestError,
            False,
        ),
        ("ModelNotFound", "no such model", 404, errors.InvalidRequestError, False),
        (
            "DataInspectionFailed",
            "inappropriate",
            400,
            errors.ContentFilteredError,
            False,
        ),
        (None, None, 400, errors.InvalidRequestError, False),
        ("SomethingNew", "who knows", None, errors.TaskFailedError, False),
        (None, None, None, errors.TaskFailedError, False),
    ],
)
def test_error_from_code(
    code: str | None,
    message: str | None,
    status: int | None,
    kind: type[errors.CosyVoiceError],
    retryable: bool,
) -> None:
    error = errors.error_from_code(code, message, status=status, request_id="r1")
    assert type(error) is kind
    assert error.retryable is retryable
    assert error.code == code
    assert error.request_id == "r1"
    assert str(error)


def test_message_names_the_code_once() -> None:
    error = errors.error_from_code("InvalidParameter", "text is null")
    assert str(error) == "InvalidParameter: text is null"
    assert str(errors.error_from_code("InternalError", None)) == "InternalError"
    assert str(errors.error_from_code(None, None, status=500)) == "HTTP 500"


def test_dropped_connection_is_retryable_only_before_audio() -> None:
    assert errors.ConnectionDroppedError("x", audio_delivered=False).retryable
    assert not errors.ConnectionDroppedError("x", audio_delivered=True).retryable


def test_validation_errors_are_value_errors() -> None:
    assert issubclass(errors.InvalidOptionError, ValueError)
    assert issubclass(errors.InvalidTextError, ValueError)
    assert errors.InvalidOptionError("voice", "bad").option == "voice"
