r"""The agent: answers with the text it was asked to say, a few characters at a time.

The request is ``say: <answer>`` (``\n`` in it is a line break, so a one-line text box
can ask for Markdown); anything else is answered as a language model answers a home,
in Markdown (:data:`ANSWER`). Each delta comes after ``DELAY`` seconds, like tokens
from a language model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddEntitiesCallback

DELAY = 0.03
CHARS_PER_DELTA = 3
ANSWER = """## Tonight 🌧️

**Rain** is expected after *9 pm*, so:

1. Close the `cover.living_room` blinds.
2. Bring the bins in.

| Room | Temp |
|---|---|
| Kitchen | 21 °C |

See [the forecast](https://weather.example.com/today) for more. 今晚**有雨**，记得关窗。"""
"""What an LLM writes: Markdown, a table, a link, an emoji; the voice says words."""


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the one agent entity."""
    async_add_entities([StreamingAgent(entry)])


class StreamingAgent(conversation.ConversationEntity):
    """Writes its answer into the chat log as a stream."""

    _attr_name = "Streaming agent"
    _attr_supports_streaming = True

    def __init__(self, entry: ConfigEntry) -> None:
        """One agent per entry."""
        self._attr_unique_id = entry.entry_id

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language: it only repeats what it was given."""
        return MATCH_ALL

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: Any
    ) -> conversation.ConversationResult:
        text = user_input.text.strip()
        if text.startswith("say:"):
            answer = text.removeprefix("say:").strip().replace("\\n", "\n") or "好的。"
        else:
            answer = ANSWER
        async for _ in chat_log.async_add_delta_content_stream(
            self.entity_id, _deltas(answer)
        ):
            pass
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(answer)
        return conversation.ConversationResult(
            response=response, conversation_id=chat_log.conversation_id
        )


async def _deltas(answer: str) -> AsyncIterator[dict[str, str]]:
    yield {"role": "assistant"}
    for start in range(0, len(answer), CHARS_PER_DELTA):
        await asyncio.sleep(DELAY)
        yield {"content": answer[start : start + CHARS_PER_DELTA]}
