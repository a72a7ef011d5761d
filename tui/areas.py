"""The areas of Backroom (Customers, Groups, Reviews), their keys, and the
bar that shows them at the top of every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from backroom.tui.statusline import PendingReviews, pending_text

AREAS: tuple[tuple[str, str, str], ...] = (
    # mode, key, title
    ("customers", "f2", "Customers"),
    ("groups", "f3", "Groups"),
    ("reviews", "f4", "Reviews"),
)


class AreaBar(Horizontal):
    """The areas of Backroom and their keys, the current one highlighted,
    and how many reviews wait for moderation (by the Reviews key)."""

    def compose(self) -> ComposeResult:
        current = getattr(self.app, "current_mode", "")
        for mode, key, title in AREAS:
            label = Label(f" {key.upper()} {title} ", classes="area", id=f"area-{mode}", markup=False)
            label.set_class(mode == current, "-active")
            yield label
        yield Label("Ctrl+P: all commands", classes="area-help")

    def on_mount(self) -> None:
        counter = getattr(self.app, "pending_reviews", None)
        if isinstance(counter, PendingReviews):
            counter.changed.subscribe(self, self.show_pending, immediate=True)
            if counter.count is not None:
                self.show_pending(counter.count)

    def show_pending(self, n: int | None) -> None:
        """" F4 Reviews · 12 pending ": in words, so it reads without colour."""
        key, title = next((k, t) for m, k, t in AREAS if m == "reviews")
        self.query_one("#area-reviews", Label).update(f" {key.upper()} {title}{pending_text(n)} ")
