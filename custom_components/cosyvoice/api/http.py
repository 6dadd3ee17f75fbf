"""The CosyVoice HTTP API: one POST per text, audio as a URL or as SSE chunks.

The short-text path of the router: no WebSocket handshake and no task protocol.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from .endpoints import HTTP_TTS_PATH, Endpoint
from .errors import (
    CannotConnectError,
    InvalidOptionError,
    ProtocolError,
    ServiceUnavailableError,
    SynthesisTimeoutError,
)
from .options import SynthesisOptions, wire_parameters
from .rest import Post, api_headers, error_from_body, json_object, raise_for_status

SSE_HEADER = "X-DashScope-SSE"


class HttpResponse:
    """What the HTTP API reported besides the audio."""

    def __init__(self) -> None:
        """Nothing known yet."""
        self.characters: int | None = None
        self.request_id: str | None = None


def request_body(text: str, options: SynthesisOptions) -> dict[str, Any]:
    """The POST body: every option inside ``input``, as the official example does."""
    return {
        "model": options.model,
        "input": {"text": text, **wire_parameters(options, "http")},
    }


class HttpSynthesizer:
    """Speaks text through the HTTP API on a borrowed aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: Endpoint,
        *,
        timeout: float,
        user_agent: str,
    ) -> None:
        """Keep what every request needs."""
        if endpoint.http_url is None:
            raise InvalidOptionError(
                "route", f"there is no HTTP API for the {endpoint.region} endpoint"
            )
        self._session = session
        self._api_key = api_key
        self._url = endpoint.http_url.rstrip("/") + HTTP_TTS_PATH
        self._workspace = endpoint.workspace_id
        self._timeout = timeout
        self._user_agent = user_agent

    async def stream(
        self, text: str, options: SynthesisOptions, response: HttpResponse
    ) -> AsyncIterator[bytes]:
        """Audio chunks from the SSE mode, as they arrive."""
        async with self._post(text, options, sse=True) as resp:
            await raise_for_status(resp)
            async for event, data in _sse_events(resp, self._timeout):
                payload = json_object(data)
                if event == "error":
                    raise error_from_body(payload, None)
                _note_usage(payload, response)
                if chunk := _audio_chunk(payload):
                    yield chunk

    async def download(
        self, text: str, options: SynthesisOptions, response: HttpResponse
    ) -> bytes:
        """The whole audio: the non-streaming mode answers a URL to fetch."""
        async with self._post(text, options, sse=False) as resp:
            await raise_for_status(resp)
            payload = json_object(await resp.read())
        if payload.get("code"):
            raise error_from_body(payload, resp.status)
        _note_usage(payload, response)
        url = _audio(payload).get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ProtocolError("DashScope answered no audio URL")
        # The URL is a signed object-storage link: it must not get our API key.
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.get(url) as audio:
                    if audio.status != 200:
                        raise ServiceUnavailableError(
                            f"could not download the audio (HTTP {audio.status})",
                            request_id=response.request_id,
                        )
                    return await audio.read()
        except TimeoutError:
            raise SynthesisTimeoutError("timed out downloading the audio") from None
        except aiohttp.ClientError as err:
            raise CannotConnectError(f"could not download the audio: {err}") from None

    def _post(self, text: str, options: SynthesisOptions, *, sse: bool) -> Post:
        headers = api_headers(self._api_key, self._workspace, self._user_agent)
        if sse:
            headers[SSE_HEADER] = "enable"
        data = json.dumps(request_body(text, options), ensure_ascii=False)
        return Post(self._session, self._url, headers, data.encode(), self._timeout)


def _audio(payload: dict[str, Any]) -> dict[str, Any]:
    """The answer's ``output.audio`` object; empty where the answer has none."""
    output = payload.get("output")
    audio = output.get("audio") if isinstance(output, dict) else None
    return audio if isinstance(audio, dict) else {}


def _audio_chunk(payload: dict[str, Any]) -> bytes:
    """The audio one SSE event carries (base64 in ``output.audio.data``), or none."""
    data = _audio(payload).get("data")
    if not data:
        return b""
    if not isinstance(data, str):
        raise ProtocolError("bad base64 audio from DashScope")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("bad base64 audio from DashScope") from None


def _note_usage(payload: dict[str, Any], response: HttpResponse) -> None:
    request_id = payload.get("request_id")
    if request_id and isinstance(request_id, str):
        response.request_id = request_id
    usage = payload.get("usage")
    characters = usage.get("characters") if isinstance(usage, dict) else None
    if isinstance(characters, int) and not isinstance(characters, bool):  # JSON false
        response.characters = characters


async def _sse_events(
    resp: aiohttp.ClientResponse, timeout: float
) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of a DashScope server-sent-event stream."""
    event = "message"
    data: list[str] = []
    while True:
        try:
            async with asyncio.timeout(timeout):
                raw = await resp.content.readline()
        except TimeoutError:
            raise SynthesisTimeoutError(
                f"no answer from DashScope's HTTP API for {timeout:g} s"
            ) from None
        if not raw:
            if data:
                yield event, "\n".join(data)
            return
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise ProtocolError("DashScope sent an event that is not UTF-8") from None
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("data:"):
            data.append(line[5:])
        elif line.startswith("event:"):
            event = line[6:].strip()
        # id: and comment lines (":HTTP_STATUS/200") carry nothing we need.
