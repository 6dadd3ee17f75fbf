"""The sentence ledger: which of a task's text was heard whole, and only when certain."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api.protocol import ResultGenerated, SentencePart
from custom_components.cosyvoice.api.sentences import SentenceLedger

BEGIN, SYNTHESIS, END = SentencePart.BEGIN, SentencePart.SYNTHESIS, SentencePart.END
POEM = "床前明月光，疑是地上霜。"


def _event(
    part: SentencePart | None, index: int | None, text: str | None = None
) -> ResultGenerated:
    return ResultGenerated("t", None, part, index, text)


def _say(ledger: SentenceLedger, index: int, text: str) -> None:
    """One sentence as the protocol notes show it: begin, two frames, end."""
    ledger.heard(_event(BEGIN, index, text))
    ledger.heard(_event(SYNTHESIS, index))
    ledger.heard(_event(SYNTHESIS, index))
    ledger.heard(_event(END, index, text))


def test_each_sentence_that_ended_is_heard() -> None:
    ledger = SentenceLedger()
    ledger.sent(POEM)
    assert ledger.spoken == 0
    ledger.heard(_event(BEGIN, 0, "床前明月光，"))
    ledger.heard(_event(SYNTHESIS, 0))
    assert ledger.spoken == 0  # begun, some audio: not heard whole yet
    ledger.heard(_event(END, 0, "床前明月光，"))
    assert POEM[ledger.spoken :] == "疑是地上霜。"
    _say(ledger, 1, "疑是地上霜。")
    assert ledger.spoken == len(POEM)
    assert ledger.sentences == 2


def test_sentences_need_not_follow_the_messages() -> None:
    ledger = SentenceLedger()
    for piece in ["Hello wor", "ld. How are", " you? Fine"]:
        ledger.sent(piece)
    _say(ledger, 0, "Hello world.")
    _say(ledger, 1, "How are you?")
    assert "Hello world. How are you? Fine"[ledger.spoken or 0 :] == " Fine"


def test_whitespace_may_differ() -> None:
    ledger = SentenceLedger()
    ledger.sent("First line\nstill first.   Second. Third.")
    _say(ledger, 0, " First line still first.")
    _say(ledger, 1, "Second.\n")
    assert "First line\nstill first.   Second. Third."[ledger.spoken or 0 :] == (
        " Third."
    )


def test_an_end_without_text_takes_its_begins() -> None:
    ledger = SentenceLedger()
    ledger.sent(POEM)
    ledger.heard(_event(BEGIN, 0, "床前明月光，"))
    ledger.heard(_event(END, 0))
    assert ledger.spoken == len("床前明月光，")


def test_a_frame_of_a_sentence_that_ended_changes_nothing() -> None:
    # An encoder's tail, flushed at finish-task, is announced with the last index.
    ledger = SentenceLedger()
    ledger.sent(POEM)
    _say(ledger, 0, "床前明月光，")
    ledger.heard(_event(SYNTHESIS, 0))
    assert ledger.spoken == len("床前明月光，")


def test_the_same_sentence_twice_is_placed_twice() -> None:
    ledger = SentenceLedger()
    ledger.sent("Yes. Yes. Yes.")
    _say(ledger, 0, "Yes.")
    _say(ledger, 1, "Yes.")
    assert "Yes. Yes. Yes."[ledger.spoken or 0 :] == " Yes."


@pytest.mark.parametrize(
    "events",
    [
        # The older protocol: no sub-types, so no sentence ends at all.
        [_event(None, 0)],
        [_event(BEGIN, 0), _event(END, 0)],  # no text: the last sentence may lack it
        [_event(END, 0, "疑是地上霜。")],  # not the next stretch of the text
        [_event(END, 0, "床前明月光，疑是地上霜。再见。")],  # more than was sent
        [_event(END, 1, "床前明月光，")],  # a sentence skipped
        [_event(BEGIN, 1, "疑是地上霜。")],
        [_event(SYNTHESIS, 1)],  # audio of a sentence not yet begun
        [_event(SYNTHESIS, None)],
        [_event(END, 0, "  ")],
    ],
)
def test_anything_out_of_the_documented_order_is_not_certain(
    events: list[ResultGenerated],
) -> None:
    ledger = SentenceLedger()
    ledger.sent(POEM)
    for event in events:
        ledger.heard(event)
    assert ledger.spoken is None
    # Later good events cannot make it certain again: a sentence may have been missed.
    _say(ledger, 0, "床前明月光，")
    assert ledger.spoken is None


def test_ssml_is_never_certain() -> None:
    ledger = SentenceLedger(trusted=False)
    ledger.sent("<speak>你好。</speak>")
    _say(ledger, 0, "你好。")
    assert ledger.spoken is None
