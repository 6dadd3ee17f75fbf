"""seed, language_hints, hot_fix and enable_markdown_filter, on both APIs (doc §2.2, §7.1)."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest

from devtools.emulator import DashScopeEmulator
from devtools.emulator.speech_params import (
    HOT_FIX_RULE,
    HTTP_LANGUAGES,
    MARKDOWN_FILTER_VOICE,
    SEED_RULE,
    WS_LANGUAGES,
    language_rule,
    not_supported,
    pronunciation_rule,
)
from tests.conftest import TEST_API_KEY

from .wire import open_ws

HOT_FIX = {
    "pronunciation": [{"重庆": "chong2 qing4"}],
    "replace": [{"HA": "Home Assistant"}],
}
TTS_PATH = "/services/audio/tts/SpeechSynthesizer"


async def _ws(
    emulator: DashScopeEmulator, model: str, voice: str, **params: Any
) -> str | None:
    """Speak one sentence over the WebSocket: None if it finished, else the failure."""
    async with open_ws(emulator.ws_url) as wire:
        await wire.run_task(model=model, voice=voice, **params)
        first = await wire.recv()
        assert isinstance(first, dict)
        last = first["header"]
        if last["event"] == "task-started":
            await wire.continue_task("你好。")
            await wire.finish_task()
            last = (await wire.collect()).last["header"]
    if last["event"] == "task-finished":
        return None
    assert last["event"] == "task-failed"
    assert last["error_code"] == "InvalidParameter"
    assert emulator.tasks[-1].state == "failed"
    return str(last["error_message"])


async def _http(
    emulator: DashScopeEmulator, model: str, voice: str, **options: Any
) -> str | None:
    """Speak one sentence over HTTP: None if it answered 200, else the 400 message."""
    body = {
        "model": model,
        "input": {"text": "你好。", "voice": voice, "format": "pcm", **options},
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            emulator.http_url + TTS_PATH,
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {TEST_API_KEY}"},
        ) as response,
    ):
        answer = await response.json()
    if response.status == 200:
        return None
    assert (response.status, answer["code"]) == (400, "InvalidParameter"), answer
    return str(answer["message"])


async def _both(
    emulator: DashScopeEmulator, model: str, voice: str, **params: Any
) -> tuple[str | None, str | None]:
    return (
        await _ws(emulator, model, voice, **params),
        await _http(emulator, model, voice, **params),
    )


@pytest.mark.parametrize(
    ("model", "voice", "params"),
    [
        ("cosyvoice-v3-flash", "longanyang", {"hot_fix": HOT_FIX}),
        ("cosyvoice-v3-plus", "longanhuan", {"hot_fix": {"replace": [{"°C": "摄氏度"}]}}),
        ("cosyvoice-v3-flash", "longanyang", {"hot_fix": {"pronunciation": [{"绿": "lv4"}, {"女儿": "nü3 er2"}]}}),
        ("cosyvoice-v3-flash", "longanyang", {"seed": 65535, "language_hints": ["en"]}),
        ("cosyvoice-v2", "longxiaochun_v2", {"seed": 0, "language_hints": ["zh"]}),
        ("cosyvoice-v3-flash", "longanyang", {"language_hints": ["vi", "zh"]}),
        ("cosyvoice-v2", "longxiaochun_v2", {"enable_markdown_filter": False}),
    ],
)  # fmt: skip
async def test_accepted_on_both_apis(
    emulator: DashScopeEmulator, model: str, voice: str, params: dict[str, Any]
) -> None:
    assert await _both(emulator, model, voice, **params) == (None, None)
    assert {k: emulator.tasks[-1].parameters[k] for k in params} == params


async def test_accepted_on_v35_with_a_custom_voice(emulator: DashScopeEmulator) -> None:
    voice = emulator.add_voice(TEST_API_KEY, "cosyvoice-v3.5-plus", "home")
    assert await _both(emulator, "cosyvoice-v3.5-plus", voice, hot_fix=HOT_FIX) == (
        None,
        None,
    )


async def test_sdk_seed_zero_is_fine_on_v1(emulator: DashScopeEmulator) -> None:
    # The SDK sends "seed": 0 (and "type": 0) whatever the model (doc §2.2).
    assert await _ws(emulator, "cosyvoice-v1", "longxiaochun", seed=0, type=0) is None


@pytest.mark.parametrize(
    ("model", "voice", "name", "value"),
    [
        ("cosyvoice-v2", "longxiaochun_v2", "hot_fix", HOT_FIX),
        ("cosyvoice-v3", "longxiaochun_v3", "hot_fix", HOT_FIX),
        ("qwen-audio-3.1-tts-flash", "longanhuan_v3.1", "hot_fix", HOT_FIX),
        ("cosyvoice-v2", "longxiaochun_v2", "enable_markdown_filter", True),
        ("cosyvoice-v3-plus", "longanhuan", "enable_markdown_filter", True),
        ("cosyvoice-v3.5-flash", None, "enable_markdown_filter", True),
    ],
)
async def test_refused_on_models_without_it(
    emulator: DashScopeEmulator, model: str, voice: str | None, name: str, value: Any
) -> None:
    if voice is None:
        voice = emulator.add_voice(TEST_API_KEY, model, "home")
    expected = not_supported(name, model)
    assert await _both(emulator, model, voice, **{name: value}) == (expected, expected)


@pytest.mark.parametrize(
    ("name", "value"), [("hot_fix", HOT_FIX), ("language_hints", ["zh"]), ("seed", 7)]
)
async def test_refused_on_v1(
    emulator: DashScopeEmulator, name: str, value: Any
) -> None:
    # v1 has no HTTP API: the WebSocket only.
    message = await _ws(emulator, "cosyvoice-v1", "longxiaochun", **{name: value})
    assert message == not_supported(name, "cosyvoice-v1")


@pytest.mark.parametrize(
    "hot_fix",
    [
        None,
        {},
        [],
        "重庆=chong2 qing4",
        {"pronunciation": {"重庆": "chong2 qing4"}},  # an object, not a list
        {"pronunciation": []},
        {"replace": [{"HA": "Home Assistant", "°C": "度"}]},  # two keys in one
        {"replace": [["HA", "Home Assistant"]]},
        {"replace": [{"HA": ""}]},
        {"replace": [{" ": "空"}]},
        {"replace": [{"HA": 1}]},
        {"pronunciations": [{"重庆": "chong2 qing4"}]},  # misspelt kind
        {"replace": [{"HA": "Home Assistant"}], "extra": []},
    ],
)
async def test_malformed_hot_fix(emulator: DashScopeEmulator, hot_fix: Any) -> None:
    found = await _both(emulator, "cosyvoice-v3-flash", "longanyang", hot_fix=hot_fix)
    assert found == (HOT_FIX_RULE, HOT_FIX_RULE)


@pytest.mark.parametrize(
    ("word", "pinyin"),
    [
        ("重庆", "chong2"),  # one syllable short
        ("重庆", "chong2 qing4 shi4"),
        ("重庆", "chongqing"),  # no tones
        ("重庆", "chóng qìng"),  # tone marks, not digits
        ("重庆", "chong2  qing4"),
        ("重庆", "chong6 qing4"),
        ("重庆", "Chong2 Qing4"),
        ("HA", "ha1"),  # not a Han word
    ],
)
async def test_bad_pinyin(emulator: DashScopeEmulator, word: str, pinyin: str) -> None:
    hot_fix = {"pronunciation": [{word: pinyin}]}
    expected = pronunciation_rule(word)
    found = await _both(emulator, "cosyvoice-v3-flash", "longanyang", hot_fix=hot_fix)
    assert found == (expected, expected)


async def test_markdown_filter_needs_a_cloned_voice(
    emulator: DashScopeEmulator,
) -> None:
    model = "cosyvoice-v3-flash"
    cloned = emulator.add_voice(TEST_API_KEY, model, "cloned")
    designed = emulator.add_voice(TEST_API_KEY, model, "designed", designed=True)
    assert await _both(emulator, model, cloned, enable_markdown_filter=True) == (
        None,
        None,
    )
    for voice in ("longanyang", designed):
        found = await _both(emulator, model, voice, enable_markdown_filter=True)
        assert found == (MARKDOWN_FILTER_VOICE, MARKDOWN_FILTER_VOICE)
    found = await _both(emulator, model, cloned, enable_markdown_filter="true")
    assert found[0] == found[1]
    assert found[0] is not None
    assert "boolean" in found[0]


@pytest.mark.parametrize("seed", [-1, 65536, 1.5, "7", True, None])
async def test_seed_range(emulator: DashScopeEmulator, seed: Any) -> None:
    found = await _both(emulator, "cosyvoice-v3-flash", "longanyang", seed=seed)
    assert found == (SEED_RULE, SEED_RULE)


@pytest.mark.parametrize(
    "hints", [[], "en", ["EN"], ["en-US"], ["zh", "xx"], [None], ["cn"], None]
)
async def test_language_hints_values(emulator: DashScopeEmulator, hints: Any) -> None:
    found = await _both(
        emulator, "cosyvoice-v3-flash", "longanyang", language_hints=hints
    )
    assert found == (language_rule(WS_LANGUAGES), language_rule(HTTP_LANGUAGES))


@pytest.mark.parametrize("language", ["es", "it", "ms", "fil", "ar"])
async def test_languages_only_the_http_page_lists(
    emulator: DashScopeEmulator, language: str
) -> None:
    found = await _both(
        emulator, "cosyvoice-v3-flash", "longanyang", language_hints=[language]
    )
    assert found == (language_rule(WS_LANGUAGES), None)


async def test_log_shows_the_wire_text_and_the_shaping(
    emulator: DashScopeEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devtools.emulator")
    async with open_ws(emulator.ws_url) as wire:
        await wire.speak(
            "**Lights** are on. ",
            "重庆 is 21°C.",
            hot_fix=HOT_FIX,
            language_hints=["en"],
            seed=7,
        )
    assert await _http(emulator, "cosyvoice-v3-flash", "longanyang") is None
    lines = [r.getMessage() for r in caplog.records]
    started = next(line for line in lines if " started (" in line)
    assert "seed 7" in started
    assert "language_hints ['en']" in started
    assert "chong2 qing4" in started
    texts = [line for line in lines if " text " in line]
    assert texts[0].endswith("text '**Lights** are on. '")
    assert texts[1].endswith("text '重庆 is 21°C.'")
    assert texts[2].endswith("text '你好。'")  # the HTTP request's
