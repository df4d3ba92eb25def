"""Layering is checked, not hoped for: the domain imports only the standard library, only bot/ (and the
messages function, through it) imports botbuilder, and importing function_app loads nothing heavy."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devopsbot.settings import ROOT

FIRST_PARTY = {"incident", "services", "adapters", "bot", "functions", "devopsbot", "function_app"}
# What each layer may import from the project (design.md: domain ← services ← adapters/bot ← entrypoints).
ALLOWED = {
    "incident": {"incident"},
    "services": {"incident", "services"},
    "adapters": {"incident", "services", "adapters"},
    "bot": {"incident", "services", "adapters", "bot"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("incident"), ids=lambda p: p.name)
def test_the_domain_imports_only_the_standard_library(path: Path) -> None:
    for module in imports_of(path):
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or top == "incident" or top == "__future__", (
            f"{path.relative_to(ROOT)} imports {module}")


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    for path in python_files(layer):
        for module in imports_of(path):
            top = module.split(".")[0]
            if top in FIRST_PARTY:
                assert top in ALLOWED[layer], f"{path.relative_to(ROOT)} imports {module}"


def test_only_bot_imports_botbuilder() -> None:
    offenders = []
    for path in ROOT.glob("**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", ".venv-checkov", "node_modules", "tests", "bot", ".data"}:
            continue
        if any(m.split(".")[0] in {"botbuilder", "botframework"} for m in imports_of(path)):
            offenders.append(str(relative))
    assert offenders == []


def test_importing_function_app_loads_no_heavy_package() -> None:
    heavy = ["botbuilder", "botframework", "aiohttp", "msal", "jinja2", "pydantic", "azure.data.tables",
             "azure.identity", "matplotlib", "numpy", "PIL", "azure.storage.blob"]
    script = ("import json, sys, function_app; "
              f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) == []
