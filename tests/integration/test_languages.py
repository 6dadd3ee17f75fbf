"""Language tags offered to Home Assistant."""

from __future__ import annotations

from custom_components.cosyvoice.languages import (
    FALLBACK_LANGUAGE,
    default_language,
    supported_languages,
)


def test_tags_per_model() -> None:
    v3 = supported_languages("cosyvoice-v3-flash")
    assert {"zh-CN", "zh-Hans", "zh-TW", "zh-HK", "yue", "en-US", "ja", "ko"} <= set(v3)
    assert v3 == sorted(v3)
    assert "fr" in supported_languages("cosyvoice-v3.5-plus")
    assert supported_languages("cosyvoice-v1") == sorted(
        [
            "zh",
            "zh-CN",
            "zh-Hans",
            "zh-TW",
            "zh-SG",
            "en",
            "en-US",
            "en-GB",
            "en-AU",
            "en-CA",
            "en-IN",
        ]
    )
    assert supported_languages("unknown-model") == []


def test_default_prefers_home_assistants_language() -> None:
    tags = supported_languages("cosyvoice-v3-flash")
    assert default_language(tags, "ja", None) == "ja"
    assert default_language(tags, "en", "GB") == "en-GB"
    assert default_language(tags, "nl", "NL") == FALLBACK_LANGUAGE
    assert default_language(["ko", "ko-KR"], "nl", None) == "ko"
    assert default_language([], "nl", None) == FALLBACK_LANGUAGE
