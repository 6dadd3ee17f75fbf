"""The run-task parameters that shape what is said, not how it sounds.

``seed``, ``language_hints``, ``hot_fix`` and ``enable_markdown_filter``, on the
WebSocket (run-task ``parameters``) and the HTTP API (``input``) alike: protocol doc
§2.2 and §7.1. Where the sources disagree or say nothing, the emulator is strict:
it refuses what the docs do not promise (see the emulator's README).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .enrollment import VoiceRecord

V1: Final = "cosyvoice-v1"
SEED_MAX: Final = 65535

# The WebSocket page lists these; the HTTP page adds five more (doc §2.2, §7.1).
WS_LANGUAGES: Final = ("zh", "en", "fr", "de", "ja", "ko", "ru", "pt", "th", "id", "vi")
HTTP_LANGUAGES: Final = (*WS_LANGUAGES, "es", "it", "ms", "fil", "ar")

# hot_fix: "v3-flash (not v2/v1)" in the WebSocket table; "not v2" on the HTTP page,
# which serves v3.5, v3 and v2; the issue tracker says v3-flash/v3-plus/v3.5. The
# v3 alias and the qwen-audio models are in no source: refused.
HOT_FIX_MODELS: Final = frozenset(
    {
        "cosyvoice-v3-flash",
        "cosyvoice-v3-plus",
        "cosyvoice-v3.5-flash",
        "cosyvoice-v3.5-plus",
    }
)
HOT_FIX_KINDS: Final = ("pronunciation", "replace")
# enable_markdown_filter: v3-flash, and "cloned voices" per the HTTP page.
MARKDOWN_FILTER_MODELS: Final = frozenset({"cosyvoice-v3-flash"})

# One pinyin syllable with its tone digit (5 = neutral), as SSML <phoneme
# alphabet="py"> takes it (doc §3.3); ü may be written v.
_SYLLABLE: Final = re.compile(r"[a-zü]{1,6}[1-5]")
_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

SEED_RULE: Final = f"Parameter invalid: seed must be an integer from 0 to {SEED_MAX}."
HOT_FIX_RULE: Final = (
    "Parameter invalid: hot_fix must be an object holding a non-empty "
    '"pronunciation" and/or "replace" list of one-key objects {"word": "value"}.'
)
MARKDOWN_FILTER_VOICE: Final = (
    "Parameter invalid: enable_markdown_filter is supported for cloned voices only."
)


class SpeechParamError(ValueError):
    """A refused parameter; its text is the task-failed (or HTTP 400) message."""


def language_rule(languages: tuple[str, ...]) -> str:
    """The message for language_hints outside ``languages``."""
    return (
        "Parameter invalid: language_hints must be a list of languages from: "
        + ", ".join(languages)
        + "."
    )


def not_supported(name: str, model: str) -> str:
    """The message for a parameter ``model`` does not take."""
    return f"Parameter invalid: {name} is not supported by {model}."


def pronunciation_rule(word: str) -> str:
    """The message for a hot_fix pronunciation that is not pinyin of ``word``."""
    return (
        f"Parameter invalid: hot_fix pronunciation of {word!r} must be pinyin with "
        "tone digits 1-5, one syllable per Han character (e.g. chong2 qing4)."
    )


def check_speech_params(
    params: dict[str, Any],
    model: str,
    custom_voice: VoiceRecord | None,
    *,
    http: bool,
) -> None:
    """Refuse a bad seed, language_hints, hot_fix or enable_markdown_filter.

    ``custom_voice`` is the request's voice when it is one of the key's custom
    voices; ``http`` picks the HTTP page's language list.
    """
    _check_seed(params, model)
    _check_language_hints(params, model, HTTP_LANGUAGES if http else WS_LANGUAGES)
    if "hot_fix" in params:
        if model not in HOT_FIX_MODELS:
            raise SpeechParamError(not_supported("hot_fix", model))
        check_hot_fix(params["hot_fix"])
    _check_markdown_filter(params, model, custom_voice)


def _check_seed(params: dict[str, Any], model: str) -> None:
    if "seed" not in params:
        return
    seed = params["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= SEED_MAX:
        raise SpeechParamError(SEED_RULE)
    # The SDK sends "seed": 0 on every model, v1 too (doc §2.2): the default passes.
    if model == V1 and seed != 0:
        raise SpeechParamError(not_supported("seed", model))


def _check_language_hints(
    params: dict[str, Any], model: str, languages: tuple[str, ...]
) -> None:
    if "language_hints" not in params:
        return
    if model == V1:
        raise SpeechParamError(not_supported("language_hints", model))
    hints = params["language_hints"]
    # Only the first is used (doc §2.2); every one must still be a listed language.
    if (
        not isinstance(hints, list)
        or not hints
        or not all(isinstance(h, str) and h in languages for h in hints)
    ):
        raise SpeechParamError(language_rule(languages))


def check_hot_fix(hot_fix: Any) -> None:
    """Refuse anything but ``{"pronunciation": [{w: pinyin}], "replace": [{w: t}]}``."""
    if (
        not isinstance(hot_fix, dict)
        or not hot_fix
        or any(kind not in HOT_FIX_KINDS for kind in hot_fix)
    ):
        raise SpeechParamError(HOT_FIX_RULE)
    for kind, entries in hot_fix.items():
        if not isinstance(entries, list) or not entries:
            raise SpeechParamError(HOT_FIX_RULE)
        for entry in entries:
            word, value = _one_pair(entry)
            if kind == "pronunciation":
                _check_pinyin(word, value)


def _one_pair(entry: Any) -> tuple[str, str]:
    """The word and value of a one-key object whose both sides are text."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise SpeechParamError(HOT_FIX_RULE)
    ((word, value),) = entry.items()
    if not isinstance(value, str) or not word.strip() or not value.strip():
        raise SpeechParamError(HOT_FIX_RULE)
    return word, value


def _check_pinyin(word: str, pinyin: str) -> None:
    syllables = pinyin.split(" ")
    if (
        len(_HAN.findall(word)) != len(word)
        or len(syllables) != len(word)
        or not all(_SYLLABLE.fullmatch(s) for s in syllables)
    ):
        raise SpeechParamError(pronunciation_rule(word))


def _check_markdown_filter(
    params: dict[str, Any], model: str, custom_voice: VoiceRecord | None
) -> None:
    if "enable_markdown_filter" not in params:
        return
    value = params["enable_markdown_filter"]
    if not isinstance(value, bool):
        raise SpeechParamError(
            "Parameter invalid: enable_markdown_filter must be a boolean."
        )
    if not value:
        return  # The default, wherever it is sent.
    if model not in MARKDOWN_FILTER_MODELS:
        raise SpeechParamError(not_supported("enable_markdown_filter", model))
    if custom_voice is None or custom_voice.designed:
        raise SpeechParamError(MARKDOWN_FILTER_VOICE)


def describe(params: dict[str, Any]) -> str:
    """The shaping parameters of a request, for the emulator's log ("" if none)."""
    parts = [
        f"{name} {params[name]!r}"
        for name in ("seed", "language_hints", "enable_markdown_filter")
        if name in params
    ]
    hot_fix = params.get("hot_fix")
    if isinstance(hot_fix, dict):
        parts.append(f"hot_fix {hot_fix!r}")
    return ", ".join(parts)
