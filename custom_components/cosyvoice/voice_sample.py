"""Where a voice sample to clone comes from: a public URL, local media, or a file.

Only what Home Assistant already lets out is read: an item of a local media folder
(``media-source://media_source/<folder>/<path>``), or a file in a folder of
``allowlist_external_dirs`` (:meth:`Config.is_allowed_path`). Any other path, such
as ``secrets.yaml``, is refused before it is opened. A public URL goes to the
service as it is; local bytes go to the account's own region only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .api import MAX_SAMPLE_BYTES, InvalidVoiceSampleError
from .const import DOMAIN

LOCAL_MEDIA_PREFIX: Final = "media-source://media_source/"


@dataclass(frozen=True, slots=True)
class SampleSource:
    """A sample the service fetches itself (``url``), or its bytes (``data``)."""

    url: str | None = None
    data: bytes | None = None


async def async_sample_source(hass: HomeAssistant, sample: Any) -> SampleSource:
    """Read the ``sample`` field of the clone action (text, or a media selector's dict)."""
    if isinstance(sample, dict):
        sample = sample.get("media_content_id", "")
    value = str(sample or "").strip()
    if value.startswith(("http://", "https://")):
        return SampleSource(url=value)
    if value.startswith(LOCAL_MEDIA_PREFIX):
        path = _local_media_path(hass, value.removeprefix(LOCAL_MEDIA_PREFIX))
    elif value.startswith("media-source://"):
        raise _refused("sample_source_unsupported", value)
    elif value.startswith("/") and hass.config.is_allowed_path(value):
        path = Path(value)
    else:
        raise _refused("sample_not_allowed", value)
    data = await hass.async_add_executor_job(_read, path)
    if data is None:
        raise _refused("sample_not_found", value)
    return SampleSource(data=data)


def _local_media_path(hass: HomeAssistant, identifier: str) -> Path:
    folder, _, location = identifier.partition("/")
    root = hass.config.media_dirs.get(folder)
    if root is None or not location:
        raise _refused("sample_not_found", LOCAL_MEDIA_PREFIX + identifier)
    base = Path(root).resolve()
    path = (base / location).resolve()
    if not path.is_relative_to(base):
        raise _refused("sample_not_allowed", LOCAL_MEDIA_PREFIX + identifier)
    return path


def _read(path: Path) -> bytes | None:
    """The file's bytes (at most one over the limit), or None if it is not a file."""
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_SAMPLE_BYTES:
        raise InvalidVoiceSampleError(
            f"{path.name} is larger than 10 MB, the most cloning accepts"
        )
    return path.read_bytes()


def _refused(key: str, sample: str) -> ServiceValidationError:
    return ServiceValidationError(
        f"Cannot use {sample} as a voice sample",
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"sample": sample},
    )
