"""Running a command-line tool of ``devtools`` as a user would: a process of its own."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def run_tool(module: str, *args: str, key: str | None) -> tuple[int, str, str]:
    """``python -m module args`` with ``DASHSCOPE_API_KEY`` set to ``key`` (or unset).

    Returns the exit status, standard output and standard error.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DASHSCOPE_API_KEY", None)
    if key is not None:
        env["DASHSCOPE_API_KEY"] = key
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
