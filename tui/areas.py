"""The areas of Backroom (Customers, Groups, Reviews), their keys, and the
bar that shows them at the top of every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

AREAS: tuple[tuple[str, str, str], ...] = (
    # mode, key, title
    ("customers", "f2", "Customers"),
    ("groups", "f3", "Groups"),
    ("reviews", "f4", "Reviews"),
)


class AreaBar(Horizontal):
    """The areas of Backroom and their keys, the current one highlighted."""

    def compose(self) -> ComposeResult:
        current = getattr(self.app, "current_mode", "")
        for mode, key, title in AREAS:
            label = Label(f" {key.upper()} {title} ", classes="area", id=f"area-{mode}", markup=False)
            label.set_class(mode == current, "-active")
            yield label
        yield Label("Ctrl+P: all commands", classes="area-help")
