"""Actions that look inside Home Assistant for the soak test (``scripts/soak``).

- ``soak_probe.tasks`` (``path``, default ``custom_components/cosyvoice/``): every
  asyncio task running code from a file under that path, in its coroutine or any one
  it awaits. After the CosyVoice entry is unloaded, there must be none.
- ``soak_probe.memory``: the audio Home Assistant's TTS manager holds in memory, in
  its memory cache and in the streams it keeps by token (Home Assistant 2025.4 keeps
  every stream, and so its audio, for good; later releases drop them with the cache);
  how many objects of CosyVoice's classes are alive (after a garbage collection with
  ``collect: true``); and the interpreter's allocated blocks. With
  ``drop_tts_results: true`` it first empties Home Assistant's TTS memory cache and
  streams, so what stays alive after an unload is ours to answer for. The soak sets these beside the process's memory to tell growth that is ours
  from Home Assistant's.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections import Counter
from collections.abc import Iterator
from types import CodeType
from typing import Any

import voluptuous as vol
from homeassistant.components.tts.const import DATA_TTS_MANAGER
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.json import JsonValueType

DOMAIN = "soak_probe"
DEFAULT_PATH = "custom_components/cosyvoice/"
OUR_MODULE = "custom_components.cosyvoice"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the action."""

    async def tasks(call: ServiceCall) -> ServiceResponse:
        path = call.data["path"]
        found: list[JsonValueType] = [
            {"name": task.get_name(), "coroutine": _coroutine_name(task)}
            for task in asyncio.all_tasks()
            if task is not asyncio.current_task() and _runs_code_from(task, path)
        ]
        return {"tasks": found, "all_tasks": len(asyncio.all_tasks())}

    async def memory(call: ServiceCall) -> ServiceResponse:
        manager = hass.data[DATA_TTS_MANAGER]
        if call.data["drop_tts_results"]:
            # What Home Assistant would let go of in minutes (2025.4: never): the
            # audio, and failed messages whose tracebacks hold our request's frames.
            manager.mem_cache.clear()
            manager.token_to_stream.clear()
        if call.data["collect"]:
            gc.collect()
        caches = _held_results(manager)
        ours = Counter(
            type(obj).__qualname__
            for obj in gc.get_objects()
            if _is_ours(getattr(type(obj), "__module__", None))
        )
        return {
            "streams": len(manager.token_to_stream),
            "memory_cache": len(manager.mem_cache),
            "audio_bytes": sum(_audio_bytes(cache) for cache in caches.values()),
            "our_objects": sum(ours.values()),
            "our_objects_by_type": dict(ours.most_common(10)),
            "allocated_blocks": sys.getallocatedblocks(),
        }

    hass.services.async_register(
        DOMAIN,
        "tasks",
        tasks,
        schema=vol.Schema({vol.Optional("path", default=DEFAULT_PATH): str}),
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        "memory",
        memory,
        schema=vol.Schema(
            {
                vol.Optional("collect", default=False): bool,
                vol.Optional("drop_tts_results", default=False): bool,
            }
        ),
        supports_response=SupportsResponse.ONLY,
    )
    return True


def _held_results(manager: Any) -> dict[int, Any]:
    """Every TTS result Home Assistant holds: in its cache or behind a stream."""
    caches = {id(cache): cache for cache in manager.mem_cache.values()}
    for stream in manager.token_to_stream.values():
        future = vars(stream).get("_result_cache")  # set once a message is given
        if future is not None and future.done() and not future.exception():
            cache = future.result()
            caches[id(cache)] = cache
    return caches


def _is_ours(module: object) -> bool:
    # A class's __module__ is text; on some built-in types it is a descriptor.
    return isinstance(module, str) and module.startswith(OUR_MODULE)


def _audio_bytes(cache: object) -> int:
    """The audio a TTS cache holds: all of it, or what came before it failed."""
    if (data := getattr(cache, "_result_data", None)) is not None:
        return len(data)
    return sum(len(chunk) for chunk in getattr(cache, "_partial_data", None) or ())


def _coroutine_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    return str(getattr(coro, "__qualname__", coro))


def _runs_code_from(task: asyncio.Task[Any], path: str) -> bool:
    return any(path in code.co_filename for code in _awaited_code(task.get_coro()))


def _awaited_code(awaitable: object) -> Iterator[CodeType]:
    """The code of the task's coroutine and of each one it awaits, down the chain.

    A suspended task's stack shows only its outermost coroutine; the code that holds a
    connection open may be several awaits deeper.
    """
    while awaitable is not None:
        for attribute in ("cr_code", "ag_code", "gi_code"):
            if isinstance(code := getattr(awaitable, attribute, None), CodeType):
                yield code
        awaitable = next(
            (
                inner
                for attribute in ("cr_await", "ag_await", "gi_yieldfrom")
                if (inner := getattr(awaitable, attribute, None)) is not None
            ),
            None,
        )
