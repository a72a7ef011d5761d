"""The screens, the TUI's widgets and the command line never touch the ORM:
they call operations of the data layer (``models``), which say what they
mean.  This reads their source (it imports nothing) and fails on:

- ``import peewee`` / ``from peewee import …`` (or playhouse);
- ``models.<Model>`` for any Peewee model in ``models.ALL_MODELS``, and
  ``models.db``, ``models.BaseModel``, ``models.pw``;
- ``models.<X>.select`` / ``.get`` / ``.get_or_none`` / ``.get_by_id`` /
  ``.where`` / ``.join`` (unless X is an UPPER_CASE constant: a dict's
  ``.get`` is no query);
- ``from backroom.models import <Model>``.

Type annotations are not checked: with ``from __future__ import
annotations`` they are never evaluated, and naming the type an operation
returns is not a query.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backroom import models

ROOT = Path(models.__file__).resolve().parent
FILES = sorted([*ROOT.glob("screens/**/*.py"), *ROOT.glob("tui/**/*.py"), ROOT / "main.py"])
ORM_NAMES = {m.__name__ for m in models.ALL_MODELS} | {"db", "BaseModel", "pw"}
QUERY_METHODS = {"select", "get", "get_or_none", "get_by_id", "where", "join"}
ORM_PACKAGES = {"peewee", "playhouse"}


def _annotations(tree: ast.AST) -> set[int]:
    """The ids of every node inside a type annotation."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    roots.append(arg.annotation)
            if node.returns is not None:
                roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(n) for root in roots for n in ast.walk(root)}


def orm_uses(source: str, filename: str = "<source>") -> list[str]:
    """Each use of the ORM in ``source``, as "line N: what"."""
    tree = ast.parse(source, filename)
    skip = _annotations(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in ORM_PACKAGES]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in ORM_PACKAGES:
                found.append(f"line {node.lineno}: from {module} import …")
            elif module.endswith("models"):
                found += [f"line {node.lineno}: from {module} import {a.name}" for a in node.names
                          if a.name in ORM_NAMES]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "models":
            if node.attr in ORM_NAMES:
                found.append(f"line {node.lineno}: models.{node.attr}")
        elif (isinstance(node, ast.Attribute) and node.attr in QUERY_METHODS
              and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name)
              and node.value.value.id == "models" and not node.value.attr.isupper()):
            found.append(f"line {node.lineno}: models.{node.value.attr}.{node.attr}")
    return sorted(set(found), key=lambda s: int(s.split()[1].rstrip(":")))


def test_there_is_something_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"main.py", "tui/app.py", "tui/background.py", "screens/groups/form.py", "screens/grants/explain.py",
            "screens/customer/account.py"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_orm_outside_the_data_layer(path):
    uses = orm_uses(path.read_text(encoding="utf-8"), str(path))
    assert not uses, f"{path.relative_to(ROOT)} touches the ORM; call an operation of models instead:\n  " + \
        "\n  ".join(uses)


def test_the_check_catches_each_kind_of_use():
    source = '''
from __future__ import annotations
import peewee as pw
from playhouse.shortcuts import model_to_dict
from backroom.models import Customer, Selection
from backroom import models

def f(c: models.Customer) -> list[models.Review]:
    x: models.CustomerGroup | None = None
    models.Product.select().join(models.Category)
    models.Customer.get_or_none(models.Customer.id == 1)
    models.something.where(1)
    models.db.close()
    models.RULE_FIELDS.get("status")
    return models.group_row(1), models.Selection.none()
'''
    uses = {u.split(": ", 1)[1] for u in orm_uses(source)}
    assert uses == {
        "import peewee", "from playhouse.shortcuts import …", "from backroom.models import Customer",
        "models.Product", "models.Product.select", "models.Category", "models.Customer",
        "models.Customer.get_or_none", "models.something.where", "models.db",
    }  # not the annotations (models.Review, models.CustomerGroup), not models.Selection
