"""The spare voice in a real Home Assistant, as a CosyVoice profile's fallback.

Shared by ``scripts/develop``, the soak and the fallback bench: link
:data:`SPARE_VOICE` with the other development components, then
:func:`add_spare_voice` and :func:`set_fallback`, both over the APIs the UI uses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from devtools.hass_runner import ROOT, HassApi
from devtools.hass_socket import HassSocket

SPARE_VOICE = ROOT / "devtools" / "custom_components" / "spare_voice"
SPARE_ENTITY = "tts.spare_voice"


async def add_spare_voice(api: HassApi) -> bool:
    """Add the spare voice (one step, no questions) unless it is there; True if added."""
    if await api.entries("spare_voice"):
        return False
    result = await api.add_entry("spare_voice", {})
    if result.get("type") != "create_entry":
        raise RuntimeError(f"the spare voice was not added: {result}")
    await api.wait_for_entity(SPARE_ENTITY)
    return True


async def profile_ids(socket: HassSocket, entry_id: str) -> dict[str, str]:
    """The entry's voice profiles: their titles and subentry ids, oldest first."""
    subentries = await socket.command(
        "config_entries/subentries/list", entry_id=entry_id
    )
    return {
        str(item["title"]): str(item["subentry_id"])
        for item in subentries
        if item.get("subentry_type") == "tts"
    }


async def set_fallback(
    api: HassApi,
    entry_id: str,
    subentry_id: str,
    engine: str = SPARE_ENTITY,
    after: float | None = None,
) -> dict[str, Any]:
    """Give a profile a fallback through its *Reconfigure* form, as a user does.

    Every other setting keeps what the form suggests (the profile's own values);
    the voice page is confirmed as it stands. The result: an abort,
    ``reconfigure_successful``, and the entry reloads.
    """
    changes: dict[str, Any] = {"fallback_engine": engine}
    if after is not None:
        changes["fallback_after"] = after
    return await api.reconfigure_subentry(entry_id, "tts", subentry_id, changes)


async def wait_reloaded(api: HassApi, domain: str = "cosyvoice") -> None:
    """Until the integration's entries are loaded again after a change reloaded them.

    The reload is scheduled, not done, when the form answers: a moment first.
    """
    await asyncio.sleep(0.5)
    async with asyncio.timeout(30.0):
        while True:
            if all(e["state"] == "loaded" for e in await api.entries(domain)):
                return
            await asyncio.sleep(0.25)


async def spoken_by_spare(api: HassApi) -> dict[str, Any]:
    """What the spare voice was asked to say (``spare_voice.spoken``)."""
    answer = await api.call("spare_voice", "spoken", {}, return_response=True)
    response: dict[str, Any] = answer.get("service_response", answer)
    return response
