"""The layout keeps its promises: every module imports, no import cycles,
no module over 700 lines, and the data layer's parts depend one way."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("datalayer", "tui", "screens", "styles")
MAX_LINES = 700
# The owner's layout keeps the command line in one module, main.py, beside
# models.py, tui/ and screens/ (no other top-level module): its argparse
# tree and a function per command.  It is allowed more, and no more than that.
MAX_LINES_OF = {"backroom.main": 900}


def project_modules() -> dict[str, Path]:
    """Every module of the installed package, by its dotted name."""
    found = {}
    for path in [*ROOT.glob("*.py"), *(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))]:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(["backroom", *parts])] = path
    return found


MODULES = project_modules()


def imports_of(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports, anywhere in the file (a
    function-level import is still a dependency)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in MODULES and t != name}
    return out


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"backroom.__main__"}))  # that one runs the app
def test_every_module_imports(name):
    importlib.import_module(name)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_data_layer_does_not_depend_on_the_screens():
    for name, deps in GRAPH.items():
        if name.startswith("backroom.datalayer") or name == "backroom.models":
            ui = {d for d in deps if d.startswith(("backroom.tui", "backroom.screens", "backroom.main"))}
            assert not ui, f"{name} imports {sorted(ui)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_700_lines(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES_OF.get(name, MAX_LINES), f"{MODULES[name].relative_to(ROOT)} has {lines} lines"


def test_every_package_is_installed():
    """pyproject.toml lists the packages a wheel carries: a new subpackage
    left out of it imports in the work tree and fails in a clean install."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {"backroom"} | {".".join(["backroom", *init.parent.relative_to(ROOT).parts])
                               for pkg in PACKAGES for init in (ROOT / pkg).rglob("__init__.py")}
    assert packages - listed == set()
