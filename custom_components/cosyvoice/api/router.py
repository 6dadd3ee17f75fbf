"""The smart router: which API speaks a request, WebSocket or HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import InvalidOptionError
from .models import MODELS
from .options import Route
from .planning import RequestPlan

RouteChoice = Literal["auto", "websocket", "http"]
ROUTE_CHOICES: tuple[RouteChoice, ...] = ("auto", "websocket", "http")


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    """How requests are routed."""

    route: RouteChoice = "websocket"
    """Measured (``scripts/bench-router``): a warm pooled WebSocket is the fastest
    path for short text and a cold one ties the HTTP API's SSE mode, so the
    WebSocket, which keeps the pool warm, is the default."""
    long_text_threshold: int = 500
    """Billed characters above which text always goes over the WebSocket."""

    def __post_init__(self) -> None:
        """Refuse unknown routes and thresholds below zero."""
        if self.route not in ROUTE_CHOICES:
            raise InvalidOptionError(
                "route", f"route must be one of {', '.join(ROUTE_CHOICES)}"
            )
        if self.long_text_threshold < 0:
            raise InvalidOptionError("long_text_threshold", "must be 0 or more")


def http_serves(model: str, *, endpoint_has_http: bool) -> bool:
    """Whether the HTTP API speaks ``model`` at an endpoint.

    Not every model has it, and not every endpoint (International has none).
    """
    info = MODELS.get(model)
    return endpoint_has_http and info is not None and info.http


def choose_route(
    plan: RequestPlan,
    settings: RoutingSettings,
    *,
    http_available: bool,
    warm_connection: bool,
) -> Route:
    """Pick the API for one request.

    SSML, long text, and models or regions without the HTTP API go over the
    WebSocket; so does short text when a warm connection is idle, since it then
    skips every handshake. Otherwise short text takes the HTTP API.
    """
    http_possible = http_serves(plan.options.model, endpoint_has_http=http_available)
    if settings.route == "http":
        if not http_possible:
            raise InvalidOptionError(
                "route",
                f"the HTTP API does not serve {plan.options.model} at this endpoint",
            )
        if len(plan.tasks) > 1 or len(plan.tasks[0]) > 1:
            raise InvalidOptionError("route", "text this long needs the WebSocket API")
        return "http"
    if settings.route == "websocket" or plan.ssml or not http_possible:
        return "websocket"
    if plan.length > settings.long_text_threshold or warm_connection:
        return "websocket"
    return "http"
