"""The README tells the truth about what the repository holds.

- its quality-scale table and ``quality_scale.yaml`` give every rule the same status;
- its module tables name every module of the integration and of the client, and no
  module that does not exist;
- the version is stated once, in ``manifest.json``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from custom_components.cosyvoice import api
from custom_components.cosyvoice.api.credentials import user_agent

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
INTEGRATION = ROOT / "custom_components" / "cosyvoice"
QUALITY_SCALE = INTEGRATION / "quality_scale.yaml"
MANIFEST = INTEGRATION / "manifest.json"

# Every rule of the integration quality scale and its tier, as
# home-assistant/developers.home-assistant lists them in
# docs/core/integration-quality-scale/_includes/tiers.json (186ad063, 2026-08-19).
TIERS: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
TIER_OF = {rule: tier for tier, rules in TIERS.items() for rule in rules}
STATUSES = {"done", "todo", "exempt"}


# --- reading the README ---------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A heading and the lines up to the next heading of any level."""

    level: int
    title: str
    lines: list[str]


def _sections(text: str) -> list[Section]:
    """The README's sections; a ``#`` inside a fenced code block is no heading."""
    sections = [Section(0, "", [])]
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"(#{1,6}) (.+)", line)):
            sections.append(Section(len(heading[1]), heading[2].strip(), []))
            continue
        sections[-1].lines.append(line)
    return sections


