"""Where DashScope lives: the regional presets and custom (self-hosted) endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InvalidOptionError

REGION_CN = "cn"
REGION_INTL = "intl"
REGION_CUSTOM = "custom"

WS_PATH = "/api-ws/v1/inference"
HTTP_TTS_PATH = "/services/audio/tts/SpeechSynthesizer"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The WebSocket URL, the HTTP API base URL and the optional workspace."""

    region: str
    ws_url: str
    http_url: str | None
    """Base of the HTTP API including ``/api/v1``; None where there is no HTTP TTS."""
    workspace_id: str | None = None

    @classmethod
    def for_region(cls, region: str, workspace_id: str | None = None) -> Endpoint:
        """One of the Alibaba Cloud regions that serve CosyVoice."""
        try:
            ws_url, http_url = _PRESETS[region]
        except KeyError:
            raise InvalidOptionError(
                "region", f"unknown region {region!r}; use one of {sorted(_PRESETS)}"
            ) from None
        return cls(region, ws_url, http_url, workspace_id or None)

    @classmethod
    def custom(
        cls, ws_url: str, http_url: str | None = None, workspace_id: str | None = None
    ) -> Endpoint:
        """A self-hosted or proxied DashScope-compatible server."""
        _check_url("ws_url", ws_url, ("ws", "wss"))
        if http_url:
            _check_url("http_url", http_url, ("http", "https"))
        return cls(REGION_CUSTOM, ws_url, http_url or None, workspace_id or None)

    @property
    def api_url(self) -> str | None:
        """Base of the HTTP API for everything but speech (voices, uploads).

        Both regions have it, though only Beijing speaks over HTTP; a custom
        endpoint has it where it has an HTTP URL.
        """
        if self.http_url or self.region == REGION_CUSTOM:
            return self.http_url
        return f"https://{self.host}/api/v1"

    @property
    def host(self) -> str:
        """Host of the WebSocket URL, for messages and diagnostics."""
        return urlsplit(self.ws_url).netloc


_PRESETS: dict[str, tuple[str, str | None]] = {
    REGION_CN: (
        f"wss://dashscope.aliyuncs.com{WS_PATH}",
        "https://dashscope.aliyuncs.com/api/v1",
    ),
    # The HTTP TTS API is documented for Beijing only.
    REGION_INTL: (f"wss://dashscope-intl.aliyuncs.com{WS_PATH}", None),
}


def _check_url(option: str, url: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise InvalidOptionError(
            option, f"{option} must be a {' or '.join(schemes)} URL with a host"
        )
