"""The fallback's figures, the counters a home sees, and what the run is judged on.

A call the fallback spoke is known by its tag in what the spare voice was asked to
say (``spare_voice.spoken``). What Home Assistant owns is held apart: calls made
while the entry reloads (its platforms are gone, so it answers for itself), and the
memory it keeps of every result for minutes (2025.4: for good).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .calls import Call
from .report import ms

_TAG = re.compile(r"〔(\d+)〕")
COUNTERS = ("requests", "failures", "spoken_by_fallback")
"""Our sensors, by the end of their entity id."""
DEADLINE_SLACK = 0.1
"""A fallback asked this close to the deadline or later was asked because of it."""


def mark_fallbacks(calls: list[Call], spoken: list[dict[str, Any]]) -> None:
    """Give each call the fallback spoke the time its fallback was asked."""
    by_number = {call.number: call for call in calls}
    for item in spoken:
        for number in _TAG.findall(str(item.get("text", ""))):
            if (call := by_number.get(int(number))) is not None:
                call.fallback_asked = float(item["asked_at"]) - call.wall_started
                call.fallback_took = float(item.get("took_s", 0.0))


def _heard(call: Call) -> bool:
    return call.audio_bytes > 0


def _home_assistants(call: Call) -> bool:
    """Lost to a reload: Home Assistant answers for the gone entity, or ours says so.

    A reload is Home Assistant's way to apply a change; removing ours is under way.
    """
    return call.outcome.startswith("ha:") or call.outcome == "error:not_loaded"


def fallback_figures(
    calls: list[Call],
    profile: str,
    after: float,
    spells: list[tuple[str, float, float]],
    origin: float,
) -> dict[str, Any]:
    """What the profile with the fallback made of every call (bad input aside).

    ``origin``: when the spells' times start (the schedule's start, our clock).
    """
    mine = [c for c in calls if c.profile == profile and c.kind != "bad"]
    silent = [c for c in mine if not _heard(c)]
    fell_back = [c for c in mine if c.fallback_asked is not None]
    deadline = [
        c for c in fell_back if (c.fallback_asked or 0.0) >= after - DEADLINE_SLACK
    ]
    on_error = [c for c in fell_back if c not in deadline]
    return {
        "profile": profile,
        "after_s": after,
        "calls": len(mine),
        "spoken_by_fallback": len(fell_back),
        "no_audio": {
            "ours": len([c for c in silent if not _home_assistants(c)]),
            "home_assistants_share": len([c for c in silent if _home_assistants(c)]),
            "by_outcome": dict(Counter(c.outcome for c in silent).most_common()),
            "ours_calls": [_brief(c) for c in silent if not _home_assistants(c)][:20],
        },
        "cut_after_audio": sum(c.outcome.startswith("cut:") for c in mine),
        "first_audio_after_deadline_ms": ms(
            [
                c.ttfb - after
                for c in deadline
                if c.ttfb is not None and c.kind != "assist"
            ]
        ),
        "first_audio_after_deadline_less_espeak_ms": ms(
            [
                c.ttfb - after - (c.fallback_took or 0.0)
                for c in deadline
                if c.ttfb is not None and c.kind != "assist"
            ]
        ),
        "first_audio_on_error_ms": ms(
            [c.ttfb for c in on_error if c.ttfb is not None and c.kind != "assist"]
        ),
        "fallback_asked_after_s": ms([c.fallback_asked or 0.0 for c in fell_back]),
        "by_kind": {
            kind: {
                "calls": sum(c.kind == kind for c in mine),
                "by_fallback": sum(c.kind == kind for c in fell_back),
                "no_audio": sum(c.kind == kind for c in silent),
            }
            for kind in sorted({c.kind for c in mine})
        },
        "spells": spell_figures(calls, spells, origin),
    }


def spell_figures(
    calls: list[Call], spells: list[tuple[str, float, float]], origin: float
) -> list[dict[str, Any]]:
    """Per spell and profile: calls begun in it, how many were heard, by whom."""
    figures = []
    for what, began, ended in spells:
        inside = [
            c for c in calls if c.kind != "bad" and began <= c.started - origin <= ended
        ]
        by_profile: dict[str, dict[str, int]] = {}
        for call in inside:
            counts = by_profile.setdefault(
                call.profile, {"calls": 0, "heard": 0, "by_fallback": 0}
            )
            counts["calls"] += 1
            counts["heard"] += _heard(call)
            counts["by_fallback"] += call.fallback_asked is not None
        if by_profile:
            figures.append({"spell": what, "from_s": began, "to_s": ended} | by_profile)
    return figures


def counters(states: list[dict[str, Any]], calls: list[Call]) -> dict[str, Any]:
    """Our counters as the REST API shows them, beside the calls made.

    A counter the integration does not have (yet) is reported as absent.
    """
    found: dict[str, Any] = {}
    for name in COUNTERS:
        entity = next(
            (
                s
                for s in states
                if s["entity_id"].startswith("sensor.")
                and s["entity_id"].endswith(f"_{name}")
            ),
            None,
        )
        found[name] = "absent" if entity is None else _number(entity["state"])
    return {
        "sensors": found,
        "calls_made": len(calls),
        "calls_spoken_by_fallback": sum(c.fallback_asked is not None for c in calls),
        "calls_without_our_audio": sum(
            not _heard(c) or c.fallback_asked is not None for c in calls
        ),
    }


def _number(state: str) -> float | str:
    try:
        return float(state)
    except ValueError:
        return state


def _brief(call: Call) -> dict[str, Any]:
    return {
        "call": call.number,
        "kind": call.kind,
        "variant": call.variant,
        "outcome": call.outcome,
        "took_s": round(call.took or 0.0, 2),
    }


def home_assistants_share(result: dict[str, Any], calls: list[Call]) -> dict[str, Any]:
    """What Home Assistant owns: reported, never failing the run."""
    lost = [c for c in calls if _home_assistants(c)]
    return {
        "calls_lost_to_reloads": len(lost),
        "by_kind": dict(Counter(c.kind for c in lost).most_common()),
        "bad_input_while_reloading": sum(c.kind == "bad" for c in lost),
        "rss_slope_mb_per_1000_calls": result["rss_slope_mb_per_1000_calls"],
        "rss_less_ha_tts_audio_slope_mb_per_1000_calls": result[
            "rss_less_ha_tts_audio_slope_mb_per_1000_calls"
        ],
    }


def judged(result: dict[str, Any], calls: list[Call]) -> dict[str, bool]:
    """What we own, one check each; the run passes when all hold."""
    bad = [c for c in calls if c.kind == "bad" and not _home_assistants(c)]
    at_start = result["our_objects_at_start"]
    return {
        "every_call_accounted_for": not result["unaccounted"],
        "no_hang": result["hangs"] == 0,
        "bad_input_refused": all(c.outcome == f"error:{c.expected}" for c in bad),
        "fallback_profile_never_silent": result["fallback"]["no_audio"]["ours"] == 0,
        "our_objects_released": at_start is not None
        and result["our_objects_after_unload"] <= at_start,
        "nothing_left_after_unload": result["tasks_left_after_unload"] == 0
        and result["sockets_left_after_unload"] == 0,
        "sockets_within_bound": result["socket_samples_over_bound"] == 0,
        "key_never_shown": result["key_appearances"] == 0,
        "hass_exited_cleanly": result["hass_exit_code"] == 0,
    }
