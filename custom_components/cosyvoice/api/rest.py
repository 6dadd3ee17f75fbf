"""One request to DashScope's JSON HTTP API, its failures as typed errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from .errors import CannotConnectError, CosyVoiceError, ProtocolError, error_from_code
from .protocol import AUTHORIZATION_HEADER, WORKSPACE_HEADER


def api_headers(
    api_key: str, workspace_id: str | None, user_agent: str
) -> dict[str, str]:
    """The headers every call to the HTTP API carries."""
    headers = {
        AUTHORIZATION_HEADER: f"Bearer {api_key}",
        "Content-Type": "application/json",
        "User-Agent": user_agent,
    }
    if workspace_id:
        headers[WORKSPACE_HEADER] = workspace_id
    return headers


class Post:
    """POST as an async context manager whose failures are typed errors."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        data: bytes,
        timeout: float,
    ) -> None:
        """Nothing is sent before the block is entered."""
        self._session = session
        self._url = url
        self._headers = headers
        self._data = data
        self._timeout = timeout
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        """Send the request and wait for the status line."""
        try:
            async with asyncio.timeout(self._timeout):
                self._response = await self._session.post(
                    self._url, data=self._data, headers=self._headers
                )
        except TimeoutError:
            raise CannotConnectError(
                f"timed out after {self._timeout:g} s waiting for DashScope's HTTP API"
            ) from None
        except aiohttp.ClientError as err:
            raise CannotConnectError(
                f"cannot reach DashScope's HTTP API: {err}"
            ) from None
        return self._response

    async def __aexit__(self, *exc_info: object) -> None:
        """Give the connection back."""
        if self._response is not None:
            self._response.release()


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    timeout: float,
) -> dict[str, Any]:
    """POST ``body`` as JSON; the answer's JSON object, or its error raised."""
    data = json.dumps(body, ensure_ascii=False).encode()
    async with Post(session, url, headers, data, timeout) as resp:
        await raise_for_status(resp)
        payload = json_object(await _read(resp, timeout))
    if payload.get("code"):
        raise error_from_body(payload, resp.status)
    return payload


async def raise_for_status(resp: aiohttp.ClientResponse) -> None:
    """Raise the typed error an HTTP error answer describes."""
    if resp.status < 300:
        return
    try:
        payload = json_object(await resp.read())
    except (ProtocolError, aiohttp.ClientError):
        payload = {}
    raise error_from_body(payload, resp.status)


def error_from_body(payload: dict[str, Any], status: int | None) -> CosyVoiceError:
    """The typed error of a DashScope error body (``code``, ``message``)."""
    code = payload.get("code")
    message = payload.get("message")
    request_id = payload.get("request_id")
    return error_from_code(
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
        status=status,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def json_object(raw: bytes | str) -> dict[str, Any]:
    """``raw`` parsed as a JSON object."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
        raise ProtocolError("DashScope answered something that is not JSON") from None
    if not isinstance(value, dict):
        raise ProtocolError("DashScope answered JSON that is not an object")
    return value


async def _read(resp: aiohttp.ClientResponse, timeout: float) -> bytes:
    try:
        async with asyncio.timeout(timeout):
            return await resp.read()
    except TimeoutError:
        raise CannotConnectError(
            f"timed out after {timeout:g} s reading DashScope's answer"
        ) from None
    except aiohttp.ClientError as err:
        raise CannotConnectError(f"DashScope's answer was cut off: {err}") from None
