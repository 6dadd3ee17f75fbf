"""How the soak test accounts for its calls: outcomes from Home Assistant's log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devtools.soak.calls import Call, Messages
from devtools.soak.report import explain_failures, figures
from devtools.soak.watch import Sample, read_log

KEY = "sk-soak-test"


def _call(number: int, kind: str = "ui", **fields: object) -> Call:
    call = Call(number, kind, "short", "", started=0.0, wall_started=1000.0)
    for name, value in fields.items():
        setattr(call, name, value)
    return call


@pytest.fixture
def messages() -> Messages:
    return Messages()


@pytest.mark.parametrize(
    ("message", "key"),
    [
        (
            "DashScope is unavailable right now: InternalError: boom.",
            "service_unavailable",
        ),
        # Home Assistant drops a translated message's final period.
        ("CosyVoice is reloading or unloaded; try again", "not_loaded"),
        ("Invalid option voice: unknown voice 'x'", "invalid_option"),
        ("Provider tts.x not found", None),
        ("500: Internal Server Error", None),
    ],
)
def test_a_message_is_known_by_its_translation(
    messages: Messages, message: str, key: str | None
) -> None:
    assert messages.key_of(message) == key


def test_log_lines_give_failed_calls_their_reason(
    tmp_path: Path, messages: Messages
) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1000.5))
    log = tmp_path / "home-assistant.log"
    log.write_text(
        f"{stamp}.100 ERROR (MainThread) [homeassistant.components.tts] Error getting"
        " audio for 〔1〕前门打开了。: Could not connect to DashScope: refused\n"
        # Home Assistant 2026.x writes the time's UTC offset too.
        f"{stamp}.200+00:00 ERROR (MainThread) [homeassistant.components.tts] Error getting"
        " audio for <speak>〔2〕Dinner is…: The connection to DashScope broke during"
        " synthesis: lost\n"
        f"{stamp}.300 ERROR (MainThread) [homeassistant.components.tts] Error getting"
        " audio for [Streaming TTS]: something nobody translated\n"
        "Traceback (most recent call last):\n"
        f"{stamp}.400 ERROR (MainThread) [homeassistant.components.tts] Error streaming"
        " tts: Could not connect to DashScope: refused\n",
        encoding="utf-8",
    )
    failed = _call(1, outcome="failed", message="HTTP 500")
    cut = _call(2, outcome="audio", audio_bytes=208)
    assist = _call(3, "assist", outcome="audio", audio_bytes=100, ended=3.0)
    silent = _call(4, outcome="failed", message="HTTP 500")
    calls = [failed, cut, assist, silent]
    lines = read_log(log)
    assert len(lines) == 4
    assert "Traceback" in lines[2].message

    explain_failures(calls, lines, offset=0.0, messages=messages)

    assert failed.outcome == "error:cannot_connect"
    assert cut.outcome == "cut:connection_dropped"
    assert assist.outcome == "untranslated:something nobody translated"
    assert silent.outcome == "untranslated:HTTP 500 without a logged reason"


def test_figures_account_for_every_call() -> None:
    calls = [
        _call(1, outcome="audio", first_byte=0.05, ended=0.1),
        _call(2, outcome="error:cannot_connect", ended=2.0),
        _call(3, "bad", outcome="error:invalid_ssml", expected="invalid_ssml"),
        _call(4, outcome="hang", ended=90.0),
    ]
    samples = [
        Sample(
            0, 100.0, 1, 9, 0, tts_audio_mb=0.0, our_objects=90, allocated_blocks=10
        ),
        Sample(
            1, 103.0, 10, 9, 2, tts_audio_mb=2.0, our_objects=120, allocated_blocks=20
        ),
        Sample(
            2, 106.0, 2, 9, 4, tts_audio_mb=4.0, our_objects=121, allocated_blocks=24
        ),
    ]
    result = figures(calls, samples, [], KEY)
    assert result["calls"] == 4
    assert result["outcomes"] == {
        "audio": 1,
        "error:cannot_connect": 1,
        "error:invalid_ssml": 1,
        "hang": 1,
    }
    assert [c["call"] for c in result["unaccounted"]] == [4]
    assert result["hangs"] == 1
    assert result["longest_call_s"] == 90.0
    assert result["bad_input"] == {"calls": 1, "refused_as_expected": 1}
    assert result["socket_samples_over_bound"] == 1
    assert result["max_open_sockets"] == 10
    # From the first quarter of the calls on: 3 MB over 2 calls, of which 2 MB is
    # audio Home Assistant holds.
    assert result["rss_slope_mb_per_1000_calls"] == pytest.approx(1500.0)
    assert result["rss_less_ha_tts_audio_slope_mb_per_1000_calls"] == pytest.approx(
        500.0
    )
    assert (result["our_objects_after_warm_up"], result["our_objects_end"]) == (
        120,
        121,
    )
    assert result["allocated_blocks_slope_per_1000_calls"] == 2000
