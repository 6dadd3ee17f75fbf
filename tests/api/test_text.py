"""Billing and the documented text limits."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import InvalidTextError, TextTooLongError
from custom_components.cosyvoice.api.text import billed_length, check_text


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
