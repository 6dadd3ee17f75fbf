"""The README's YAML examples: actions, automations and scripts, as a user pastes them.

Each fenced ```` ```yaml ```` block is one example. An action (``action:``) is pasted into
Developer tools → Actions, an automation (``triggers:``) into the automation editor, a
script (``sequence:``) into the script editor; anything else is an error here, so a new
kind of example gets a way to be tested before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_KINDS = {"action": "action", "triggers": "automation", "sequence": "script"}
# Entity ids in a string: a domain of an entity platform, a dot, an object id (not
# an attribute: ``trigger.event.data``).
_ENTITY_ID = re.compile(
    r"(?<![\w.])((?:tts|media_player|sensor|binary_sensor|input_boolean|switch|light"
    r"|notify|conversation|stt|button|select|number|event|automation|script)"
    r"\.[a-z0-9_]+)\b"
)


@dataclass(frozen=True)
class Example:
    """One fenced YAML block of the README."""

    line: int
    title: str
    """Its first comment line, which says what it is for."""
    kind: str
    config: dict[str, Any]

    def __str__(self) -> str:
        """How a failure names it: where it is and what it is for."""
        return f"README.md:{self.line} {self.title!r}"


def examples(text: str | None = None) -> list[Example]:
    """Every YAML example of the README (or of ``text``), in order.

    An ``automation:`` block (``configuration.yaml``'s form) gives one example per
    automation it holds.
    """
    text = README.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in _BLOCK.finditer(text):
        source = match.group(1)
        line = text.count("\n", 0, match.start()) + 2
        title = next(
            (ln.lstrip("# ") for ln in source.splitlines() if ln.startswith("#")),
            "",
        )
        config = yaml.safe_load(source)
        if isinstance(config, dict) and isinstance(config.get("automation"), list):
            found += [
                Example(line, title, "automation", item)
                for item in config["automation"]
            ]
            continue
        kinds = [kind for key, kind in _KINDS.items() if key in (config or {})]
        if not isinstance(config, dict) or len(kinds) != 1:
            raise ValueError(f"README.md:{line}: not one action, automation or script")
        found.append(Example(line, title, kinds[0], config))
    return found


def actions(config: Any) -> Iterator[dict[str, Any]]:
    """The actions an example performs: itself, or its automation's or script's."""
    if isinstance(config, list):
        for item in config:
            yield from actions(item)
    elif isinstance(config, dict):
        if "action" in config:
            yield config
        for key in ("actions", "sequence", "then", "else", "default"):
            yield from actions(config.get(key))


def entity_ids(config: Any) -> set[str]:
    """Every entity id an example names: targets, triggers and inside templates.

    Action names (``tts.speak``) are not entities: the value of ``action:`` is skipped.
    """
    if isinstance(config, dict):
        return set().union(
            *(entity_ids(value) for key, value in config.items() if key != "action")
        )
    if isinstance(config, list):
        return set().union(*(entity_ids(item) for item in config))
    if isinstance(config, str):
        return set(_ENTITY_ID.findall(config))
    return set()
