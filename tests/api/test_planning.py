"""Planning a request: checks, SSML, messages and tasks (no I/O)."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import (
    InvalidOptionError,
    InvalidTextError,
    SynthesisOptions,
    TextTooLongError,
)
from custom_components.cosyvoice.api.planning import plan_request
from custom_components.cosyvoice.api.text import Piece, billed_length


def test_plan_plain_long_text() -> None:
    text = "字" * 60_000  # 120,000 billed: six messages, one task
    plan = plan_request(text, SynthesisOptions())
    assert len(plan.tasks) == 1
    assert len(plan.tasks[0]) == 6
    assert plan.length == 120_000
    assert all(p.length == billed_length(p.text) for p in plan.tasks[0])
    huge = "字。" * 125_000  # 375,000 billed: two tasks
    assert len(plan_request(huge, SynthesisOptions()).tasks) == 2
    assert not plan.ssml


def test_plan_ssml() -> None:
    plan = plan_request("<speak>你好</speak>", SynthesisOptions())
    assert plan.ssml
    assert plan.options.enable_ssml
    assert plan.tasks == [[Piece("<speak>你好</speak>", 19)]]
    assert plan.length == 19
    with pytest.raises(InvalidOptionError, match="does not take SSML"):
        plan_request(
            "<speak>你好</speak>",
            SynthesisOptions(model="cosyvoice-v1", voice="longwan"),
        )
    with pytest.raises(TextTooLongError, match="one message"):
        plan_request(f"<speak>{'字' * 10_001}</speak>", SynthesisOptions())


@pytest.mark.parametrize("text", ["", " \n "])
def test_plan_refuses_empty_text(text: str) -> None:
    with pytest.raises(InvalidTextError, match="empty"):
        plan_request(text, SynthesisOptions())
