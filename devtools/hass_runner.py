"""A real Home Assistant (``hass``) with this integration, driven over its REST API.

Used by ``scripts/develop`` and by the end-to-end test. Home Assistant runs as a child
process with ``--skip-pip``: everything it loads is installed in the environment
already, so it starts offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from devtools.hass_socket import CommandError, HassSocket

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "cosyvoice"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    config_dir: Path,
    port: int,
    *,
    extra_yaml: str = "",
    custom_components: Iterable[Path] = (),
) -> None:
    """A minimal configuration (no cloud, no discovery) with the integration linked.

    The integration is a symbolic link to this checkout, so edits show on restart.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "media").mkdir(exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: CosyVoice development\n"
        "  country: CN\n"
        "  time_zone: Asia/Shanghai\n"
        "  unit_system: metric\n"
        f"  internal_url: http://127.0.0.1:{port}\n"
        # Its own media folder: in a container Home Assistant's default is /media.
        "  media_dirs:\n"
        f"    local: {config_dir / 'media'}\n"
        "http:\n"
        "  server_host: 127.0.0.1\n"
        f"  server_port: {port}\n"
        "logger:\n"
        "  default: warning\n"
        "  logs:\n"
        "    custom_components.cosyvoice: debug\n"
        "media_source:\n"
        # Voice assistants (Settings → Voice assistants) and their voice pickers.
        "assist_pipeline:\n"
        "conversation:\n" + extra_yaml,
        encoding="utf-8",
    )
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # The location step would set up Google Translate, Met.no and Radio Browser,
        # which reach the internet, and the analytics step asks to send data out:
        # mark both done, so only the owner account is left to create.
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics"]},
                }
            ),
            encoding="utf-8",
        )
    _link_components(config_dir, (INTEGRATION, *custom_components))


def _link_components(config_dir: Path, sources: Iterable[Path]) -> None:
    """Link each component folder into the configuration's ``custom_components``."""
    components = config_dir / "custom_components"
    components.mkdir(exist_ok=True)
    for source in sources:
        link = components / source.name
        if link.is_symlink() or link.exists():
            if link.resolve() == source.resolve():
                continue
            link.unlink()
        link.symlink_to(source.resolve(), target_is_directory=True)


@dataclass
class Hass:
    """A running ``hass`` child process."""

    url: str
    config_dir: Path
    process: asyncio.subprocess.Process
    log: Path

    @classmethod
    async def start(
        cls,
        config_dir: Path,
        port: int,
        *,
        log: Path | None = None,
        python: str | None = None,
    ) -> Hass:
        """Start ``hass -c config_dir`` and wait until its API answers.

        ``python`` runs it from another environment than :func:`hass_python`'s.
        """
        log = log or config_dir / "hass.out.log"
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                python or hass_python(),
                "-m",
                "homeassistant",
                "--config",
                str(config_dir),
                "--skip-pip",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                # Ctrl-C in a terminal reaches the whole group; we stop hass ourselves.
                start_new_session=True,
                # Not the checkout: "python -m" puts the working directory first on
                # sys.path, where this repository's custom_components/ would shadow
                # the configuration's.
                cwd=config_dir,
                env=_child_environment(),
            )
        hass = cls(f"http://127.0.0.1:{port}", config_dir, process, log)
        try:
            await hass._wait_until_up()
        except BaseException:
            await hass.stop()
            raise
        return hass

    async def _wait_until_up(self) -> None:
        async with aiohttp.ClientSession() as session, asyncio.timeout(START_TIMEOUT):
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"hass exited with {self.process.returncode}; see {self.log}"
                    )
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/api/onboarding") as response:
                        # 404: onboarded (a configuration used before), the view
                        # is no longer registered; HTTP is up all the same.
                        if response.status in {200, 404}:
                            return
                await asyncio.sleep(0.25)

    async def stop(self) -> int:
        """Stop hass the way a service manager would (SIGTERM, then SIGKILL)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


def hass_python() -> str:
    """The interpreter ``hass`` runs on: ours, or ``COSYVOICE_HASS_PYTHON``.

    The variable runs another Home Assistant release than the one installed here,
    from its own environment (with the matching frontend), e.g. one too new for the
    newest test plugin.
    """
    # Absolute (hass starts in its configuration folder), and not resolved: a venv's
    # python is a symbolic link that must stay one to find the venv.
    python = os.environ.get("COSYVOICE_HASS_PYTHON") or sys.executable
    return str(Path(python).absolute())


def hass_python_is_new_enough(required: tuple[int, ...]) -> bool:
    """Whether our Python is one Home Assistant starts on (it checks at start-up).

    With ``COSYVOICE_HASS_PYTHON`` that environment's release decides for itself.
    """
    return bool(os.environ.get("COSYVOICE_HASS_PYTHON")) or (
        sys.version_info[:3] >= required
    )


def _child_environment() -> dict[str, str]:
    """The environment for hass: ours, minus pytest-cov's hooks.

    Under ``pytest --cov`` every child Python would measure itself from its own
    working directory, without our coverage settings, and its data would not combine.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def suggested(form: dict[str, Any]) -> dict[str, Any]:
    """A form's suggested values, as the frontend fills its fields in.

    A suggestion of ``None`` (an optional field with no value) leaves the field
    empty, so it is not sent, as the frontend does.
    """
    return {
        field["name"]: value
        for field in form.get("data_schema", [])
        if (value := (field.get("description") or {}).get("suggested_value"))
        is not None
    }


