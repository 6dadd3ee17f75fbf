"""Temporary file storage: how the official SDK uploads a local file for a request.

``GET /api/v1/uploads?action=getPolicy&model=…`` hands out a signed OSS POST
policy for one upload directory; a multipart ``POST`` to its ``upload_host``
(``/oss`` on the emulator's HTTP port) stores a file under a key in that
directory; ``oss://<key>`` then names the file in a request that sends
``X-DashScope-OssResourceResolve: enable``. Files stay in memory for the
emulator's life and only the API key that got the policy can use them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import BodyPartReader, web

from .config import EmulatorConfig, authorized, bearer_key
from .responses import json_response, oss_error, reject

_LOGGER = logging.getLogger(__name__)

UPLOADS_PATH = "/api/v1/uploads"
OSS_PATH = "/oss"
OSS_SCHEME = "oss://"
RESOLVE_HEADER = "X-DashScope-OssResourceResolve"
POLICY_TTL_S = 300
MAX_FILE_MB = 100
_MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
_DIR_ROOT = "dashscope-instant"
_ACL = "private"
_FORBID_OVERWRITE = "true"
_READ_CHUNK = 1 << 16


class UploadError(Exception):
    """A refused upload: an OSS-style XML error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep what goes on the wire."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _policy_failed(condition: str) -> UploadError:
    return UploadError(
        403,
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {condition}",
    )


@dataclass(frozen=True, slots=True)
class _Policy:
    api_key: str
    upload_dir: str
    expires: float
    """``time.monotonic()`` after which the policy is refused."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One uploaded file."""

    data: bytes
    owner: str
    """The API key whose policy it was uploaded with."""


class UploadStore:
    """Issues upload policies, accepts uploads made with them, resolves ``oss://`` URLs."""

    def __init__(self) -> None:
        """Make this emulator's signing secret and access key id."""
        self._secret = secrets.token_bytes(20)
        self.access_key_id = "LTAI5t" + secrets.token_hex(9)
        self._policies: dict[str, _Policy] = {}
        self.objects: dict[str, StoredObject] = {}
        """Uploaded files by key (``dashscope-instant/…/<name>``)."""

    def sign(self, policy: str) -> str:
        """OSS's POST signature: base64 of HMAC-SHA1(secret, policy)."""
        digest = hmac.new(self._secret, policy.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def issue(self, api_key: str, upload_host: str) -> dict[str, object]:
        """A fresh policy for ``api_key``: the ``data`` of the getPolicy answer."""
        now = datetime.now(UTC)
        account = hashlib.sha256(api_key.encode()).hexdigest()[:32]
        upload_dir = f"{_DIR_ROOT}/{account}/{now:%Y-%m-%d}/{uuid.uuid4()}"
        document = {
            "expiration": (now + timedelta(seconds=POLICY_TTL_S)).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "conditions": [
                ["content-length-range", 0, _MAX_FILE_BYTES],
                ["starts-with", "$key", upload_dir],
                {"x-oss-object-acl": _ACL},
                {"x-oss-forbid-overwrite": _FORBID_OVERWRITE},
            ],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        self._policies[policy] = _Policy(
            api_key, upload_dir, time.monotonic() + POLICY_TTL_S
        )
        return {
            "policy": policy,
            "signature": self.sign(policy),
            "upload_dir": upload_dir,
            "upload_host": upload_host,
            "expire_in_seconds": POLICY_TTL_S,
            "max_file_size_mb": MAX_FILE_MB,
            "capacity_limit_mb": 999_999_999,
            "oss_access_key_id": self.access_key_id,
            "x_oss_object_acl": _ACL,
            "x_oss_forbid_overwrite": _FORBID_OVERWRITE,
        }

    def accept(
        self, fields: dict[str, str], data: bytes | None, size: int | None = None
    ) -> str:
        """Store an upload's file under its ``key``; return the key or raise UploadError.

        ``size`` is the file's true size when ``data`` was dropped for being too large.
        """
        key = fields.get("key", "")
        if not key:
            raise UploadError(400, "InvalidArgument", "The form field key is missing.")
        if fields.get("OSSAccessKeyId") != self.access_key_id:
            raise UploadError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
            )
        policy = fields.get("policy", "")
        if not hmac.compare_digest(fields.get("Signature", ""), self.sign(policy)):
            raise UploadError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature "
                "you provided.",
            )
        issued = self._policies.get(policy)
        if issued is None:
            raise UploadError(403, "AccessDenied", "Invalid Policy: unknown policy.")
        if time.monotonic() > issued.expires:
            raise UploadError(
                403, "AccessDenied", "Invalid according to Policy: Policy expired."
            )
        if not key.startswith(issued.upload_dir + "/") or key.endswith("/"):
            raise _policy_failed(f'["starts-with", "$key", "{issued.upload_dir}"]')
        for name, value in (
            ("x-oss-object-acl", _ACL),
            ("x-oss-forbid-overwrite", _FORBID_OVERWRITE),
        ):
            if fields.get(name) != value:
                raise _policy_failed(f'["eq", "${name}", "{value}"]')
        if data is None:
            raise UploadError(400, "InvalidArgument", "The form field file is missing.")
        if (len(data) if size is None else size) > _MAX_FILE_BYTES:
            raise UploadError(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size.",
            )
        if key in self.objects:
            raise UploadError(
                409,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
            )
        self.objects[key] = StoredObject(data, issued.api_key)
        return key

    def resolve(self, url: str, api_key: str) -> bytes | None:
        """The file an ``oss://<key>`` URL names, if ``api_key`` uploaded it."""
        stored = self.objects.get(url.removeprefix(OSS_SCHEME))
        if not url.startswith(OSS_SCHEME) or stored is None or stored.owner != api_key:
            return None
        return stored.data


