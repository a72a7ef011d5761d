"""A screen for an area that a later issue builds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from backroom.tui.widgets import AreaBar


class PlaceholderScreen(Screen):
    """Says which area this is and that it is not built yet."""

    AREA = ""
    MESSAGE = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        with Middle(), Center():
            yield Static(f"{self.AREA}\n\n{self.MESSAGE}", classes="placeholder", markup=False)
        yield Footer(compact=True)
