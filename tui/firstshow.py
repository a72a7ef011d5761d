"""Screens shown for the first time without styling every widget twice.

Textual styles each widget as it is mounted, then, each time a screen is
brought to the front (its ScreenResume: twice for an area's screen opened
for the first time), styles every widget on it again: on the Customers
list and the group form that was a third of the time from the key to the
screen.  Until a screen has left the front once, nothing those styles
depend on has changed behind its back (a theme change restyles the screen
in front at once; a widget gaining or losing focus, hover or a class
restyles itself), so the styles it was mounted with stand.  Once it has
been behind another screen, coming back styles it again as Textual does.
"""

from __future__ import annotations

from textual import events


class StyledOnMount:
    """Mixin for a screen (listed before ``Screen``): until it has been
    suspended once, a ScreenResume keeps the styles its widgets were
    mounted with."""

    _suspended_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._suspended_once:
            event.refresh_styles = False

    def _on_screen_suspend(self) -> None:
        self._suspended_once = True
