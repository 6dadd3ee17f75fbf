"""HTTP answers shared by the HTTP side's endpoints: JSON bodies, §5 errors, OSS XML errors."""

from __future__ import annotations

import json
import logging
import uuid
from xml.sax.saxutils import escape

from aiohttp import web

from . import events
from .config import handshake_message

_LOGGER = logging.getLogger(__name__)

_OSS_MESSAGES = {
    "AccessDenied": "Request has expired.",
    "NoSuchKey": "The specified key does not exist.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Please reduce your request rate.",
}


class StoppingError(Exception):
    """The emulator is stopping: end the request now."""


def json_response(status: int, body: events.Event, request_id: str) -> web.Response:
    """A JSON answer carrying ``x-request-id``."""
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/json",
        headers={"x-request-id": request_id},
    )


def reject(
    request_id: str, status: int, code: str, message: str | None = None
) -> web.Response:
    """A non-2xx answer with the gateway's JSON error body (doc §5.1)."""
    _LOGGER.info("http request %s rejected: %d %s", request_id, status, code)
    body = events.gateway_error(request_id, code, message or handshake_message(code))
    return json_response(status, body, request_id)


def oss_error(status: int, code: str, message: str | None = None) -> web.Response:
    """What an OSS bucket answers to a refused request: an XML error document."""
    text = message or _OSS_MESSAGES.get(code, f"Request failed: {code}.")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error>\n  <Code>{escape(code)}</Code>\n"
        f"  <Message>{escape(text)}</Message>\n"
        f"  <RequestId>{uuid.uuid4().hex.upper()[:24]}</RequestId>\n</Error>\n"
    )
    _LOGGER.info("OSS request rejected: %d %s", status, code)
    return web.Response(
        status=status, body=body.encode(), content_type="application/xml"
    )
