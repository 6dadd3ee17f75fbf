"""Typed errors of the CosyVoice client, and the rules that read and retry them.

What each kind means is one table (:data:`KINDS`); how the service's refusals are
read is one ordered list (:data:`ERROR_RULES`).

Every message is safe to log and show: none ever contains the API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """What one kind of failure means: whether it is tried again, and whose it is."""

    name: str
    """As a user is told it: the key of its translation."""
    retried: bool = False
    """A fresh attempt may succeed (network, throttling, server trouble)."""
    retried_after_audio: bool = False
    """Even once audio was made, a caller who has heard none of it yet (who gets the
    whole file at the end) may ask again from the start. A stream's listener must never
    hear its start twice, so a stream is never asked again from the start."""
    resumed_after_audio: bool = False
    """A stream whose audio was partly heard may go on, on a new task, from the
    sentence that was cut (when it knows which one that is: :mod:`.sentences`). The
    failure lost the connection, not the text: the new task says the same."""
    caller: bool = False
    """The caller asked for something wrong (an option, the text): not a fault."""
    fallback: bool = False
    """The service or the network owns it: another engine may speak instead. Never
    for a caller's mistake, which must be seen, not hidden behind another voice."""


KINDS: Final[tuple[ErrorKind, ...]] = (
    ErrorKind("invalid_auth", fallback=True),
    ErrorKind("account_error", fallback=True),
    ErrorKind("rate_limited", retried=True, fallback=True),
    ErrorKind("service_unavailable", retried=True, fallback=True),
    ErrorKind("cannot_connect", retried=True, fallback=True),
    ErrorKind(
        "connection_dropped",
        retried=True,
        retried_after_audio=True,
        resumed_after_audio=True,
        fallback=True,
    ),
    ErrorKind("timeout", fallback=True),
    ErrorKind("busy", fallback=True),
    # The account reloaded under a message (a new key): the message is still heard.
    ErrorKind("not_loaded", fallback=True),
    ErrorKind("invalid_option", caller=True),
    ErrorKind("invalid_ssml", caller=True),
    ErrorKind("text_too_long", caller=True),
    ErrorKind("invalid_text", caller=True),
    ErrorKind("content_filtered", caller=True),
    ErrorKind("invalid_voice_sample", caller=True),
    # A deleted own voice: the account no longer has it, whatever the message.
    ErrorKind("voice_not_found", caller=True, fallback=True),
    ErrorKind("voice_not_ready", caller=True),
    ErrorKind("voice_refused", caller=True),
    ErrorKind("synthesis_failed", fallback=True),
)
"""Every kind of failure; an error class names its kind, and this says what it means."""

KIND: Final[dict[str, ErrorKind]] = {kind.name: kind for kind in KINDS}

ERROR_KINDS: Final[tuple[str, ...]] = tuple(KIND)
"""Every :attr:`CosyVoiceError.kind`, for a UI that names them all."""


class CosyVoiceError(Exception):
    """Base class of every error the client raises."""

    kind: str = "synthesis_failed"
    """What went wrong: one of :data:`ERROR_KINDS`, whose meaning :data:`KINDS` says."""
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

    @property
    def caller_error(self) -> bool:
        """The caller asked for something wrong (an option, the text): not a fault."""
        return KIND[self.kind].caller

    @property
    def retryable(self) -> bool:
        """Whether the request may be asked again from its start.

        Not once a stream handed out audio (see :func:`worth_retrying`).
        """
        return worth_retrying(self)


def falls_back(error: CosyVoiceError) -> bool:
    """Whether another engine may speak a message that failed so (see :data:`KINDS`)."""
    return KIND[error.kind].fallback


def worth_retrying(
    error: CosyVoiceError, *, restartable: bool = False, resumable: bool = False
) -> bool:
    """The one rule of what is tried again: the error's kind decides.

    Once audio was made, only two callers may go on. ``restartable``: the caller gets
    the whole file at the end, so it has heard nothing yet; it asks again from the
    start. ``resumable``: a stream that knows which sentences were heard whole; it goes
    on from the one that was cut.
    """
    kind = KIND[error.kind]
    if not error.after_audio:
        return kind.retried
    return (restartable and kind.retried_after_audio) or (
        resumable and kind.resumed_after_audio
    )


