"""What an SSML document says, for an engine that takes no SSML."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import spoken_text


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("<speak>你好<break time='500ms'/>世界</speak>", "你好 世界"),
        ('<speak><sub alias="世界卫生组织">WHO</sub>说</speak>', "世界卫生组织说"),
        ("<speak><say-as interpret-as='digits'>123</say-as></speak>", "123"),
        ("<speak>a</speak> <speak>b</speak>", "a b"),
        ("plain <b> text", "plain <b> text"),  # not SSML: as it is
        ("<speak>broken", "<speak>broken"),  # not well-formed: as it is
        ('<speak><!ENTITY a "b"></speak>', '<speak><!ENTITY a "b"></speak>'),
    ],
)
def test_spoken_text(text: str, said: str) -> None:
    assert spoken_text(text) == said