class UploadApi:
    """The HTTP handlers: getPolicy (JSON, needs the key) and the OSS form POST (XML)."""

    def __init__(
        self, config: EmulatorConfig, store: UploadStore, origin: Callable[[], str]
    ) -> None:
        """``origin()`` gives ``http://HOST:PORT`` once the server listens."""
        self._config = config
        self._store = store
        self._origin = origin

    async def get_policy(self, request: web.Request) -> web.Response:
        """``GET /api/v1/uploads?action=getPolicy&model=…``."""
        request_id = str(uuid.uuid4())
        header = request.headers.get("Authorization")
        if not authorized(header, self._config.api_keys):
            return reject(request_id, 401, "InvalidApiKey")
        action = request.query.get("action")
        if action != "getPolicy":
            return reject(
                request_id, 400, "InvalidParameter", f"Unsupported action: {action}."
            )
        if not request.query.get("model"):
            return reject(
                request_id,
                400,
                "InvalidParameter",
                "Missing required parameter 'model'.",
            )
        api_key = bearer_key(header)
        assert api_key is not None
        data = self._store.issue(api_key, f"{self._origin()}{OSS_PATH}")
        return json_response(200, {"request_id": request_id, "data": data}, request_id)

    async def receive(self, request: web.Request) -> web.Response:
        """``POST /oss``: a multipart form whose last field is the file."""
        if request.content_type != "multipart/form-data":
            await request.read()
            return oss_error(
                400,
                "InvalidArgument",
                "The body of your POST request is not well-formed multipart/form-data.",
            )
        fields: dict[str, str] = {}
        data: bytes | None = None
        size = 0
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                await part.release()
                continue
            if part.name == "file":
                data, size = await _read_capped(part)
                break  # OSS ignores the fields after the file.
            fields[part.name or ""] = (await part.read()).decode(errors="replace")
        await reader.release()
        try:
            key = self._store.accept(fields, data, size)
        except UploadError as exc:
            return oss_error(exc.status, exc.code, exc.message)
        _LOGGER.info("upload stored: %s (%d bytes)", key, size)
        status = 200 if fields.get("success_action_status") == "200" else 204
        return web.Response(status=status)


async def _read_capped(part: BodyPartReader) -> tuple[bytes, int]:
    """The part's bytes and size; past the size limit the bytes are read and dropped."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_READ_CHUNK):
        size += len(chunk)
        if size <= _MAX_FILE_BYTES:
            chunks.append(chunk)
    return b"".join(chunks) if size <= _MAX_FILE_BYTES else b"", size
