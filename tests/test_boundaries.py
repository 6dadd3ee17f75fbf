"""The integration uses the client only through what ``api/__init__`` exports."""

from __future__ import annotations

import ast
from pathlib import Path

from custom_components.cosyvoice import api

GLUE = Path(__file__).parents[1] / "custom_components" / "cosyvoice"


def _api_imports() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(GLUE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                module = node.module or ""
                if module == "api" or module.startswith("api."):
                    found += [(path.name, module, alias.name) for alias in node.names]
    return found


def test_the_glue_imports_only_the_api_package() -> None:
    imports = _api_imports()
    assert imports  # the scan sees the glue's imports at all
    assert [i for i in imports if i[1] != "api"] == []


def test_every_exported_name_exists_and_the_glue_needs_no_other() -> None:
    assert len(set(api.__all__)) == len(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name
    assert {name for _, _, name in _api_imports()} <= set(api.__all__)
