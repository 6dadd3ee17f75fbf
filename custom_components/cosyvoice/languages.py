"""The languages the TTS entity offers Home Assistant for each model."""

from __future__ import annotations

from typing import Final

from homeassistant.util.language import matches

from .api import languages_for_model

# One tag per language the model speaks, as Home Assistant's pipelines and voice picker
# know it. Mandarin is plain ``zh``, so it matches zh-CN, zh-Hans and zh-TW alike;
# Cantonese is ``zh-HK``, the tag Home Assistant's Assist uses for it.
_HA_TAGS: Final[dict[str, str]] = {"yue": "zh-HK"}
FALLBACK_LANGUAGE: Final = "zh"

# The language of a home in this country when Home Assistant's own is not spoken.
_COUNTRY_LANGUAGES: Final[dict[str, str]] = {
    "CN": "zh",
    "TW": "zh",
    "SG": "zh",
    "HK": "zh-HK",
    "MO": "zh-HK",
    "JP": "ja",
    "KR": "ko",
    "FR": "fr",
    "DE": "de",
    "AT": "de",
    "RU": "ru",
}


def supported_languages(model: str) -> list[str]:
    """One tag for each language the model's voices speak, sorted."""
    return sorted({_HA_TAGS.get(code, code) for code in languages_for_model(model)})


def default_language(
    supported: list[str], hass_language: str, country: str | None
) -> str:
    """Home Assistant's language if the model speaks it, else the country's, else zh.

    The country also settles which Chinese: Home Assistant's zh-Hant is Mandarin in
    Taiwan and Cantonese in Hong Kong.
    """
    candidates = [hass_language, FALLBACK_LANGUAGE]
    if country and (spoken := _COUNTRY_LANGUAGES.get(country.upper())):
        same_language = (
            spoken.split("-")[0] == hass_language.split("-", maxsplit=1)[0].lower()
        )
        candidates.insert(0 if same_language else 1, spoken)
    for candidate in candidates:
        if found := matches(candidate, supported, country):
            return found[0]
    return supported[0] if supported else FALLBACK_LANGUAGE
