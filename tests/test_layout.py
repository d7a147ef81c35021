"""The code stays walkable: no module in device/ or dashboard/ much over 400 lines, and imports
run downward only, from the command line through the assistant to the care data, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 420  # "about 400": one reader holds a module
# Lowest first. A unit imports only from its own layer or below.
LAYERS: list[set[str]] = [
    {"device", "device.bounded", "device.lifecycle"},
    {"device.settings", "device.requests", "device.signals"},
    {"device.care", "device.models"},
    {"device.nlu"},
    {"device.answers"},
    {"device.assistant", "device.turn", "device.session", "device.readers"},
    {"device.speech", "device.telemetry", "device.settings_reference"},
    {"device.commands", "dashboard"},
    {"provisioning"},
    {"device.cli"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _modules() -> list[Path]:
    return sorted(p for top in ("device", "dashboard") for p in (ROOT / top).rglob("*.py"))


def _unit(module: str) -> str:
    """device.answers.ask → device.answers; dashboard.web → dashboard."""
    parts = module.split(".")
    if parts[0] != "device":
        return parts[0]
    return ".".join(parts[:2])


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m.split(".")[0] in ("device", "dashboard", "provisioning")}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_is_short_enough_to_hold(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it"


def test_every_unit_has_a_layer() -> None:
    units = {_unit(".".join(p.relative_to(ROOT).with_suffix("").parts)) for p in _modules()}
    units = {u.removesuffix(".__init__") for u in units}
    assert units <= set(RANK), units - set(RANK)


@pytest.mark.parametrize(
    "path",
    [*_modules(), *sorted((ROOT / "provisioning").rglob("*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_imports_run_downward(path: Path) -> None:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    mine = RANK[_unit(module)]
    for imported in _imports(path):
        theirs = RANK[_unit(imported)]
        assert theirs <= mine, f"{module} imports {imported}, which is above it"
