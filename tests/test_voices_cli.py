"""``scripts/voices`` as a black box against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.emulator import DashScopeEmulator, EmulatorConfig
from tests.cli import run_tool
from tests.conftest import TEST_API_KEY
from tests.voice_samples import wav_sample

ROOT = Path(__file__).resolve().parent.parent
MODEL = "cosyvoice-v3.5-plus"


async def _voices(
    emulator: DashScopeEmulator, *args: str, key: str | None = TEST_API_KEY
) -> tuple[int, str, str]:
    return await run_tool(
        "devtools.voices", "--http-url", emulator.http_url, *args, key=key
    )


async def test_design_show_list_and_delete(
    emulator: DashScopeEmulator, tmp_path: Path
) -> None:
    preview = tmp_path / "preview.wav"
    code, out, err = await _voices(
        emulator,
        "design",
        "--model",
        MODEL,
        "--prompt",
        "A calm, warm voice.",
        "--preview-text",
        "晚上好。",
        "--name",
        "calm",
        "--out",
        str(preview),
    )
    assert code == 0, err
    designed = json.loads(out)
    assert (designed["target_model"], designed["name"]) == (MODEL, "calm")
    assert preview.read_bytes()[:4] == b"RIFF"
    voice_id = designed["voice_id"]

    code, out, _ = await _voices(emulator, "show", "--voice-id", voice_id)
    assert (code, json.loads(out)["status"]) == (0, "OK")
    code, out, _ = await _voices(emulator, "list", "--model", MODEL)
    assert [v["voice_id"] for v in json.loads(out)["voices"]] == [voice_id]
    code, out, _ = await _voices(emulator, "delete", "--voice-id", voice_id)
    assert (code, json.loads(out)) == (0, {"voice_id": voice_id, "deleted": True})
    code, out, _ = await _voices(emulator, "list")
    assert json.loads(out) == {"voices": []}


async def test_clone_a_file(emulator: DashScopeEmulator, tmp_path: Path) -> None:
    sample = tmp_path / "grandma.wav"
    sample.write_bytes(wav_sample(8.0))
    code, out, err = await _voices(
        emulator, "clone", "--model", MODEL, "--file", str(sample), "--name", "grandma"
    )
    assert code == 0, err
    assert json.loads(out)["kind"] == "cloned"
    assert [v.voice_id for v in emulator.voices(TEST_API_KEY)] == [
        json.loads(out)["voice_id"]
    ]


async def test_errors_are_one_line_without_the_key(
    emulator: DashScopeEmulator, tmp_path: Path
) -> None:
    sample = tmp_path / "short.wav"
    sample.write_bytes(wav_sample(2.0))
    code, out, err = await _voices(
        emulator, "clone", "--model", MODEL, "--file", str(sample), "--name", "x"
    )
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert "5 to 60 s" in err

    key = "sk-wrong-key-0123456789"
    code, out, err = await _voices(emulator, "list", key=key)
    assert code == 1
    assert key not in err
    assert err.startswith("voices: error:")

    code, _, err = await _voices(emulator, "list", key=None)
    assert code == 2
    assert "DASHSCOPE_API_KEY" in err


# What people paste (sk- and 32 hex digits), and what a leak would show.
REAL_KEY = "sk-3f9a0c6e1b7d42a8e5c09f1d6b2a7e4c"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """The suite's emulator, also taking a key shaped like a real one."""
    return EmulatorConfig(api_keys={TEST_API_KEY, REAL_KEY}, ms_per_char=20.0)


@pytest.mark.parametrize("where", ["before", "after", "split"])
async def test_connection_flags_before_or_after_the_action(
    emulator: DashScopeEmulator, where: str
) -> None:
    voice_id = emulator.add_voice(REAL_KEY, MODEL, "mine")
    key = ["--api-key", REAL_KEY]
    url = ["--http-url", emulator.http_url]
    args = {
        "before": [*key, *url, "list"],
        "after": ["list", *key, *url],
        "split": [*url, "list", "--model", MODEL, *key],
    }[where]
    code, out, err = await run_tool("devtools.voices", *args, key=None)
    assert code == 0, err
    assert [v["voice_id"] for v in json.loads(out)["voices"]] == [voice_id]
    assert REAL_KEY not in out + err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(
            ["list", "--api-key", REAL_KEY, "--bogus"], "--bogus", id="unknown flag"
        ),
        pytest.param(
            ["list", "--api-key", REAL_KEY, "--region", "mars"], "mars", id="bad choice"
        ),
        pytest.param(
            ["--api-key", REAL_KEY, "list", "--colour", "red"],
            "--colour red",
            id="unknown flag and value",
        ),
        pytest.param(
            ["show", "--api-key", REAL_KEY], "--voice-id", id="missing argument"
        ),
        pytest.param(["--api=" + REAL_KEY, "lst"], "lst", id="unknown action"),
        # argparse would quote back the key pasted without its flag.
        pytest.param(
            ["list", REAL_KEY],
            "unrecognized arguments: <API key>",
            id="key without its flag",
        ),
    ],
)
async def test_usage_errors_never_print_the_key(args: list[str], says: str) -> None:
    code, out, err = await run_tool("devtools.voices", *args, key=None)
    assert code == 2
    assert "usage: scripts/voices" in err
    assert says in err
    assert REAL_KEY[3:15] not in out + err


async def test_a_key_of_any_shape_is_hidden_in_usage_errors() -> None:
    key = "my-own-secret-key-7Q2x"
    code, out, err = await run_tool(
        "devtools.voices", "list", "--api-key", key, "--bogus", key=None
    )
    assert code == 2
    assert "--bogus" in err
    assert key not in out + err