class HassApi:
    """The REST calls the UI makes, for onboarding, flows and TTS."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Talk to the Home Assistant at ``url``; log in with :meth:`onboard`."""
        self._session = session
        self.url = url
        self.client_id = f"{url}/"
        self._token: str | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session it speaks through (for a WebSocket beside it)."""
        return self._session

    @property
    def access_token(self) -> str:
        """The logged-in user's access token (for the WebSocket API)."""
        if self._token is None:
            raise RuntimeError("not logged in")
        return self._token

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self._session.request(
            method, f"{self.url}{path}", headers=self._headers, **kwargs
        ) as response:
            if response.status >= 400:
                raise RuntimeError(
                    f"{method} {path}: HTTP {response.status} {await response.text()}"
                )
            return await response.json()

    async def onboard(self, name: str, username: str, password: str) -> bool:
        """Create the owner on a new instance, or log in; True if it was created.

        Only the user step is left (see :func:`write_config`); the integration step
        is the last and hands the token to the browser, so it is done here too.
        """
        async with self._session.get(f"{self.url}/api/onboarding") as response:
            # 404: every step is done (a configuration used before), and Home
            # Assistant no longer serves onboarding at all.
            onboarded = response.status == 404
            steps = [] if onboarded else await response.json()
        if onboarded or any(step["step"] == "user" and step["done"] for step in steps):
            await self.login(username, password)
            await self.confirm_http_settings()
            return False
        created = await self._json(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        await self._token_from_code(created["auth_code"])
        await self._json(
            "POST",
            "/api/onboarding/integration",
            json={
                "client_id": self.client_id,
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        await self.confirm_http_settings()
        return True

    async def confirm_http_settings(self) -> None:
        """Keep the ``http:`` settings of :func:`write_config`, as a user confirms them.

        From 2026.11 Home Assistant moves ``http:`` YAML into its storage as a trial
        that it reverts, restarting itself, unless confirmed within 5 minutes. Older
        releases have no such command; nothing to do there.
        """
        async with HassSocket(self._session, self.url, self.access_token) as socket:
            try:
                config = await socket.command("http/config")
            except CommandError:
                return
            if config.get("pending") and config.get("active_config_type") == "pending":
                await socket.command("http/config/promote")

    async def login(self, username: str, password: str) -> None:
        """The login form's flow: username and password for an access token."""
        flow = await self._json(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        result = await self._json(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": username,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"login failed: {result.get('errors')}")
        await self._token_from_code(result["result"])

    async def _token_from_code(self, code: str) -> None:
        token = await self._json(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self._token = token["access_token"]

    async def wait_running(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until start-up is over (the API answers before every platform is up)."""
        async with asyncio.timeout(timeout):
            while True:
                config = await self._json("GET", "/api/config")
                if config["state"] == "RUNNING":
                    return
                await asyncio.sleep(0.25)

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """Config entries of one integration."""
        entries: list[dict[str, Any]] = await self._json(
            "GET", "/api/config/config_entries/entry", params={"domain": domain}
        )
        return entries

    async def add_entry(self, domain: str, *steps: dict[str, Any]) -> dict[str, Any]:
        """Run a config flow as the UI does, one form a step; the last result."""
        result: dict[str, Any] = await self._json(
            "POST", "/api/config/config_entries/flow", json={"handler": domain}
        )
        for data in steps:
            if result.get("type") != "form":
                break
            result = await self._json(
                "POST",
                f"/api/config/config_entries/flow/{result['flow_id']}",
                json=data,
            )
        return result

    async def add_subentry(
        self, entry_id: str, subentry_type: str, *steps: dict[str, Any]
    ) -> dict[str, Any]:
        """Run a subentry flow (e.g. a voice profile) as the UI does; the last result."""
        base = "/api/config/config_entries/subentries/flow"
        result: dict[str, Any] = await self._json(
            "POST", base, json={"handler": [entry_id, subentry_type]}
        )
        for data in steps:
            if result.get("type") != "form":
                break
            result = await self._json("POST", f"{base}/{result['flow_id']}", json=data)
        return result

    async def reconfigure_subentry(
        self,
        entry_id: str,
        subentry_type: str,
        subentry_id: str,
        changes: dict[str, Any],
    ) -> dict[str, Any]:
        """Run a subentry's *Reconfigure* flow: each form as suggested, plus ``changes``.

        The forms suggest the subentry's current values; fields they leave empty
        stay empty unless ``changes`` names them. The last result (an abort when
        the flow saved).
        """
        base = "/api/config/config_entries/subentries/flow"
        result: dict[str, Any] = await self._json(
            "POST",
            base,
            json={"handler": [entry_id, subentry_type], "subentry_id": subentry_id},
        )
        while result.get("type") == "form":
            data = suggested(result) | {
                key: value
                for key, value in changes.items()
                if any(field["name"] == key for field in result["data_schema"])
            }
            result = await self._json("POST", f"{base}/{result['flow_id']}", json=data)
            if result.get("errors"):
                raise RuntimeError(f"the form refused {data}: {result['errors']}")
        return result

    async def set_options(
        self, entry_id: str, options: dict[str, Any], *, menu: str = "account"
    ) -> Any:
        """Run an entry's options flow (one form) as the UI does; its result.

        An options menu (CosyVoice's, when the account has voice profiles) is
        answered with ``menu`` first.
        """
        base = "/api/config/config_entries/options/flow"
        form = await self._json("POST", base, json={"handler": entry_id})
        if form.get("type") == "menu":
            form = await self._json(
                "POST", f"{base}/{form['flow_id']}", json={"next_step_id": menu}
            )
        return await self._json("POST", f"{base}/{form['flow_id']}", json=options)

    async def reload(self, entry_id: str) -> None:
        """Reload an entry, as its menu does."""
        await self._json("POST", f"/api/config/config_entries/entry/{entry_id}/reload")

    async def continue_flow(self, flow_id: str, data: dict[str, Any]) -> Any:
        """Submit a config flow's current form."""
        return await self._json(
            "POST", f"/api/config/config_entries/flow/{flow_id}", json=data
        )

    async def diagnostics(self, entry_id: str) -> str:
        """An entry's diagnostics, as the download button gets them (raw text)."""
        async with self._session.get(
            f"{self.url}/api/diagnostics/config_entry/{entry_id}",
            headers=self._headers,
        ) as response:
            response.raise_for_status()
            return await response.text()

    async def version(self) -> str:
        """The Home Assistant version answering."""
        config: dict[str, Any] = await self._json("GET", "/api/config")
        return str(config["version"])

    async def states(self) -> list[dict[str, Any]]:
        """Every entity's state."""
        states: list[dict[str, Any]] = await self._json("GET", "/api/states")
        return states

    async def state(self, entity_id: str) -> dict[str, Any]:
        """One entity's state."""
        state: dict[str, Any] = await self._json("GET", f"/api/states/{entity_id}")
        return state

    async def state_or_none(self, entity_id: str) -> dict[str, Any] | None:
        """One entity's state; None if Home Assistant has no such entity."""
        async with self._session.get(
            f"{self.url}/api/states/{entity_id}", headers=self._headers
        ) as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            state: dict[str, Any] = await response.json()
            return state

    async def wait_for_entity(self, entity_id: str, timeout: float = 30.0) -> None:
        """Until Home Assistant has a state for the entity (a new entry's), polled."""
        async with asyncio.timeout(timeout):
            while await self.state_or_none(entity_id) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.25)

    async def call(
        self,
        domain: str,
        service: str,
        data: dict[str, Any],
        *,
        return_response: bool = False,
    ) -> Any:
        """Perform an action (service call) and wait for it; its response if asked."""
        path = f"/api/services/{domain}/{service}"
        if return_response:
            path += "?return_response"
        return await self._json("POST", path, json=data)

    async def tts_url(
        self, engine_id: str, message: str, options: dict[str, Any] | None = None
    ) -> str:
        """``/api/tts_get_url``: the proxy path a media player would fetch."""
        body: dict[str, Any] = {"engine_id": engine_id, "message": message}
        if options:
            body["options"] = options
        result = await self._json("POST", "/api/tts_get_url", json=body)
        return str(result["path"])

    async def download(self, path: str) -> bytes:
        """Fetch a URL path of this instance (a TTS proxy URL needs no login)."""
        async with self._session.get(f"{self.url}{path}") as response:
            if response.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status}")
            return await response.read()
