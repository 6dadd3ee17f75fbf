"""One table of kinds, one ordered list of rules: what an error is and whether it is retried."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import errors
from custom_components.cosyvoice.api.errors import (
    ERROR_RULES,
    KINDS,
    CosyVoiceError,
    worth_retrying,
)


def test_each_kind_is_in_the_table_once() -> None:
    # Which classes name which kind: tests/integration/test_translations.py.
    assert len({kind.name for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_the_kind_alone_decides_a_retry(
    kind: errors.ErrorKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = CosyVoiceError("x")
    monkeypatch.setattr(error, "kind", kind.name)
    assert worth_retrying(error) is kind.retried
    assert worth_retrying(error, restartable=True) is kind.retried
    assert worth_retrying(error, resumable=True) is kind.retried
    assert error.caller_error is kind.caller
    error.after_audio = True
    # A listener never hears the start twice: a stream is not retried after audio,
    # it may only go on from the sentence that was cut.
    assert worth_retrying(error) is False
    assert worth_retrying(error, restartable=True) is kind.retried_after_audio
    assert worth_retrying(error, resumable=True) is kind.resumed_after_audio


def test_what_goes_on_after_audio_is_tried_again_before_it() -> None:
    for kind in KINDS:
        if kind.retried_after_audio or kind.resumed_after_audio:
            assert kind.retried, kind.name


def test_nothing_the_caller_got_wrong_is_retried() -> None:
    assert not any(kind.retried for kind in KINDS if kind.caller)


@pytest.mark.parametrize(
    ("code", "message", "status", "error"),
    [
        # The first rule that matches wins: arrears before the 4xx of a refusal.
        ("Arrearage", None, 403, errors.AccountError),
        ("InvalidApiKey", None, 400, errors.AuthenticationError),
        ("Throttling.BurstRate", None, 400, errors.RateLimitedError),
        (
            "InvalidParameter",
            "Requests rate limit exceeded",
            None,
            errors.RateLimitedError,
        ),
        ("InternalError.Algo", None, 400, errors.ServiceUnavailableError),
        (None, None, 504, errors.ServiceUnavailableError),
        ("DataInspectionFailed", None, 400, errors.ContentFilteredError),
        ("BadRequest.TooLarge", None, None, errors.InvalidRequestError),
        (None, None, 418, errors.InvalidRequestError),
        ("SomethingNew", None, None, errors.TaskFailedError),
        (None, None, None, errors.TaskFailedError),
    ],
)
def test_the_rules_are_read_in_order(
    code: str | None, message: str | None, status: int | None, error: type
) -> None:
    built = errors.error_from_code(code, message, status=status)
    assert type(built) is error
    first = next(
        (r.error for r in ERROR_RULES if r.matches(code, message, status)),
        errors.TaskFailedError,
    )
    assert first is error
