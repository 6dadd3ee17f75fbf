"""Typed errors of the CosyVoice client, and the mapping from DashScope's error codes.

Every message is safe to log and show: none ever contains the API key.
"""

from __future__ import annotations


class CosyVoiceError(Exception):
    """Base class of every error the client raises."""

    kind: str = "synthesis_failed"
    """What went wrong, as a user is told it: one of :data:`ERROR_KINDS`."""
    caller_error: bool = False
    """The caller asked for something wrong (an option, the text): not a fault."""
    retryable: bool = False
    """A fresh attempt may succeed (network, throttling, server trouble)."""
    after_audio: bool = False
    """The failing task had already made audio (set by the task that failed)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Keep DashScope's error code and request id for diagnostics and support."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id


# --- The request was wrong: fix it, don't retry ----------------------------------------


class InvalidRequestError(CosyVoiceError):
    """The service or the client refused the request's content."""


class InvalidOptionError(InvalidRequestError, ValueError):
    """An option (see :data:`.options.OPTION_TABLE`) is invalid.

    Raised before anything is sent.
    """

    kind = "invalid_option"
    caller_error = True

    def __init__(self, option: str, message: str) -> None:
        """Name the offending option so a UI can point at it."""
        super().__init__(message)
        self.option = option


class InvalidTextError(InvalidRequestError, ValueError):
    """The text is empty, too long or otherwise unusable. Raised before sending."""

    kind = "invalid_text"
    caller_error = True


class TextTooLongError(InvalidTextError):
    """The text is over a documented DashScope limit."""

    kind = "text_too_long"

    def __init__(self, message: str, *, length: int, limit: int) -> None:
        """Keep the billed length and the limit it broke."""
        super().__init__(message)
        self.length = length
        self.limit = limit


class ContentFilteredError(InvalidRequestError):
    """DashScope's content inspection rejected the text."""

    kind = "content_filtered"
    caller_error = True


# --- The account or key: the user must act ---------------------------------------------


class AuthenticationError(CosyVoiceError):
    """The API key is missing, wrong, revoked, or not allowed to use this resource."""

    kind = "invalid_auth"


class AccountError(CosyVoiceError):
    """The account cannot be billed (arrears) or has not enabled the product."""

    kind = "account_error"


# --- Transient: worth another attempt --------------------------------------------------


class RateLimitedError(CosyVoiceError):
    """The account's request rate or concurrency quota is exceeded."""

    kind = "rate_limited"
    retryable = True


class ConnectivityError(CosyVoiceError):
    """DashScope could not be reached or stopped answering: an outage, to a user."""


class ServiceUnavailableError(ConnectivityError):
    """The service had an internal error or is overloaded (HTTP 5xx, InternalError)."""

    kind = "service_unavailable"
    retryable = True


class CannotConnectError(ConnectivityError):
    """No connection could be made (refused, DNS, TLS, handshake timeout)."""

    kind = "cannot_connect"
    retryable = True


class ConnectionDroppedError(ConnectivityError):
    """The connection broke during a task.

    Retryable only while no audio was handed to the caller: a retry after that would
    make the listener hear the start of the message twice.
    """

    kind = "connection_dropped"

    def __init__(
        self, message: str, *, audio_delivered: bool, stale_connection: bool = False
    ) -> None:
        """Record whether audio had come, and whether a pooled socket was found dead.

        ``stale_connection``: a connection kept from earlier tasks, closed by the
        service while idle, failed before any audio. That is no failure of the request.
        """
        super().__init__(message)
        self.audio_delivered = self.after_audio = audio_delivered
        self.retryable = not audio_delivered
        self.stale_connection = stale_connection


# --- The client itself ------------------------------------------------------------------


class PoolClosedError(CosyVoiceError):
    """The client was closed; no more requests."""

    kind = "not_loaded"


class PoolTimeoutError(ConnectivityError):
    """Every connection stayed busy for the whole queueing timeout."""

    kind = "busy"


# --- The conversation went wrong --------------------------------------------------------


class SynthesisTimeoutError(ConnectivityError):
    """The service stopped answering in the middle of a task."""

    kind = "timeout"


class ProtocolError(CosyVoiceError):
    """The service sent something the protocol does not allow."""


class TaskFailedError(CosyVoiceError):
    """A task-failed event whose code fits no narrower class."""


ERROR_KINDS: tuple[str, ...] = (
    "invalid_auth",
    "account_error",
    "rate_limited",
    "service_unavailable",
    "cannot_connect",
    "connection_dropped",
    "timeout",
    "busy",
    "not_loaded",
    "invalid_option",
    "invalid_ssml",
    "text_too_long",
    "invalid_text",
    "content_filtered",
    "invalid_voice_sample",
    "voice_not_found",
    "voice_not_ready",
    "voice_refused",
    "synthesis_failed",
)
"""Every :attr:`CosyVoiceError.kind`, for a UI that names them all."""

_AUTH_CODES = frozenset(
    {
        "InvalidApiKey",
        "NOT AUTHORIZED",
        "AccessDenied",
        "Model.AccessDenied",
        "Workspace.AccessDenied",
        "App.AccessDenied",
        "Endpoint.AccessDenied",
    }
)
_ACCOUNT_CODES = frozenset(
    {"Arrearage", "AccessDenied.Unpurchased", "AllocationQuota.FreeTierOnly"}
)
_UNAVAILABLE_CODES = frozenset(
    {
        "InternalError",
        "InternalError.Algo",
        "InternalError.Timeout",
        "RequestTimeOut",
        "ModelUnavailable",
        "ModelServingError",
        "ServiceUnavailable",
        "GatewayTimeout",
    }
)


def error_from_code(
    code: str | None,
    message: str | None,
    *,
    status: int | None = None,
    request_id: str | None = None,
) -> CosyVoiceError:
    """Build the right error from a DashScope error code, message and HTTP status.

    Used for task-failed events (no status), HTTP error bodies and refused handshakes.
    """
    code = code or None
    text = message or code or (f"HTTP {status}" if status else "unknown error")
    if code is not None and text != code and not text.startswith(code):
        text = f"{code}: {text}"
    kwargs = {"code": code, "request_id": request_id}
    if code in _ACCOUNT_CODES:
        return AccountError(text, **kwargs)
    if code in _AUTH_CODES or status in (401, 403):
        return AuthenticationError(text, **kwargs)
    if (
        (code or "").startswith("Throttling")
        or status == 429
        or (message is not None and "rate limit" in message.lower())
    ):
        return RateLimitedError(text, **kwargs)
    if (
        code in _UNAVAILABLE_CODES
        or (status is not None and status >= 500)
        or status
        in (
            408,
            409,
        )
    ):
        return ServiceUnavailableError(text, **kwargs)
    if code == "DataInspectionFailed":
        return ContentFilteredError(text, **kwargs)
    if code is not None and (
        code.startswith(("InvalidParameter", "BadRequest", "ModelNotFound"))
        or code in {"Model.NotExist", "NotFound", "WorkSpaceNotFound"}
    ):
        return InvalidRequestError(text, **kwargs)
    if status is not None and 400 <= status < 500:
        return InvalidRequestError(text, **kwargs)
    return TaskFailedError(text, **kwargs)