def _slug(title: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", title.lower())
    return text.replace(" ", "-")


def _tables(lines: list[str]) -> list[list[list[str]]]:
    """The Markdown tables among ``lines``: rows of cells, the separator row left out."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            inner = line.strip().removeprefix("|").removesuffix("|")
            cells = [cell.strip() for cell in inner.split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _section(title: str) -> Section:
    found = [s for s in _sections(README.read_text()) if s.title == title]
    assert len(found) == 1, f"the README should have one section {title!r}"
    return found[0]


# --- the quality scale ----------------------------------------------------------------


def _yaml_statuses() -> dict[str, str]:
    rules = yaml.safe_load(QUALITY_SCALE.read_text())["rules"]
    return {
        rule: value if isinstance(value, str) else value["status"]
        for rule, value in rules.items()
    }


def _readme_rows() -> list[list[str]]:
    tables = [t for t in _tables(_section("Quality scale").lines) if t[0][0] == "rule"]
    assert len(tables) == 1, "the Quality scale section should have one rule table"
    header, *rows = tables[0]
    assert header[:3] == ["rule", "tier", "status"]
    return rows


def test_the_yaml_marks_every_rule_of_the_scale_once() -> None:
    rules = yaml.safe_load(QUALITY_SCALE.read_text())["rules"]
    assert sorted(set(TIER_OF) - set(rules)) == [], "rules missing from the yaml"
    assert sorted(set(rules) - set(TIER_OF)) == [], "rules the scale does not have"
    for rule, value in rules.items():
        if isinstance(value, str):
            assert value in {"done", "todo"}, f"{rule}: {value}"
        else:
            assert value["status"] in STATUSES, f"{rule}: {value}"
            assert set(value) <= {"status", "comment"}, rule
        if _yaml_statuses()[rule] != "done":
            # Exempt says why; todo says what is missing.
            assert isinstance(value, dict), f"{rule}: needs a comment"
            assert str(value.get("comment", "")).strip(), f"{rule}: needs a comment"


def test_the_readme_table_and_the_yaml_agree() -> None:
    rows = _readme_rows()
    readme = {row[0].strip("`"): row[2] for row in rows}
    assert len(readme) == len(rows), "a rule appears twice in the README's table"
    statuses = _yaml_statuses()
    disagree = {
        rule: f"README {readme.get(rule, '(missing)')}, yaml {status}"
        for rule, status in statuses.items()
        if readme.get(rule) != status
    }
    disagree |= {
        rule: f"README {status}, yaml (missing)"
        for rule, status in readme.items()
        if rule not in statuses
    }
    assert disagree == {}, (
        "README.md's Quality scale table and quality_scale.yaml disagree: "
        + "; ".join(f"{rule}: {why}" for rule, why in sorted(disagree.items()))
    )


def test_the_readme_table_names_each_rules_tier() -> None:
    wrong = {
        row[0]: row[1]
        for row in _readme_rows()
        if TIER_OF.get(row[0].strip("`")) != row[1]
    }
    assert wrong == {}


def test_every_docs_rule_done_points_at_sections_that_exist() -> None:
    anchors = {_slug(s.title) for s in _sections(README.read_text()) if s.level}
    missing: dict[str, list[str]] = {}
    for rule, _tier, status, where in _readme_rows():
        links = re.findall(r"\]\(#([^)]+)\)", where)
        if rule.startswith("`docs-") and status == "done" and not links:
            missing[rule] = ["(no link to a section)"]
        if broken := [link for link in links if link not in anchors]:
            missing[rule] = broken
    assert missing == {}, f"links to README sections that do not exist: {missing}"


# --- the module tables ----------------------------------------------------------------


def _module_tables() -> dict[Path, set[str]]:
    """Per folder, the modules its README section's table names.

    A section whose heading names a folder (``custom_components/cosyvoice/api/``) lists
    that folder's modules in a table whose first column is headed ``module``.
    """
    tables: dict[Path, set[str]] = {}
    for section in _sections(README.read_text()):
        folder = re.search(r"`(custom_components/[\w/]+/)`", section.title)
        if folder is None:
            continue
        names: set[str] = set()
        for table in _tables(section.lines):
            if table[0][0] == "module":
                names |= {
                    n for row in table[1:] for n in re.findall(r"`(\w+\.py)`", row[0])
                }
        assert names, f"the section {section.title!r} has no module table"
        tables[ROOT / folder[1]] = names
    return tables


def _packages() -> dict[Path, set[str]]:
    """Every folder of the integration that holds Python modules, and its modules."""
    found: dict[Path, set[str]] = {}
    for path in INTEGRATION.rglob("*.py"):
        if "__pycache__" not in path.parts:
            found.setdefault(path.parent, set()).add(path.name)
    return found


def test_the_module_tables_name_every_module_and_no_other() -> None:
    tables, packages = _module_tables(), _packages()
    problems = []
    for folder in sorted(packages.keys() | tables.keys()):
        where = f"{folder.relative_to(ROOT)}/"
        if folder not in tables:
            problems.append(f"no README section has a module table for {where}")
            continue
        if missing := sorted(packages.get(folder, set()) - tables[folder]):
            problems.append(f"the table for {where} leaves out {', '.join(missing)}")
        if extra := sorted(tables[folder] - packages.get(folder, set())):
            problems.append(
                f"the table for {where} names {', '.join(extra)}, which do not exist"
            )
    assert problems == [], "README.md's module tables: " + "; ".join(problems)


# --- one version ----------------------------------------------------------------------


def _version() -> str:
    version = json.loads(MANIFEST.read_text())["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    return str(version)


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_pyproject_states_no_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project, "the version is manifest.json's alone"
    assert project.get("dynamic") == ["version"]


def test_hacs_json_states_no_version() -> None:
    assert "version" not in json.loads((ROOT / "hacs.json").read_text())


def test_the_client_says_the_manifests_version() -> None:
    assert _version() == api.VERSION
    assert user_agent().startswith(f"ha-cosyvoice/{_version()} ")


def test_the_readme_names_no_version_after_the_manifests() -> None:
    """Earlier versions may be named (upgrades from them); none later than this one.

    Home Assistant's calendar versions (2025.4) are not this integration's, nor are
    measurements (0.5 to 1.1 ms).
    """
    version = r"(\d{1,2}\.\d+(?:\.\d+)?)\b(?!\s*(?:s|ms|µs|×|%|KB|MB|GB|Hz|kHz)\b)"
    mentioned = re.findall(
        r"\b(?:[Vv]ersions?|from|to|before|after|since|until)\s+v?" + version,
        README.read_text(),
    )
    assert mentioned  # the scan sees the mentions of 0.2 at all
    later = [v for v in mentioned if _as_tuple(v) > _as_tuple(_version())]
    assert later == [], f"the README names versions after {_version()}: {later}"


# --- the event ------------------------------------------------------------------------


def test_the_event_table_names_every_kind_and_no_other() -> None:
    row = next(
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `kind` |")
    )
    assert re.findall(r"`(\w+)`", row)[1:] == list(api.ERROR_KINDS)


def test_the_manifests_requirements_are_what_the_environments_install() -> None:
    """One list: manifest.json's pins, installed by every lane from integration.txt."""
    manifest = json.loads(
        (ROOT / "custom_components" / "cosyvoice" / "manifest.json").read_text()
    )
    lines = (ROOT / "requirements" / "integration.txt").read_text().splitlines()
    pins = [line for line in lines if line.strip() and not line.startswith("#")]
    assert manifest["requirements"] == pins


def test_no_requirement_conflicts_with_home_assistants_constraints() -> None:
    """Home Assistant installs a custom integration's pins under its own constraints."""
    import homeassistant  # the lane's own Home Assistant

    constraints = Path(homeassistant.__file__).with_name("package_constraints.txt")
    pinned = {
        re.split(r"[<>=!~ ;]", line, maxsplit=1)[0].lower(): line
        for line in constraints.read_text().splitlines()
        if line and not line.startswith("#")
    }
    manifest = json.loads(
        (ROOT / "custom_components" / "cosyvoice" / "manifest.json").read_text()
    )
    for requirement in manifest["requirements"]:
        name, _, version = requirement.partition("==")
        constraint = pinned.get(name.lower())
        assert constraint is None or version in constraint, (requirement, constraint)
