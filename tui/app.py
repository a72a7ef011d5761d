"""Backroom's TUI: the application shell.

``main.py`` connects to the database and then runs
``BackroomApp(db_label=...).run()``.  Customers, Groups and Reviews are
modes, each with its own stack of screens, one function key away.

An unexpected error stops the app as Textual does (the terminal restored,
:attr:`BackroomApp.return_code` 1), but its report is
:mod:`backroom.tui.crash`'s, written to a file without personal data, in
place of Textual's traceback with every frame's variables;
:attr:`BackroomApp.crash_report` is its path, for ``main.py`` to print.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.geometry import Region
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widget import AwaitMount, Widget
from textual.widgets._toast import ToastRack

from backroom import models
from backroom.tui import collector
from backroom.tui.areas import AREAS
from backroom.tui.crash import write_report
from backroom.tui.dialogs import ConfirmModal, KeysScreen
from backroom.tui.keys import HoldsKeys, KeyHandled, KeyQueue, ScreenSettled
from backroom.tui.safetext import safe_block, safe_line
from backroom.tui.statusline import PendingReviews

STYLES = Path(__file__).resolve().parent.parent / "styles"


# The areas' screens are imported when first opened, so that starting
# Backroom imports only what its first screen (the Groups list) needs; the
# ones its keys open most are imported once it is drawn with its data
# (WARM_UP).  (Importing them in a thread once it was drawn was tried:
# competing for the interpreter, it delayed the first screen's rows and F2
# alike.)
def _customers_screen() -> Screen:
    from backroom.screens.customers import CustomersScreen

    return CustomersScreen()


def _groups_screen() -> Screen:
    from backroom.screens.groups import GroupsScreen

    return GroupsScreen()


def _reviews_screen() -> Screen:
    from backroom.screens.reviews import ReviewsScreen

    return ReviewsScreen()


# What the keys of the first screen open most (F2, F4; a and v on the Groups
# list), imported once that screen is drawn with its data, while the admin
# reads it (see BackroomApp.first_screen_shown).
WARM_UP = ("backroom.screens.customers", "backroom.screens.groups.form", "backroom.screens.reviews",
           "backroom.screens.groups.view")


# The areas whose screen is built once those are imported, behind the first
# screen, so that their key shows them at once (F4: the Reviews screen took a
# third of a second to build, style and lay out).  Such a screen must honour
# ``built_ahead`` (set before it is mounted): it reads its data when it is
# first shown, not while it waits unseen, so that it shows the data of that
# moment.
BUILT_AHEAD = ("customers", "reviews")
# ... once no key has come for this long, and the first screen has been shown
# for this long (the keys of an admin who acts at once come first).
AHEAD_AFTER_KEYS = 0.3
AHEAD_AFTER_SHOWN = 0.6
# ... but these are built first, before the imports of WARM_UP, as soon as
# no key has come for AHEAD_AFTER_KEYS: F2, the key pressed most on the first
# screen, found the Customers list not built yet when pressed within 0.6 s,
# and built it then (110 widgets mounted, styled, laid out and drawn: most
# of F2).  Pressed while the list is being built ahead, F2 waits for what it
# would have built itself; another key waits for the step under way (or
# the mount, which cannot be paused).
BUILT_AT_ONCE = ("customers",)


# The garbage collector, paused by main.py while the app starts (see
# tui/collector.py), runs again this long after the app is mounted at the
# latest.
COLLECTOR_PAUSED_AT_MOST = 3.0

_frozen = False  # has an app of this process frozen the objects alive (first_screen_shown)?


def _quiet(screen: Screen) -> bool:
    """Nothing is waiting to be handled on ``screen``: no message for it or
    any of its widgets (their scrollbars too), no callback for after its
    next refresh, and no widget about to ask for a layout of it."""
    if screen._callbacks:
        return False
    for node in (screen, *screen.walk_children()):
        for part in (node, *node._get_virtual_dom()) if isinstance(node, Widget) else (node,):
            queue = part.__dict__.get("_message_queue")
            if (queue is not None and queue.qsize()) or (part is not screen and part._layout_required):
                return False
    return True


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

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):  # type: ignore[override]
        """Each source parsed once (for the CSS variables of the time).

        Textual parses *every* source again each time a widget class is first
        mounted (its DEFAULT_CSS joins them): on the Add group form, Select
        and the tabs' widgets cost a full parse each, ~50 ms apiece.  A
        source's rules depend only on its text, where it came from and the
        variables, so they are kept and reused."""
        kept = self.__dict__.setdefault("_kept_rules", {})
        if kept.get("variables") != self._variables:
            kept.clear()
            kept["variables"] = dict(self._variables)
        key = (css, read_from, is_default_rules, tie_breaker, scope)
        rules = kept.get(key)
        if rules is None:
            rules = kept[key] = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
        return rules

    def reparse(self) -> None:
        """Textual's reparse (into a fresh stylesheet, so that an error leaves
        this one as it was), reusing the rules of each source parsed before."""
        if not self._require_parse and self._parsed_with == self._variables:
            return
        stylesheet = _KeptStylesheet(variables=self._variables)
        stylesheet.__dict__["_kept_rules"] = self.__dict__.setdefault("_kept_rules", {})
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            stylesheet.add_source(css, read_from=read_from, is_default_css=is_defaults, tie_breaker=tie_breaker,
                                  scope=scope)
        try:
            stylesheet.parse()
        except Exception:
            self._invalid_css.update(stylesheet._invalid_css)
            raise
        self._rules = stylesheet.rules
        self._rules_map = None
        self.source = stylesheet.source
        self._require_parse = False
        self._parsed_with = dict(self._variables)


class BackroomApp(App[None]):
    """The back office of an online shop."""

    TITLE = "Backroom"
    # Every stylesheet in styles/, app.tcss first, so a new screen only adds its own file.
    CSS_PATH = sorted(STYLES.glob("*.tcss"), key=lambda p: (p.name != "app.tcss", p.name))
    MODES = {"customers": _customers_screen, "groups": _groups_screen, "reviews": _reviews_screen}
    BINDINGS = [
        Binding(key, f"area('{mode}')", title, tooltip=f"Open {title}", priority=True,
                show=False)
        for mode, key, title in AREAS
    ] + [Binding("ctrl+q", "quit", "Quit", tooltip="Quit Backroom", priority=True,
                                      show=False),
         Binding("question_mark,f1", "keys", "Keys", tooltip="The keys of this screen", show=False),
         Binding("f9", "history", "History", show=False,
                 tooltip="The audit log: who changed what, newest first, filtered")]

    def __init__(self, db_label: str = "", admin: models.AdminRow | None = None) -> None:
        super().__init__()
        self.stylesheet.__class__ = _KeptStylesheet
        # Who is at the keyboard (None: no admins configured, everything allowed).
        self.admin = admin
        # The admin first: a long database URL is cut short at the right.
        self.sub_title = f"{admin.name} ({admin.role}) · {db_label}" if admin else db_label
        # Drafts are kept per database, and per admin: admins sharing one OS account
        # over SSH must not be offered each other's unsaved work.
        self.db_label = f"{db_label} as {admin.name}" if admin else db_label
        self.key_queue = KeyQueue(self)
        self.crash: BaseException | None = None  # the first unexpected error, if one stopped the app
        self.crash_report: Path | None = None  # where its report was written
        self.pending_reviews = PendingReviews(self)  # the count by F4 on every screen
        self._warming: list[str] | None = None  # the modules first_screen_shown() has yet to import
        # Changes of the app's own classes and pseudo-classes (see tui/firstshow.py).
        self.styles_epoch = 0
        self._modes = {mode: partial(self._area_screen, make) for mode, make in self._modes.items()}

    def first_screen_shown(self) -> None:
        """The first screen is drawn, with its data: build the screens of
        :data:`BUILT_AT_ONCE` (see :meth:`build_ahead`) as soon as no key is
        coming; import the screens its keys open most (:data:`WARM_UP`), one
        module a step on the event loop, so a key pressed meanwhile waits for
        one import at most (and its screen would have imported the module
        anyway); then build the other screens of :data:`BUILT_AHEAD`, one
        after the other, once the admin pauses; then freeze what is alive out
        of the garbage collector's way.  Done once."""
        if self._warming is not None:
            return
        collector.resume()  # (paused by main.py while the app started)
        self._warming = [name for name in WARM_UP if name not in sys.modules]
        ahead = list(BUILT_AHEAD)
        shown = time.monotonic()

        def step() -> None:
            busy = self.key_queue.recently_busy(AHEAD_AFTER_KEYS)
            if ahead and ahead[0] in BUILT_AT_ONCE and not busy:
                self.build_ahead(ahead.pop(0), step)
            elif self._warming:
                importlib.import_module(self._warming.pop(0))
                self.call_later(step)
            elif ahead:
                if busy or (ahead[0] not in BUILT_AT_ONCE and time.monotonic() - shown < AHEAD_AFTER_SHOWN):
                    # Not while the admin types: built when idle a moment
                    # (its mount cannot be paused once started).
                    self.set_timer(0.05, step, name="built ahead")
                    return
                self.build_ahead(ahead.pop(0), step)
            else:
                # What is alive now (modules, classes, the app) lives as long as
                # the app: out of the collector's way.  A full collection went
                # over all of it, 80-140 ms, in the middle of a key (it fell on
                # the Add group form); now it goes over what is made later.  (The
                # few thousand objects of garbage there may be now are kept.)
                # Once a process: a second app's (a test's) would keep the
                # first one's garbage for good.
                global _frozen
                if not _frozen:
                    _frozen = True
                    gc.freeze()

        self.call_after_refresh(step)

    def build_ahead(self, mode: str, then: Callable[[], object] = lambda: None) -> None:
        """Build the screen of area ``mode`` behind the one in front, then
        call ``then``: mounted, styled, laid out for the terminal as it is
        and drawn once unseen (its widgets keep the lines they drew), it
        comes to the front at once when its key is pressed, as an area
        shown before does.  It is made with ``built_ahead`` set, and reads
        its data when first shown; once drawn, its ``warm_up()`` (if any)
        makes that first read once, thrown away, so that the one on its
        key is not the first of the process (slower by half).

        In steps on the event loop, so that keys are not kept waiting: the
        widgets are mounted by their own tasks, a few at a time (unlike
        Textual's switch_mode, whose mount holds every key); the layout and
        the drawing wait while keys are being handled (and a moment after
        the last), and draw a few widgets a step.  Nothing is done for an
        area that has its screen already."""
        if self._screen_stacks.get(mode) or mode not in self._modes or self._closing:
            self.call_later(then)
            return
        screen = self._modes[mode]()
        screen.built_ahead = True  # type: ignore[attr-defined]
        self._screen_stacks[mode] = [screen]
        self._load_screen_css(screen)
        self._register(self, screen)
        looks = [0]
        layouts = [0]
        widgets: list[tuple[Widget, Region]] = []

        def later(step: Callable[[], None]) -> bool:
            """Not now (and ``step`` again in a moment) if the screen is not
            mounted and quiet yet, or keys are being handled."""
            looks[0] += 1
            ready = screen.is_mounted and _quiet(screen) and not self.key_queue.recently_busy(AHEAD_AFTER_KEYS)
            if ready or looks[0] > 250:  # (5 s at most)
                return False
            self.set_timer(0.02, step, name="built ahead")
            return True

        def lay_out() -> None:
            if not screen.is_attached or later(lay_out):
                return  # (detached: the app is closing)
            if not screen.is_current:  # (else its key was pressed meanwhile: laid out as it came)
                # Textual shows a screen's notifications each time it comes to
                # the front, setting its toast rack's display (hidden by its
                # default style) on the widget itself: the first time, that is
                # a change, and the whole screen was laid out again on its key.
                # Set now, with no toast to show it is no change then.
                for rack in screen.query(ToastRack):
                    rack.display = False
                screen._refresh_layout(self.size)
                # (What Textual does after a layout of the screen in front:
                # else the first frame on its key laid the screen out again.)
                screen._layout_required = False
                layouts[0] += 1
                widgets[:] = [(w, Region(0, 0, r.width, r.height))
                              for w, (r, _) in screen._compositor.visible_widgets.items()]
            self.call_later(draw)

        def draw() -> None:
            # Drawn unseen, a few widgets a step: the first drawing of a
            # screen is most of the cost of its first frame; F4 then draws
            # again only what changed by then.
            if not screen.is_attached or screen.is_current:
                widgets.clear()
            elif later(draw):
                return
            elif screen._layout_required and layouts[0] < 4:
                # Laid out, its widgets were told their sizes, and some of
                # them (the header, the footer's keys, the filter's fields)
                # asked for a layout again: done now, unseen, not on its key.
                self.call_later(lay_out)
                return
            began = time.perf_counter()
            while widgets and time.perf_counter() - began < 0.008:
                widget, region = widgets.pop(0)
                if widget.is_attached:
                    widget.render_lines(region)
            again = screen.is_attached and not screen.is_current and screen._layout_required and layouts[0] < 4
            self.call_later(draw if widgets or again else warm)

        def warm() -> None:
            # Drawn, and no key being handled (draw's last step waited for
            # that): the screen's first read once, thrown away, so that the
            # one made when it is first shown is not the first of the process.
            warm_up = getattr(screen, "warm_up", None)
            if warm_up is not None and screen.is_attached and not screen.is_current:
                warm_up()
            then()

        self.call_later(lay_out)

    def hold_frames(self, most: float = 0.1, *,
                    released: Callable[[], object] | None = None) -> Callable[[], None]:
        """Draw nothing new until the function returned is called (or
        ``most`` seconds have passed): the screen being left stays on the
        terminal while the one coming reads what it shows, and then comes in
        one frame, laid out and drawn once (as Textual's switch_mode holds
        frames while a new area's screen is built).  ``released`` is called
        when the frames go on, either way."""
        self._begin_batch()
        held = [True]

        def release() -> None:
            if held[0]:
                held[0] = False
                self._end_batch()
                if not self._batch_count:
                    self.screen.refresh()
                if released is not None:
                    released()

        self.set_timer(most, release, name="frames held")
        return release

    def _area_screen(self, make: Callable[[], Screen]) -> Screen:
        """An area's list, made when the area is first opened.  Its widgets
        are styled as they mount, as a pushed screen's are; but Textual,
        opening a new mode, also restyles every widget of the app, twice
        (refresh_css: a fifth of F2), for a screen not yet up to date with
        the theme.  A new screen bringing no CSS of its own is up to date."""
        screen = make()
        if not (screen.CSS or screen.CSS_PATH):
            screen._css_update_count = self._css_update_count
        return screen

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's, but an area whose screen is there already (shown
        before) comes to the front in the next frame.  Textual holds every
        frame back for 50 ms (``delay_update``) so as not to show a new
        area's screen half-built; one that is built has nothing to hide,
        and those 50 ms were a third of F3 back to the Groups list."""
        stack = self._screen_stacks.get(mode)
        if mode == self.current_mode or not (stack and stack[-1].is_mounted):
            return super().switch_mode(mode)
        self._undelayed = True
        try:
            return super().switch_mode(mode)
        finally:
            self._undelayed = False

    _undelayed = False

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._undelayed:
            super().delay_update(delay)

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        if node is self:  # the app's classes changed: Textual restyles the screens in front only
            self.styles_epoch += 1
        super().update_styles(node, animate)

    def _watch_app_focus(self, focus: bool) -> None:
        self.styles_epoch += 1  # :focus / :blur of the app: Textual restyles the screen in front only
        super()._watch_app_focus(focus)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:  # type: ignore[override]
        """Run an action; one the admin's role does not allow (not offered,
        but its key pressed anyway) says which role it needs instead."""
        if await super().run_action(action, default_namespace, namespaces):
            return True
        target, name, _ = self._parse_action(action, self if default_namespace is None else default_namespace,
                                             namespaces)
        why = getattr(target, "role_refusal", None)
        message = why(name) if why is not None else None
        if message:
            self.notify(message, severity="warning", markup=False)
            return True
        return False

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error anywhere in the app (a handler, a worker, a
        timer): Textual's own handling, but for the report.  Textual keeps
        the error (``run_test`` raises it again, for the tests) and stops the
        app with return code 1; its report would be a traceback showing every
        frame's variables, on the terminal.  Here: a file with none (see
        tui/crash.py), and nothing printed but by main.py."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        if self.crash is None:
            self.crash = error
            self.crash_report = write_report(error, screen=self._screen_name())
        self._close_messages_no_wait()

    def _screen_name(self) -> str:
        try:
            return f"{type(self.screen).__name__} (in {self.current_mode})"
        except Exception:  # noqa: BLE001 - no screen yet, or none left
            return ""

    def format_title(self, title: str, sub_title: str):  # type: ignore[override]
        """"Backroom · <screen>" — and the database, so it is always clear which
        one.  Every header shows its title through here: made inert, since a
        title may name a customer or a group."""
        title = safe_line(title)
        if title != self.TITLE:
            title = f"{self.TITLE} · {title}"
        return super().format_title(title, safe_line(sub_title))

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification (a widget's or a screen's comes here too) made
        inert: it may quote a name or an error message.  Callers pass
        ``markup=False`` when the message holds text from the database."""
        super().notify(safe_block(message), title=safe_line(title), severity=severity, timeout=timeout,
                       markup=markup)

    def on_mount(self) -> None:
        # The workers' connections are kept for the next job (a connection
        # took up to 230 ms to open on MariaDB, on every list and form).
        models.pool_connections()
        # The collector, paused while the app starts, is resumed when the
        # first screen is drawn with its data (first_screen_shown), or a few
        # seconds from now at the latest, whatever that screen is.
        self.set_timer(COLLECTOR_PAUSED_AT_MOST, collector.resume, name="collector resumed")
        self.pending_reviews.start()
        # A moderator's work is the reviews; everyone else starts on the groups.
        self.switch_mode("reviews" if self.admin is not None and self.admin.role == "moderator" else "groups")

    async def on_event(self, event: events.Event) -> None:
        """Every key goes through the key queue: one at a time, in order,
        held for a screen that is still loading (see tui/keys.py)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.key_queue.route(event, super().on_event)
            return
        if isinstance(event, events.Paste) and not event.is_forwarded:
            if event is not self.key_queue.in_flight:
                # Whatever input it lands in (the command palette's too),
                # pasted text never carries a control character to the screen.
                event.text = safe_block(event.text)
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
        """F2, F3, F4: the area's list.  What is open on top of it there (a
        form, a customer, a dialog) is closed, but a form with unsaved
        changes asks first, in front."""
        if CommandPalette.is_open(self):
            # The palette belongs to the area it was opened in: left open
            # there, the next Ctrl+P would open a second one (DuplicateIds).
            self.pop_screen()
        if self.current_mode != mode:
            self.switch_mode(mode)
        self.back_to_list(mode)

    def back_to_list(self, mode: str) -> None:
        """Close the screens above the list of the area in front, one at a
        time from the top; stop at one that is busy saving, and ask before
        closing one with unsaved changes (:meth:`unsaved_changes` on it)."""
        while self.current_mode == mode and len(self.screen_stack) > 1:
            top = self.screen
            if getattr(top, "saving", False) or getattr(top, "busy", False):
                self.notify("Saving… please wait, then try again.", severity="warning")
                return
            unsaved = getattr(top, "unsaved_changes", None)
            typed = isinstance(top, HoldsKeys) and top.has_held_keys()  # for a form still loading
            if typed or (unsaved is not None and unsaved()):
                area = next(title for m, _, title in AREAS if m == mode)

                def answered(yes: bool | None, top: Screen = top) -> None:
                    if yes and self.screen is top:
                        discard = getattr(top, "discard_changes", None)
                        if discard is not None:
                            discard()
                        self.pop_screen()
                        self.back_to_list(mode)

                self.push_screen(ConfirmModal(
                    "Discard changes?", f"{top.title or 'This screen'} has unsaved changes. Discard them "
                    f"and go to the {area} list?", yes="Discard", no="Keep editing"), answered)
                return
            closing = getattr(top, "closing", None)
            if closing is not None:
                closing()  # nothing unsaved: no draft to keep
            self.pop_screen()

    def action_history(self) -> None:
        """F9 (or the palette's History), from every area: the audit log."""
        from backroom.screens.history import HistoryScreen

        if not isinstance(self.screen, (HistoryScreen, ModalScreen)):
            self.push_screen(HistoryScreen())

    def action_keys(self) -> None:
        """? or F1: the keys of the screen in front, read from its bindings."""
        screen = self.screen
        if isinstance(screen, KeysScreen):
            screen.dismiss(None)
            return
        here: dict[tuple[int, str], tuple[list[str], Binding]] = {}
        everywhere: dict[tuple[int, str], tuple[list[str], Binding]] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if (not binding.description or not active.enabled
                    or binding.action not in _own_actions(active.node)):
                continue
            group = everywhere if active.node is self else here
            keys, _ = group.setdefault((id(active.node), binding.action), ([], binding))
            display = self.get_key_display(Binding(key, binding.action))
            if display not in keys:
                keys.append(display)
        rows = [(" / ".join(keys), b.description, b.tooltip) for keys, b in here.values()]
        common = [(" / ".join(keys), b.description, b.tooltip) for keys, b in everywhere.values()]
        common.append(("^p", "All commands", "Search every command of this screen (the palette)"))
        self.push_screen(KeysScreen(screen.title or self.TITLE, rows, common))

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
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Keys"):  # ours are above: one of each
                yield command
