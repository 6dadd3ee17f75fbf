"""Screenshots for the README, from a real browser against a real Home Assistant.

Starts the emulator and Home Assistant (as ``scripts/develop`` does, in a temporary
folder on free ports), adds the integration, then drives Debian's Chromium headless
with Playwright and saves PNGs to ``docs/screenshots/``. Brand icons need Home
Assistant 2026.3 or newer: set ``COSYVOICE_HASS_PYTHON`` to an environment with one
(see :mod:`devtools.hass_runner`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from playwright.async_api import Page, ViewportSize, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from devtools.emulator import DashScopeEmulator, EmulatorConfig
from devtools.hass_runner import ROOT, Hass, HassApi, free_port, write_config

KEY = "sk-emulator"
USERNAME = "dev"
PASSWORD = "cosyvoice-dev"  # noqa: S105  # a throw-away local instance
VIEWPORT = ViewportSize(width=1280, height=900)


async def _login(page: Page, url: str) -> None:
    await page.goto(url)
    await page.locator("input[name=username]").fill(USERNAME)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("input[name=password]").press("Enter")
    await page.wait_for_url(f"{url}/**", timeout=60_000)
    # Newer frontends keep the root element itself hidden; wait for it to exist.
    await page.wait_for_selector("home-assistant", state="attached", timeout=60_000)
    await page.wait_for_timeout(2000)


async def _integrations(page: Page, url: str, out: Path) -> None:
    """The integrations page: the brand icon (served by Home Assistant 2026.3+)."""
    await page.goto(f"{url}/config/integrations/dashboard")
    # Home Assistant 2026.11 asks to confirm HTTP settings that came from YAML.
    confirm = page.get_by_role("button", name="Confirm")
    with contextlib.suppress(PlaywrightTimeoutError):
        await confirm.click(timeout=5000)
    card = page.get_by_text("CosyVoice (Alibaba Cloud DashScope)").first
    await card.wait_for(timeout=60_000)
    await page.wait_for_timeout(2000)  # the icons load after the cards
    await page.screenshot(path=out / "integrations.png")


async def _config_flow(page: Page, url: str, out: Path) -> None:
    """Adding CosyVoice again: the menu that leads to a voice profile, then the key."""
    await page.goto(f"{url}/config/integrations/dashboard/add?domain=cosyvoice")
    await page.get_by_role("button", name="OK").click(timeout=60_000)
    await page.get_by_text("CosyVoice is set up already").wait_for(timeout=60_000)
    await page.wait_for_timeout(1000)  # the dialog's opening animation
    await page.screenshot(path=out / "config-flow-menu.png")
    await page.get_by_text("Add another DashScope account").first.click()
    await page.get_by_text("Connect to CosyVoice").wait_for(timeout=60_000)
    await page.wait_for_timeout(1000)
    await page.screenshot(path=out / "config-flow.png")


async def _voice_picker(page: Page, url: str, engine_name: str, out: Path) -> None:
    await page.goto(f"{url}/media-browser/browser")
    # Newer frontends also keep the names in hidden tooltips: click the visible one.
    tts = page.get_by_text("Text-to-speech", exact=True).filter(visible=True)
    await tts.first.click(timeout=60_000)
    # The media browser lists engines by their entity name.
    engine = page.get_by_text(engine_name, exact=True).filter(visible=True)
    await engine.first.click(timeout=60_000)
    voice = page.get_by_label("Voice").first
    await voice.wait_for(timeout=60_000)
    await voice.click()
    await page.wait_for_timeout(1000)
    await page.screenshot(path=out / "voice-picker.png")


async def _profiles(page: Page, url: str, out: Path) -> None:
    """The entry's page: the account and its voice profiles."""
    await page.goto(f"{url}/config/integrations/integration/cosyvoice")
    await page.get_by_text("Grandma").first.wait_for(timeout=60_000)
    await page.wait_for_timeout(1500)
    await page.screenshot(path=out / "profiles.png")


async def _outage_card(page: Page, url: str, out: Path) -> None:
    """A message not spoken, on the voice profile's entity card (its attributes).

    2025.x shows them under *Attributes* on the card; 2026 under ⋮ → *Details*.
    """
    await page.goto(f"{url}/config/entities")
    await page.wait_for_timeout(2000)
    # The entity search (the "e" key) opens its card on every version.
    await page.keyboard.press("e")
    await page.wait_for_timeout(1000)
    await page.keyboard.type("tts.cosyvoice")
    await page.wait_for_timeout(1000)
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(2000)
    attributes = page.get_by_text("Attributes", exact=True).filter(visible=True)
    if await attributes.count():
        await attributes.first.click()
    else:
        menu = page.get_by_role("button", name="Menu").filter(visible=True)
        await menu.last.click()
        await page.get_by_text("Details").filter(visible=True).first.click()
    await page.get_by_text("Latest message not spoken").first.wait_for(timeout=60_000)
    await page.wait_for_timeout(1000)
    await page.screenshot(path=out / "outage-entity-card.png")


