"""TextBatcher: where streamed text is cut into messages."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import InvalidOptionError, StreamingSettings
from custom_components.cosyvoice.api.text import MAX_CHARS_PER_MESSAGE, billed_length
from custom_components.cosyvoice.api.text_stream import TextBatcher


def test_waits_for_a_sentence_end() -> None:
    batcher = TextBatcher()
    assert batcher.feed("今天天气") == []
    assert batcher.feed("很好。明天") == ["今天天气很好。"]
    assert batcher.pending == "明天"
    assert batcher.feed("下雨！后天？") == ["明天下雨！后天？"]
    assert batcher.flush() == []


def test_english_period_needs_the_next_character() -> None:
    batcher = TextBatcher()
    assert batcher.feed("Pi is 3.") == []  # could be 3.14
    assert batcher.feed("14. It") == ["Pi is 3.14."]
    assert batcher.pending == " It"
    assert batcher.feed(" rains") == []
    assert batcher.feed("!") == [" It rains!"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    batcher = TextBatcher()
    assert batcher.feed("他说：“你好。”然后") == ["他说：“你好。”"]
    assert batcher.feed('走了。" Next') == ['然后走了。"']


def test_a_long_run_without_sentence_end_is_cut_at_a_clause() -> None:
    batcher = TextBatcher(clause_chars=10)
    assert batcher.feed("one, two") == []  # short: keep waiting for the sentence end
    assert batcher.feed(", three, four and") == ["one, two, three,"]
    assert batcher.pending == " four and"


def test_flush_hands_out_the_rest_but_never_whitespace() -> None:
    batcher = TextBatcher()
    batcher.feed("  ")
    assert batcher.flush() == []
    batcher.feed("no end yet")
    assert batcher.flush() == ["no end yet"]
    assert batcher.pending == ""


def test_nothing_over_the_message_limit() -> None:
    batcher = TextBatcher()
    huge = "字" * (MAX_CHARS_PER_MESSAGE // 2 + 10)  # no boundary anywhere
    pieces = batcher.feed(huge)
    assert len(pieces) >= 2
    assert all(billed_length(p) <= MAX_CHARS_PER_MESSAGE for p in pieces)
    assert "".join(pieces) == huge


@pytest.mark.parametrize(
    "kwargs",
    [{"pause": 0}, {"pause": 5, "idle_finish": 5}, {"clause_chars": 0}],
)
def test_settings_are_checked(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidOptionError):
        StreamingSettings(**kwargs)
