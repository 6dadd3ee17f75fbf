"""How the client identifies itself: the API key, checked for shape, and its user agent."""

from __future__ import annotations

import platform

import aiohttp

from .errors import InvalidOptionError

VERSION = "0.3.0"


def checked_api_key(api_key: str) -> str:
    """The key without surrounding blanks; refused (never quoted) when malformed."""
    key = api_key.strip()
    if not key:
        raise InvalidOptionError("api_key", "the API key is empty")
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise InvalidOptionError(
            "api_key", "the API key contains characters an API key cannot have"
        )
    return key


def user_agent() -> str:
    """What the client tells DashScope it is."""
    return (
        f"ha-cosyvoice/{VERSION} aiohttp/{aiohttp.__version__} "
        f"python/{platform.python_version()}"
    )
