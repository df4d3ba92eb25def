"""No knots: no import cycle between the project's modules and no module over 400 lines, outside the
allow-lists below; each entry names the refactor that removes it, and an entry that is no longer
true fails the test too, so the lists only shrink."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from devopsbot.settings import ROOT

PACKAGES = ("incident", "services", "adapters", "bot", "functions", "devopsbot")
SCRIPTS = ("function_app.py",)
MAX_LINES = 400

# Imports that close a cycle in today's tree, as (importer, imported) module pairs: every import on
# some cycle is listed, so a new cycle needs an import that is not. Function-local imports and
# TYPE_CHECKING imports count (hiding an import inside a function does not untie the knot), and so
# does importlib.import_module() of a module named in a string. When a refactor lands, delete its
# lines: the test fails while a listed import is gone or no longer on a cycle.
ALLOWED_CYCLE_IMPORTS: tuple[tuple[str, str], ...] = (
)

# Modules over MAX_LINES lines today; a module split below the limit must leave the list.
ALLOWED_LONG_MODULES: tuple[str, ...] = (
)


@dataclass(frozen=True)
class Import:
    """One first-party import: where it is written and whether it runs at module import."""

    importer: str
    imported: str
    line: int
    hidden: str  # "" at module level, else "function-local", "TYPE_CHECKING" or "importlib"

    def where(self) -> str:
        path = module_path(self.importer).relative_to(ROOT)
        return f"{path}:{self.line}" + (f", {self.hidden}" if self.hidden else "")


def module_files() -> dict[str, Path]:
    """Every first-party module by dotted name (a package by its own name, from __init__.py)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for script in SCRIPTS:
        if (ROOT / script).exists():
            modules[Path(script).stem] = ROOT / script
    return modules


