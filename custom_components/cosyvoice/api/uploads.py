"""DashScope's temporary storage: how a sample recorded at home reaches the service.

The service fetches a clone's sample from a URL, and a home's recording has none.
The official SDK uploads local files the same way: ask for an upload policy, post
the file to the storage host it names, and pass ``oss://<key>`` with the header
``X-DashScope-OssResourceResolve: enable``. Files expire after 48 hours. Whether
voice enrollment resolves ``oss://`` URLs is not documented (protocol doc §6.2).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Final

import aiohttp

from .errors import CannotConnectError, ProtocolError, ServiceUnavailableError
from .rest import json_object, raise_for_status

UPLOADS_PATH: Final = "/uploads"
OSS_RESOLVE_HEADER: Final = "X-DashScope-OssResourceResolve"

_POLICY_FIELDS: Final = (
    "policy",
    "signature",
    "upload_dir",
    "upload_host",
    "oss_access_key_id",
)


async def upload_file(
    session: aiohttp.ClientSession,
    api_url: str,
    headers: dict[str, str],
    *,
    data: bytes,
    extension: str,
    content_type: str,
    model: str,
    timeout: float,
) -> str:
    """Upload ``data`` to the account's temporary storage; its ``oss://`` URL."""
    policy = await _policy(session, api_url, headers, model, timeout)
    key = f"{policy['upload_dir']}/{uuid.uuid4().hex}.{extension}"
    form = aiohttp.FormData()
    form.add_field("OSSAccessKeyId", policy["oss_access_key_id"])
    form.add_field("Signature", policy["signature"])
    form.add_field("policy", policy["policy"])
    form.add_field("key", key)
    form.add_field("x-oss-object-acl", str(policy.get("x_oss_object_acl", "private")))
    form.add_field(
        "x-oss-forbid-overwrite", str(policy.get("x_oss_forbid_overwrite", "true"))
    )
    form.add_field("success_action_status", "200")
    form.add_field(
        "file", data, filename=key.rsplit("/", 1)[-1], content_type=content_type
    )
    try:
        async with asyncio.timeout(timeout):
            # The storage host gets the signed policy, never our API key.
            async with session.post(policy["upload_host"], data=form) as resp:
                if resp.status >= 300:
                    raise ServiceUnavailableError(
                        f"DashScope's storage refused the sample (HTTP {resp.status})"
                    )
    except TimeoutError:
        raise CannotConnectError("timed out uploading the sample") from None
    except aiohttp.ClientError as err:
        raise CannotConnectError(f"could not upload the sample: {err}") from None
    return f"oss://{key}"


async def _policy(
    session: aiohttp.ClientSession,
    api_url: str,
    headers: dict[str, str],
    model: str,
    timeout: float,
) -> dict[str, Any]:
    try:
        async with asyncio.timeout(timeout):
            async with session.get(
                api_url + UPLOADS_PATH,
                params={"action": "getPolicy", "model": model},
                headers=headers,
            ) as resp:
                await raise_for_status(resp)
                payload = json_object(await resp.read())
    except TimeoutError:
        raise CannotConnectError("timed out asking for an upload policy") from None
    except aiohttp.ClientError as err:
        raise CannotConnectError(f"could not ask for an upload policy: {err}") from None
    policy = payload.get("data")
    if not isinstance(policy, dict) or not all(
        isinstance(policy.get(name), str) for name in _POLICY_FIELDS
    ):
        raise ProtocolError("DashScope answered an upload policy without its fields")
    return policy
