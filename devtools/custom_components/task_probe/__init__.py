"""An action that lists the asyncio tasks running an integration's code.

For the soak test (``scripts/soak``): after the CosyVoice entry is unloaded, none of
its tasks may be left. ``task_probe.tasks`` with ``path`` (default
``custom_components/cosyvoice/``) answers with every task whose coroutine or any
frame of its stack comes from a file under that path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import CodeType
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.json import JsonValueType

DOMAIN = "task_probe"
DEFAULT_PATH = "custom_components/cosyvoice/"


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

    hass.services.async_register(
        DOMAIN,
        "tasks",
        tasks,
        schema=vol.Schema({vol.Optional("path", default=DEFAULT_PATH): str}),
        supports_response=SupportsResponse.ONLY,
    )
    return True


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