def module_path(name: str) -> Path:
    return module_files()[name]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every node with what hides it from module import: "function-local", "TYPE_CHECKING" or ""."""
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, hidden = stack.pop()
        yield node, hidden
        for child in ast.iter_child_nodes(node):
            inner = hidden
            if not inner and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "function-local"
            if not inner and isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                inner = "TYPE_CHECKING"
            stack.append((child, inner))


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest first-party module that ``name`` names or lies inside."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def imports_in(module: str, known: dict[str, Path]) -> list[Import]:
    path = known[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    dynamic = False
    found: list[tuple[str, int, str]] = []
    for node, hidden in _import_nodes(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, hidden) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import sub` imports the submodule pkg.sub when there is one.
                submodule = f"{base}.{alias.name}"
                found.append((submodule if submodule in known else base, node.lineno, hidden))
        elif (isinstance(node, ast.Attribute) and node.attr == "import_module"
              and isinstance(node.value, ast.Name) and node.value.id == "importlib"):
            dynamic = True
    if dynamic:
        # A module that imports by name depends on every first-party module it names in a string.
        for node, _ in _import_nodes(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
                found.append((node.value, node.lineno, "importlib"))
    result = []
    for name, line, hidden in found:
        target = _resolve(name, known)
        if target is not None and target != module:
            result.append(Import(module, target, line, hidden))
    return result


def import_graph() -> dict[str, dict[str, list[Import]]]:
    """importer -> imported -> the import statements that make the edge."""
    known = module_files()
    graph: dict[str, dict[str, list[Import]]] = {name: {} for name in known}
    for module in known:
        for item in imports_in(module, known):
            graph[module].setdefault(item.imported, []).append(item)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[Import]]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively; components of one module without a self-import are dropped."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def cycle_imports(graph: dict[str, dict[str, list[Import]]]) -> set[tuple[str, str]]:
    """Every import that lies on some cycle: both ends in the same strongly connected component."""
    edges = set()
    for component in strongly_connected(graph):
        edges.update((a, b) for a in component for b in graph[a] if b in component)
    return edges


def path_back(graph: dict[str, dict[str, list[Import]]], start: str, goal: str) -> list[str]:
    """A shortest import path from start to goal (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier and goal not in previous:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child not in previous and child != start:
                    previous[child] = node
                    following.append(child)
        frontier = following
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def describe_cycle(graph: dict[str, dict[str, list[Import]]], edge: tuple[str, str]) -> str:
    importer, imported = edge
    cycle = [importer, *path_back(graph, imported, importer)]
    steps = [f"  {a} -> {b}  ({graph[a][b][0].where()})" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_no_new_import_cycle() -> None:
    graph = import_graph()
    new = sorted(cycle_imports(graph) - set(ALLOWED_CYCLE_IMPORTS))
    shown = "\n".join(describe_cycle(graph, edge) for edge in new[:5])
    more = f"\n...and these imports, also on cycles now: {new[5:]}" if len(new) > 5 else ""
    assert not new, f"new import cycle(s); put shared code in a module both sides import:\n{shown}{more}"


def test_allow_listed_cycle_imports_are_still_cycles() -> None:
    stale = sorted(set(ALLOWED_CYCLE_IMPORTS) - cycle_imports(import_graph()))
    assert not stale, f"no longer on an import cycle; take it off ALLOWED_CYCLE_IMPORTS: {stale}"


def long_modules() -> dict[str, int]:
    counts = {name: line_count(path) for name, path in module_files().items()}
    return {name: lines for name, lines in counts.items() if lines > MAX_LINES}


def test_no_new_module_over_the_line_limit() -> None:
    new = {name: lines for name, lines in long_modules().items() if name not in ALLOWED_LONG_MODULES}
    assert not new, f"modules over {MAX_LINES} lines; split them along what they hold: {new}"


def test_allow_listed_long_modules_are_still_long() -> None:
    stale = [name for name in ALLOWED_LONG_MODULES if name not in long_modules()]
    assert not stale, f"gone or now at most {MAX_LINES} lines; take it off ALLOWED_LONG_MODULES: {stale}"


def test_allow_lists_have_no_duplicates() -> None:
    assert len(set(ALLOWED_CYCLE_IMPORTS)) == len(ALLOWED_CYCLE_IMPORTS)
    assert len(set(ALLOWED_LONG_MODULES)) == len(ALLOWED_LONG_MODULES)


# --- the checker itself, on a tree written for the purpose ----------------------------------------


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_function_local_import_that_closes_a_loop_is_reported_as_a_path(tree: Path) -> None:
    write(tree, {"bot/__init__.py": "", "bot/turn.py": "from bot.feature import run\n",
                 "bot/feature.py": "def run():\n    from bot.turn import helper\n"})
    graph = import_graph()
    assert cycle_imports(graph) == {("bot.turn", "bot.feature"), ("bot.feature", "bot.turn")}
    assert describe_cycle(graph, ("bot.turn", "bot.feature")).splitlines() == [
        "bot.turn -> bot.feature -> bot.turn",
        "  bot.turn -> bot.feature  (bot/turn.py:1)",
        "  bot.feature -> bot.turn  (bot/feature.py:2, function-local)",
    ]


def test_a_type_checking_import_of_a_submodule_through_its_package_counts(tree: Path) -> None:
    write(tree, {"incident/__init__.py": "", "incident/errors.py": "from . import model\n",
                 "incident/model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from incident import errors\n"})
    graph = import_graph()
    assert cycle_imports(graph) == {("incident.errors", "incident.model"), ("incident.model", "incident.errors")}
    assert graph["incident.model"]["incident.errors"][0].hidden == "TYPE_CHECKING"


def test_a_module_loaded_by_name_through_importlib_counts(tree: Path) -> None:
    write(tree, {"devopsbot/__init__.py": "",
                 "devopsbot/cli.py": "import importlib\nMODULES = ('devopsbot.cli_mail',)\n"
                                     "def load():\n    return [importlib.import_module(m) for m in MODULES]\n",
                 "devopsbot/cli_mail.py": "from devopsbot.cli import load\n"})
    assert ("devopsbot.cli", "devopsbot.cli_mail") in cycle_imports(import_graph())


def test_imports_that_only_go_down_make_no_cycle(tree: Path) -> None:
    write(tree, {"incident/__init__.py": "", "incident/model.py": "import datetime\n",
                 "services/__init__.py": "", "services/bus.py": "import incident.model\nfrom incident import model\n",
                 "function_app.py": "from services.bus import x\nimport services\n"})
    graph = import_graph()
    assert sorted(graph["function_app"]) == ["services", "services.bus"]
    assert cycle_imports(graph) == set()


def test_a_module_is_long_from_its_401st_line(tree: Path) -> None:
    write(tree, {"adapters/at_limit.py": "x = 1\n" * MAX_LINES, "adapters/over.py": "x = 1\n" * (MAX_LINES + 1)})
    assert long_modules() == {"adapters.over": MAX_LINES + 1}
