"""Billing and the documented text limits."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api import InvalidTextError, TextTooLongError
from custom_components.cosyvoice.api.text import (
    MAX_CHARS_PER_MESSAGE,
    billed_length,
    check_text,
)
from tests.strategies import awkward_text

# The documented rule, one character at a time: Han ideographs 2, anything else 1.
_HAN = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)


def _billed_by_hand(text: str) -> int:
    return sum(
        2 if any(low <= ord(c) <= high for low, high in _HAN) else 1 for c in text
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The service documentation's own examples.
        ("你好", 4),
        ("中A文123", 8),
        ("中文。", 5),
        ("中 文。", 6),
        ("hello", 5),
        ("", 0),
        # Kana and hangul bill as 1, kanji and hanja as 2; extension B as well.
        ("こんにちは", 5),
        ("안녕", 2),
        ("漢字", 4),
        ("𠀀", 2),
        ("😀", 1),
    ],
)
def test_billed_length(text: str, expected: int) -> None:
    assert billed_length(text) == expected


def test_check_text_rejects_empty_and_blank() -> None:
    for text in ("", "   ", "\n\t"):
        with pytest.raises(InvalidTextError, match="empty"):
            check_text(text)


def test_check_text_limit_counts_han_twice() -> None:
    assert check_text("中" * 10_000) == 20_000
    with pytest.raises(TextTooLongError) as caught:
        check_text("中" * 10_001)
    assert caught.value.length == 20_002
    assert caught.value.limit == 20_000
    assert check_text("a" * 30, limit=30) == 30
    with pytest.raises(TextTooLongError):
        check_text("a" * 31, limit=30)


@given(awkward_text, awkward_text)
def test_billing_follows_the_rule_and_adds_up(text: str, more: str) -> None:
    """Billing counts each character by itself, so it adds up over any cut."""
    assert billed_length(text) == _billed_by_hand(text)
    assert billed_length(text + more) == billed_length(text) + billed_length(more)


@given(awkward_text, st.integers(1, 60) | st.just(MAX_CHARS_PER_MESSAGE))
@example("\ud83d", 10)  # found by fuzzing: accepted, then could not be sent
def test_check_text_accepts_only_sendable_text(text: str, limit: int) -> None:
    """check_text returns the billed length of text it can send, or says why not."""
    if not text.strip() or not _encodes(text):
        with pytest.raises(InvalidTextError):
            check_text(text, limit=limit)
    elif billed_length(text) > limit:
        with pytest.raises(TextTooLongError) as caught:
            check_text(text, limit=limit)
        assert (caught.value.length, caught.value.limit) == (billed_length(text), limit)
    else:
        assert check_text(text, limit=limit) == billed_length(text)


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def test_check_text_refuses_a_lone_surrogate() -> None:
    # JSON's "\ud83d" reaches us as a lone surrogate: no UTF-8 form, so never sendable.
    with pytest.raises(InvalidTextError, match="surrogate"):
        check_text("你好\ud83d")
