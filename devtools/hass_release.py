"""The newest Home Assistant release this machine runs: ``.venv-hass-release``.

``scripts/setup`` builds that environment (Home Assistant as a real ``hass`` only, with
its frontend) where it finds a Python 3.14; ``scripts/develop --ha newest`` runs it. The
end-to-end test, the soak and ``scripts/screenshots`` reach it through
``COSYVOICE_HASS_PYTHON`` (see :mod:`devtools.hass_runner`).
"""

from __future__ import annotations

import re
import subprocess

from devtools.hass_runner import ROOT

ENVIRONMENT = ROOT / ".venv-hass-release"
REQUIREMENTS = ROOT / "requirements" / "hass-release.txt"

NO_NEWEST = """\
Home Assistant {version} (--ha newest) runs from .venv-hass-release, and this checkout \
has none that works.
It needs Python 3.14, which Home Assistant {version} requires:
  1. install one, as python3.14 on PATH or with `pyenv install 3.14`;
  2. run `scripts/develop --ha newest` again: it runs `COSYVOICE_SETUP_ONLY=release \
scripts/setup`, which builds .venv-hass-release with that Python (plain \
`scripts/setup` builds it too, with the newest test lane).
Where a Python 3.14 is installed already, scripts/setup's own lines above say why \
the build failed.
Without --ha, scripts/develop runs Home Assistant 2025.4.4 on Python 3.13."""
"""What to do when ``--ha newest`` finds no environment; ``{version}`` is the release."""


def release_version() -> str:
    """The release ``requirements/hass-release.txt`` pins (what setup installs)."""
    text = REQUIREMENTS.read_text(encoding="utf-8")
    found = re.search(r"^homeassistant==(\S+)", text, re.MULTILINE)
    return found.group(1) if found else "(unknown)"


def newest_hass_python() -> str | None:
    """The environment's interpreter, if it is there and imports Home Assistant.

    Not resolved: a venv's ``python`` is a link that must stay one to find the venv.
    A venv whose interpreter was removed (a pyenv version uninstalled) has a dangling
    link and counts as missing.
    """
    python = ENVIRONMENT / "bin" / "python"
    try:
        subprocess.run(  # noqa: S603  # our own environment's interpreter
            [str(python), "-c", "import homeassistant.const"],
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return str(python.absolute())
