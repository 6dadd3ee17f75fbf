"""The routing rule, as a table."""

from __future__ import annotations

import pytest

from custom_components.cosyvoice.api import InvalidOptionError, SynthesisOptions
from custom_components.cosyvoice.api.planning import plan_request
from custom_components.cosyvoice.api.router import (
    RouteChoice,
    RoutingSettings,
    choose_route,
)

V3 = SynthesisOptions()
V1 = SynthesisOptions(model="cosyvoice-v1", voice="longwan")
SHORT = "你好，欢迎回家。"
SSML = "<speak>你好</speak>"
LONG = "这是一句很长的话。" * 40  # 720 billed


@pytest.mark.parametrize(
    ("text", "options", "route", "http", "warm", "expected"),
    [
        (SHORT, V3, "auto", True, False, "http"),
        (SHORT, V3, "auto", True, True, "websocket"),  # a warm socket is faster
        (SSML, V3, "auto", True, False, "websocket"),
        (LONG, V3, "auto", True, False, "websocket"),
        (SHORT, V1, "auto", True, False, "websocket"),  # v1 has no HTTP API
        (SHORT, V3, "auto", False, False, "websocket"),  # e.g. Singapore
        (SHORT, V3, "websocket", True, False, "websocket"),
        (SHORT, V3, "http", True, True, "http"),
        (SSML, V3, "http", True, False, "http"),
    ],
)
def test_routing_table(
    text: str,
    options: SynthesisOptions,
    route: RouteChoice,
    http: bool,
    warm: bool,
    expected: str,
) -> None:
    plan = plan_request(text, options)
    settings = RoutingSettings(route=route)
    assert (
        choose_route(plan, settings, http_available=http, warm_connection=warm)
        == expected
    )


def test_threshold_is_configurable() -> None:
    plan = plan_request(LONG, V3)
    settings = RoutingSettings(route="auto", long_text_threshold=1000)
    assert choose_route(plan, settings, http_available=True, warm_connection=False) == (
        "http"
    )


@pytest.mark.parametrize(
    ("text", "options", "http"),
    [(SHORT, V1, True), (SHORT, V3, False), ("字。" * 15_000, V3, True)],
)
def test_forcing_http_where_it_cannot_work(
    text: str, options: SynthesisOptions, http: bool
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        choose_route(
            plan_request(text, options),
            RoutingSettings(route="http"),
            http_available=http,
            warm_connection=False,
        )
    assert caught.value.option == "route"


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidOptionError):
        RoutingSettings(route="carrier-pigeon")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError):
        RoutingSettings(long_text_threshold=-1)
    assert RoutingSettings().route == "websocket"
