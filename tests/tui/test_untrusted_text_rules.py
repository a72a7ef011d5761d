"""The screens' code keeps the rules that make stored text inert on screen,
checked on the source so that a new screen cannot forget them:

- every text input is a ``SafeInput`` (Textual's ``Input`` shows a value's
  control characters raw, straight to the terminal), and every multi-line
  one a ``SafeTextArea`` (the same of ``TextArea``);
- a label or static that can show anything but a fixed string (it has an id,
  so it is updated, or its content is computed) is never read as markup;
- a notification that is not a fixed string is never read as markup.

What the rules cannot see (what is interpolated) the hostile-text tests
check on the screen and in a real terminal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("screens", "tui") for p in (ROOT / folder).rglob("*.py"))


def calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)]


def called_name(call: ast.Call) -> str:
    """The name called; "" for ``super().name(...)`` (the app passing a
    notification on, made inert, to Textual)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and called_name(func.value) == "super":
        return ""
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def markup_off(call: ast.Call) -> bool:
    value = keyword(call, "markup")
    return isinstance(value, ast.Constant) and value.value is False


def fixed_string(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def where(path: Path, call: ast.Call) -> str:
    return f"{path.relative_to(ROOT)}:{call.lineno}"


def test_the_rules_see_the_code():
    """The checks below find what they look for (else they pass on nothing)."""
    found = [called_name(c) for p in SOURCES for c in calls(p)]
    assert found.count("SafeInput") > 20 and found.count("Label") > 30 and found.count("notify") > 30
    assert found.count("SafeTextArea") >= 1


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_text_input_is_a_safe_input(path):
    raw = [where(path, c) for c in calls(path) if called_name(c) == "Input"]
    assert not raw, f"Textual's Input shows control characters raw; use SafeInput: {raw}"
    raw = [where(path, c) for c in calls(path) if called_name(c) in ("TextArea", "code_editor")]
    assert not raw, f"Textual's TextArea shows control characters raw; use SafeTextArea: {raw}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_labels_that_change_are_never_markup(path):
    bad = [where(path, c) for c in calls(path)
           if called_name(c) in ("Label", "Static")
           and (keyword(c, "id") is not None or not fixed_string(c.args[0] if c.args else None))
           and not markup_off(c)]
    assert not bad, f"a label that shows computed text needs markup=False: {bad}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_computed_notifications_are_never_markup(path):
    bad = [where(path, c) for c in calls(path)
           if called_name(c) == "notify" and c.args and not fixed_string(c.args[0]) and not markup_off(c)]
    assert not bad, f"a notification of computed text needs markup=False: {bad}"