# --- The request was wrong: fix it, don't retry ----------------------------------------


class InvalidRequestError(CosyVoiceError):
    """The service or the client refused the request's content."""


class InvalidOptionError(InvalidRequestError, ValueError):
    """An option (see :data:`.options.OPTION_TABLE`) is invalid.

    Raised before anything is sent.
    """

    kind = "invalid_option"

    def __init__(self, option: str, message: str) -> None:
        """Name the offending option so a UI can point at it."""
        super().__init__(message)
        self.option = option


class InvalidTextError(InvalidRequestError, ValueError):
    """The text is empty, too long or otherwise unusable. Raised before sending."""

    kind = "invalid_text"


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


class ConnectivityError(CosyVoiceError):
    """DashScope could not be reached or stopped answering: an outage, to a user."""


class ServiceUnavailableError(ConnectivityError):
    """The service had an internal error or is overloaded (HTTP 5xx, InternalError)."""

    kind = "service_unavailable"


class CannotConnectError(ConnectivityError):
    """No connection could be made (refused, DNS, TLS, handshake timeout)."""

    kind = "cannot_connect"


class ConnectionDroppedError(ConnectivityError):
    """The connection broke during a task: tried again as its kind says."""

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


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """One line of how the service's refusals are read: the first that matches wins.

    A refusal is a task-failed event (a code, no status), a refused WebSocket
    handshake (a status) or an HTTP error body or SSE error event (both).
    """

    error: type[CosyVoiceError]
    codes: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    """Codes starting so (``Throttling`` covers ``Throttling.RateQuota``)."""
    statuses: tuple[range, ...] = ()
    phrase: str | None = None
    """Found in the message, in any case."""

    def matches(
        self, code: str | None, message: str | None, status: int | None
    ) -> bool:
        """Whether this rule reads this refusal."""
        return (
            (
                code is not None
                and (code in self.codes or code.startswith(self.prefixes))
            )
            or (status is not None and any(status in r for r in self.statuses))
            or (
                self.phrase is not None
                and message is not None
                and self.phrase in message.lower()
            )
        )


ERROR_RULES: Final[tuple[ErrorRule, ...]] = (
    ErrorRule(
        AccountError,
        codes=frozenset(
            {"Arrearage", "AccessDenied.Unpurchased", "AllocationQuota.FreeTierOnly"}
        ),
    ),
    ErrorRule(
        AuthenticationError,
        codes=frozenset(
            {
                "InvalidApiKey",
                "NOT AUTHORIZED",
                "AccessDenied",
                "Model.AccessDenied",
                "Workspace.AccessDenied",
                "App.AccessDenied",
                "Endpoint.AccessDenied",
            }
        ),
        statuses=(range(401, 402), range(403, 404)),
    ),
    ErrorRule(
        RateLimitedError,
        prefixes=("Throttling",),
        statuses=(range(429, 430),),
        phrase="rate limit",
    ),
    ErrorRule(
        ServiceUnavailableError,
        codes=frozenset(
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
        ),
        # 408 and 409 too: the official SDK retries them.
        statuses=(range(500, 1000), range(408, 410)),
    ),
    ErrorRule(ContentFilteredError, codes=frozenset({"DataInspectionFailed"})),
    ErrorRule(
        InvalidRequestError,
        codes=frozenset({"Model.NotExist", "NotFound", "WorkSpaceNotFound"}),
        prefixes=("InvalidParameter", "BadRequest", "ModelNotFound"),
        statuses=(range(400, 500),),
    ),
)
"""How the service's refusals are read, in order (§5 of the protocol notes); what
matches none is a :class:`TaskFailedError`."""


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
    error = next(
        (rule.error for rule in ERROR_RULES if rule.matches(code, message, status)),
        TaskFailedError,
    )
    return error(text, code=code, request_id=request_id)
