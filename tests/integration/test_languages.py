"""Language tags offered to Home Assistant."""

from __future__ import annotations

import pytest
from homeassistant.util.language import matches

from custom_components.cosyvoice.languages import (
    FALLBACK_LANGUAGE,
    default_language,
    supported_languages,
)


def test_one_tag_per_language_the_model_speaks() -> None:
    assert supported_languages("cosyvoice-v3-flash") == [
        "en",
        "ja",
        "ko",
        "zh",
        "zh-HK",
    ]
    assert supported_languages("cosyvoice-v1") == ["en", "zh"]
    assert supported_languages("cosyvoice-v3.5-plus") == [
        "de",
        "en",
        "fr",
        "ja",
        "ko",
        "ru",
        "zh",
    ]
    assert supported_languages("unknown-model") == []


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        ("zh-HK", "zh-HK"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("ja-JP", "ja"),
    ],
)
def test_pipeline_languages_find_their_tag(asked: str, found: str) -> None:
    """Assist matches its language against ours: every locale finds its voices."""
    assert matches(asked, supported_languages("cosyvoice-v3-flash"))[0] == found


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("ja", None, "ja"),
        ("en", "GB", "en"),
        ("zh-Hans", "CN", "zh"),
        ("zh-Hant", "TW", "zh"),
        ("zh-Hant", "HK", "zh-HK"),
        # Home Assistant's language is not spoken: the country's is, else Mandarin.
        ("nl", "JP", "ja"),
        ("nl", "HK", "zh-HK"),
        ("nl", "NL", FALLBACK_LANGUAGE),
        ("nl", None, FALLBACK_LANGUAGE),
    ],
)
def test_default_from_home_assistants_language_and_country(
    language: str, country: str | None, expected: str
) -> None:
    tags = supported_languages("cosyvoice-v3-flash")
    assert default_language(tags, language, country) == expected


def test_default_when_mandarin_is_not_spoken() -> None:
    assert default_language(["ko"], "nl", None) == "ko"
    assert default_language([], "nl", None) == FALLBACK_LANGUAGE