async def _outage_repairs(page: Page, url: str, out: Path) -> None:
    """The same outage in Settings → Repairs, opened."""
    await page.goto(f"{url}/config/repairs")
    await page.get_by_text("cannot reach DashScope").first.click(timeout=60_000)
    await page.get_by_text("could not reach DashScope").first.wait_for(timeout=60_000)
    await page.wait_for_timeout(1000)
    await page.screenshot(path=out / "outage-repairs.png")


async def _break(api: HassApi, emulator: DashScopeEmulator) -> None:
    """DashScope out of reach, and a message CosyVoice could not speak (no fallback)."""
    await emulator.stop()
    path = await api.tts_url("tts.cosyvoice", "The front door is open.")
    with contextlib.suppress(RuntimeError):  # it fails: that is the point
        await api.download(path)


async def run(out: Path, config_dir: Path, chromium: str) -> None:
    """Start everything, take the pictures, break the service, take its pictures."""
    port = free_port()
    emulator = DashScopeEmulator(EmulatorConfig(api_keys={KEY}))
    await emulator.start()
    try:
        write_config(config_dir, port)
        hass = await Hass.start(config_dir, port)
        try:
            async with aiohttp.ClientSession() as session:
                api = HassApi(session, hass.url)
                await api.onboard("Developer", USERNAME, PASSWORD)
                await api.wait_running()
                await _set_up(api, emulator)
                await _shoot(hass.url, out, chromium, _SHOTS)
                await _break(api, emulator)
                await _shoot(hass.url, out, chromium, _OUTAGE_SHOTS)
        finally:
            await hass.stop()
    finally:
        await emulator.stop()
        shutil.rmtree(config_dir, ignore_errors=True)


async def _set_up(api: HassApi, emulator: DashScopeEmulator) -> None:
    """The entry, a designed voice of the home's own, and a profile speaking with it."""
    result = await api.add_entry(
        "cosyvoice",
        {"api_key": KEY, "region": "custom", "advanced": {}},
        {"ws_url": emulator.ws_url, "http_url": emulator.http_url},
    )
    assert result["type"] == "create_entry", result
    (entry,) = await api.entries("cosyvoice")
    await asyncio.sleep(1)  # the entry's first list of own voices
    # A voice of the home's own, made as a user would: the action.
    await api.call(
        "cosyvoice",
        "design_voice",
        {
            "config_entry_id": entry["entry_id"],
            "model": "cosyvoice-v3-flash",
            "name": "grandma",
            "description": "A warm, gentle grandmother, slow and kind.",
            "preview_text": "晚饭好了，快来吃饭吧。",
        },
        return_response=True,
    )
    # A second voice profile, speaking with that voice.
    designed = await api.call(
        "cosyvoice",
        "list_voices",
        {"config_entry_id": entry["entry_id"]},
        return_response=True,
    )
    voice_id = designed["service_response"]["voices"][0]["voice_id"]
    added = await api.add_subentry(
        entry["entry_id"],
        "tts",
        {
            "name": "Grandma",
            "model": "cosyvoice-v3-flash",
            "format": "mp3",
            "sample_rate": "24000",
            "volume": 50,
            "rate": 0.9,
            "pitch": 1.0,
            "long_text_threshold": 500,
            "route": "websocket",
        },
        {"voice": voice_id},
    )
    assert added["type"] == "create_entry", added


async def _voice_picker_of_cosyvoice(page: Page, url: str, out: Path) -> None:
    await _voice_picker(page, url, "CosyVoice", out)


type Shot = Callable[[Page, str, Path], Awaitable[None]]
_SHOTS: tuple[Shot, ...] = (
    _integrations,
    _config_flow,
    _voice_picker_of_cosyvoice,
    _profiles,
)
_OUTAGE_SHOTS: tuple[Shot, ...] = (_outage_card, _outage_repairs)


async def _shoot(url: str, out: Path, chromium: str, shots: tuple[Shot, ...]) -> None:
    """Log in with Chromium and take the pictures."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"]
        )
        page = await browser.new_page(viewport=VIEWPORT)
        await _login(page, url)
        for shot in shots:
            await shot(page, url, out)
        await browser.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m devtools.screenshots [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    config_dir = Path(tempfile.mkdtemp(prefix="cosyvoice-shots-"))
    asyncio.run(run(args.out, config_dir, args.chromium))
    return 0


if __name__ == "__main__":
    sys.exit(main())
