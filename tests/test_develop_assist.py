"""scripts/develop's Assist pipeline: an answer in Markdown, spoken by the first profile."""

from __future__ import annotations

import re

from custom_components.cosyvoice.api import DEFAULT_MODEL, clean_text
from custom_components.cosyvoice.languages import supported_languages
from devtools import develop_assist
from devtools.custom_components.streaming_agent.conversation import ANSWER


def test_the_pipeline_speaks_with_a_language_the_first_profile_takes() -> None:
    """Home Assistant refuses a pipeline run whose TTS language the engine lacks."""
    pipeline = develop_assist._pipeline()
    assert pipeline["tts_language"] in supported_languages(DEFAULT_MODEL)
    assert pipeline["tts_engine"] == develop_assist.SPEAKER


def test_the_agents_answer_is_markdown_and_its_speech_is_words() -> None:
    assert re.search(r"\*\*|^#|\|", ANSWER, re.M)
    spoken = clean_text(ANSWER)
    assert not re.search(r"[*#|`\[\]]|https?://|🌧", spoken)
    assert "Rain is expected after 9 pm" in spoken
    assert "今晚有雨，记得关窗。" in spoken
