"""The areas of Backroom (Customers, Groups, Reviews), their keys, and the
bar that shows them at the top of every screen; and the footer of every
screen (Textual's, without its repeated work)."""

from __future__ import annotations

from typing import Any

from textual import widgets
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Label
from textual.widgets._footer import FooterKey

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
        # The area of the screen this bar is on (a screen may be built ahead,
        # behind another area's).
        screen = self.screen
        stacks = getattr(self.app, "_screen_stacks", {})
        current = next((mode for mode, stack in stacks.items() if screen in stack),
                       getattr(self.app, "current_mode", ""))
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


class Footer(widgets.Footer):
    """Textual's footer, drawn the same, with less work on every screen.

    Textual builds a key of the footer and then gives it the ``-compact``
    class, styling it twice (a screen's footer has a dozen keys: a fifth of
    the first screen's styling); here a key is built with the class.  And
    Textual builds every key again each time the screen's bindings are
    told to have changed (focus moving, a screen loading), mostly to the
    same keys: here only when the keys it would show changed."""

    _shown: Any = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget
        self._shown = self._keys(self.screen) if self._bindings_ready else None

    def _keys(self, screen: Screen) -> tuple:
        """What compose() shows of ``screen``'s bindings."""
        active = screen.active_bindings
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return (self.compact, self.show_command_palette, palette and palette[1:],
                tuple((binding, enabled, tooltip) for _, binding, enabled, tooltip in active.values() if binding.show))

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._keys(screen) == self._shown:
            return  # the same keys: nothing to build again
        super().bindings_changed(screen)
