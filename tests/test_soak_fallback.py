"""How the soak tells the fallback's calls, our counters, and what it is judged on."""

from __future__ import annotations

from typing import Any

from devtools.soak.calls import Call
from devtools.soak.fallback import (
    counters,
    fallback_figures,
    home_assistants_share,
    judged,
    mark_fallbacks,
)


def _call(number: int, kind: str = "announce", **fields: Any) -> Call:
    call = Call(number, kind, "short", "", started=100.0 + number, wall_started=1000.0)
    call.profile = "CosyVoice"
    call.outcome = "audio"
    call.audio_bytes = 100
    for name, value in fields.items():
        setattr(call, name, value)
    return call


def test_a_call_is_the_fallbacks_when_the_spare_voice_said_its_tag() -> None:
    deadline = _call(1)
    on_error = _call(2)
    own = _call(3)
    mark_fallbacks(
        [deadline, on_error, own],
        [
            {"text": "〔1〕前门打开了。", "asked_at": 1003.02, "took_s": 0.02},
            {"text": "〔2〕Dinner is ready.", "asked_at": 1000.4},
            {"text": "〔99〕not a call of this run", "asked_at": 1000.0},
        ],
    )
    assert deadline.fallback_asked is not None
    assert round(deadline.fallback_asked, 2) == 3.02
    assert on_error.fallback_asked is not None
    assert round(on_error.fallback_asked, 2) == 0.4
    assert deadline.fallback_took == 0.02
    assert own.fallback_asked is None


def test_fallback_figures_hold_home_assistants_share_apart() -> None:
    calls = [
        _call(1, first_byte=104.5, fallback_asked=3.01),  # at the deadline
        _call(2, first_byte=102.6, fallback_asked=0.4),  # refused: at once
        _call(3, outcome="ha:not_played", audio_bytes=0),  # the entry reloading
        _call(8, outcome="error:not_loaded", audio_bytes=0),  # ours said so
        _call(4, outcome="error:cannot_connect", audio_bytes=0),  # ours: silent
        _call(5, outcome="cut:connection_dropped"),
        _call(6, "bad", outcome="ha:entity_unavailable", audio_bytes=0),
        _call(7, profile="Stories", outcome="error:timeout", audio_bytes=0),
    ]
    figures = fallback_figures(
        calls, "CosyVoice", 3.0, [("down", 0.0, 1.5)], origin=101.0
    )

    assert figures["calls"] == 6  # bad input and the other profile aside
    assert figures["spoken_by_fallback"] == 2
    assert figures["no_audio"]["ours"] == 1
    assert figures["no_audio"]["home_assistants_share"] == 2
    assert figures["no_audio"]["ours_calls"][0]["call"] == 4
    assert figures["cut_after_audio"] == 1
    # Call 1 began at 101 and heard its first byte at 104.5: 0.5 s after 3 s.
    assert figures["first_audio_after_deadline_ms"] == {
        "n": 1,
        "p50": 500.0,
        "p95": 500.0,
        "max": 500.0,
    }
    assert figures["first_audio_on_error_ms"]["n"] == 1
    # Calls 1 and 2 began in the spell (0 to 1.5 s after the schedule began).
    (spell,) = figures["spells"]
    assert spell["CosyVoice"] == {"calls": 2, "heard": 2, "by_fallback": 2}


def test_counters_read_our_sensors_and_say_which_are_absent() -> None:
    states = [
        {"entity_id": "sensor.dashscope_x_requests", "state": "12"},
        {"entity_id": "sensor.dashscope_x_failures", "state": "3"},
        {"entity_id": "tts.spare_voice", "state": "unknown"},
    ]
    calls = [_call(1), _call(2, fallback_asked=3.0), _call(3, audio_bytes=0)]
    seen = counters(states, calls)
    assert seen["sensors"] == {
        "requests": 12.0,
        "failures": 3.0,
        "spoken_by_fallback": "absent",
    }
    assert seen["calls_made"] == 3
    assert seen["calls_spoken_by_fallback"] == 1
    assert seen["calls_without_our_audio"] == 2


def _result(**changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "unaccounted": [],
        "hangs": 0,
        "fallback": {"no_audio": {"ours": 0}},
        "our_objects_at_start": 400,
        "our_objects_after_unload": 230,
        "tasks_left_after_unload": 0,
        "sockets_left_after_unload": 0,
        "socket_samples_over_bound": 0,
        "key_appearances": 0,
        "hass_exit_code": 0,
        "rss_slope_mb_per_1000_calls": 36.0,
        "rss_less_ha_tts_audio_slope_mb_per_1000_calls": 12.0,
    }
    return result | changes


def test_home_assistants_share_never_fails_the_run() -> None:
    bad_in_reload = _call(1, "bad", outcome="ha:not_played", expected="invalid_ssml")
    refused = _call(2, "bad", outcome="error:invalid_ssml", expected="invalid_ssml")
    lost = _call(3, outcome="ha:entity_unavailable", audio_bytes=0)
    calls = [bad_in_reload, refused, lost]
    result = _result()

    assert all(judged(result, calls).values())
    share = home_assistants_share(result, calls)
    assert share["calls_lost_to_reloads"] == 2
    assert share["bad_input_while_reloading"] == 1
    assert share["rss_slope_mb_per_1000_calls"] == 36.0


def test_what_we_own_fails_the_run() -> None:
    wrong = _call(1, "bad", outcome="audio", expected="invalid_ssml")
    checks = judged(
        _result(fallback={"no_audio": {"ours": 1}}, our_objects_after_unload=401),
        [wrong],
    )
    assert {name for name, held in checks.items() if not held} == {
        "bad_input_refused",
        "fallback_profile_never_silent",
        "our_objects_released",
    }
