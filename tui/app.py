"""Backroom's TUI: the application shell.

``main.py`` connects to the database and then runs
``BackroomApp(db_label=...).run()``.  Customers, Groups and Reviews are
modes, each with its own stack of screens, one function key away.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Iterable

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen

from backroom.screens.customers import CustomersScreen
from backroom.screens.groups import GroupsScreen
from backroom.screens.reviews import ReviewsScreen
from backroom.tui.areas import AREAS
from backroom.tui.keys import KeyHandled, KeyQueue, ScreenSettled

STYLES = Path(__file__).resolve().parent.parent / "styles"


def _own_actions(node: DOMNode) -> set[str]:
    """Actions bound by Backroom's own classes (not Textual's widget internals)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith(("backroom.screens.", "backroom.tui.")):
            for b in cls.__dict__.get("BINDINGS", []):
                actions.add(b.action if isinstance(b, Binding) else b[1])
    return actions


class _KeptStylesheet(Stylesheet):
    """Textual re-parses every stylesheet (its own widgets' too) each time a
    screen is shown for the first time: 0.3 s here, on every form and dialog.
    The result only changes when the sources or the CSS variables (the theme)
    do, so a re-parse with neither changed is skipped."""

    _parsed_with: dict[str, str] | None = None

    def reparse(self) -> None:
        if not self._require_parse and self._parsed_with == self._variables:
            return
        super().reparse()
        self._parsed_with = dict(self._variables)


class BackroomApp(App[None]):
    """The back office of an online shop."""

    TITLE = "Backroom"
    # Every stylesheet in styles/, app.tcss first, so a new screen only adds its own file.
    CSS_PATH = sorted(STYLES.glob("*.tcss"), key=lambda p: (p.name != "app.tcss", p.name))
    MODES = {"customers": CustomersScreen, "groups": GroupsScreen, "reviews": ReviewsScreen}
    BINDINGS = [
        Binding(key, f"area('{mode}')", title, tooltip=f"Open {title}", priority=True,
                show=False)
        for mode, key, title in AREAS
    ] + [Binding("ctrl+q", "quit", "Quit", tooltip="Quit Backroom", priority=True,
                                      show=False)]

    def __init__(self, db_label: str = "") -> None:
        super().__init__()
        self.stylesheet.__class__ = _KeptStylesheet
        self.sub_title = db_label
        self.key_queue = KeyQueue(self)

    def format_title(self, title: str, sub_title: str):  # type: ignore[override]
        """"Backroom · <screen>" — and the database, so it is always clear which one."""
        if title != self.TITLE:
            title = f"{self.TITLE} · {title}"
        return super().format_title(title, sub_title)

    def on_mount(self) -> None:
        self.switch_mode("groups")

    async def on_event(self, event: events.Event) -> None:
        """Every key goes through the key queue: one at a time, in order,
        held for a screen that is still loading (see tui/keys.py)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.key_queue.route(event, super().on_event)
            return
        await super().on_event(event)

    @on(KeyHandled)
    def key_handled(self, message: KeyHandled) -> None:
        self.key_queue.handled(message.key)

    @on(ScreenSettled)
    def screen_settled(self, message: ScreenSettled) -> None:
        self.key_queue.settled(message)

    def action_area(self, mode: str) -> None:
        """Show an area (keeping whatever was open in the others)."""
        if self.current_mode != mode:
            self.switch_mode(mode)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every area and every action of the current screen."""
        for mode, key, title in AREAS:
            yield SystemCommand(title, f"Open the {title} screen ({key.upper()})",
                                partial(self.action_area, mode))
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if (not binding.description or not active.enabled or binding.action.startswith("area(")
                    or binding.action not in _own_actions(active.node)):
                continue
            name = f"{binding.description}"
            if name in seen:
                continue
            seen.add(name)
            help_text = f"{binding.tooltip or binding.description} ({self.get_key_display(binding)})"
            yield SystemCommand(name, help_text, partial(self.run_action, binding.action, active.node))
        yield from super().get_system_commands(screen)
