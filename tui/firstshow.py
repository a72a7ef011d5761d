"""Screens brought to the front without styling every widget again.

Textual styles each widget as it is mounted, then, each time a screen is
brought to the front (its ScreenResume: twice for an area's screen opened
for the first time, once on every F2/F3/F4 back to an area), styles every
widget on it again: on the Customers list and the group form that was a
third of the time from the key to the screen, and it throws away what the
widgets had drawn, so the frame is drawn from scratch too.

The styles of a screen behind another one go stale only if something they
depend on changes meanwhile: a widget's own classes, focus or hover
restyle that widget wherever it is; the theme (and the terminal's colours)
restyles every screen of the app when it changes, and ``switch_mode`` and
``push_screen`` check again; what is left is the app's own classes and
pseudo-classes (focus/blur of the terminal window, a class added to the
app), which Textual restyles on the screens in front only.  The app counts
those changes (:attr:`BackroomApp.styles_epoch <backroom.tui.app.BackroomApp>`):
a screen that comes back with the count as it was when it left the front
(or was mounted) keeps its styles; otherwise it is styled again, as Textual
does.
"""

from __future__ import annotations

from typing import Any

from textual import events


def styles_epoch(app: Any) -> tuple[int, int] | None:
    """What a screen's styles depend on beyond its own widgets, as a count
    of changes (None: an app that does not count them)."""
    epoch = getattr(app, "styles_epoch", None)
    return None if epoch is None else (epoch, app._css_update_count)


class StyledOnMount:
    """Mixin for a screen (listed before ``Screen``): a ScreenResume keeps
    the styles its widgets have unless the app's styles changed since the
    screen was mounted or last left the front."""

    _styled_for: tuple[int, int] | None = None  # the app's styles_epoch() its styles were last made for

    def _on_mount(self, event: events.Mount) -> None:
        screen: Any = self
        self._styled_for = styles_epoch(screen.app)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        screen: Any = self
        epoch = styles_epoch(screen.app)
        if epoch is not None and epoch == self._styled_for:
            event.refresh_styles = False
        self._styled_for = epoch  # (styled again now if it had changed)

    def _on_screen_suspend(self) -> None:
        screen: Any = self
        self._styled_for = styles_epoch(screen.app)
