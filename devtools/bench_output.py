"""How every benchmark script hands over its figures: one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any


def emit(result: dict[str, Any], out: Path | None) -> None:
    """Print the figures; with ``out``, also write them there."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def bench_main(
    argv: list[str] | None,
    doc: str,
    rounds: int,
    run: Callable[[int], Coroutine[Any, Any, dict[str, Any]]],
    after: Callable[[dict[str, Any], Path | None], None] | None = None,
) -> int:
    """The command line every benchmark shares: ``[--rounds N] [--out FILE]``.

    ``after`` gets the figures and ``--out`` once they are emitted (more files).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.rounds))
    emit(result, args.out)
    if after is not None:
        after(result, args.out)
    return 0
