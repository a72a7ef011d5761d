"""What the tabs of the customer screen share.

A :class:`CustomerTab` is one tab pane.  It shows "Loading…" until it is
first shown; then it reads its data in a worker (:meth:`fetch`), composes its
content (:meth:`compose_content`) and fills it (:meth:`show_data`).  It saves
its own part and tells the screen by messages: :class:`CustomerTab.Changed`
when an operation wrote to the customer, :class:`CustomerTab.Status` for the
status line.  The screen hands every tab the customer and the version the
forms save against (:meth:`set_customer`); tabs never reach into each other.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, TabbedContent, TabPane

from backroom import models
from backroom.tui.background import Background, error_message
from backroom.tui.forms import Form, errors_text


class CustomerTab(TabPane, Background):
    """One tab of the customer screen, composed the first time it is shown."""

    TITLE = ""
    PANE_ID = ""
    FIRST = ""  # selector of the widget that gets focus when the tab is shown

    class Changed(Message):
        """An operation of this tab wrote to the customer: ``write`` says what."""

        def __init__(self, tab: "CustomerTab", write: models.CustomerWrite) -> None:
            super().__init__()
            self.tab = tab
            self.write = write

        @property
        def control(self) -> "CustomerTab":
            return self.tab

    class Status(Message):
        """A line for the screen's status bar (``busy``: an operation runs)."""

        def __init__(self, tab: "CustomerTab", text: str, busy: bool = False) -> None:
            super().__init__()
            self.tab = tab
            self.text = text
            self.busy = busy

        @property
        def control(self) -> "CustomerTab":
            return self.tab

    def __init__(self, customer_id: int) -> None:
        super().__init__(self.TITLE, id=self.PANE_ID)
        self.customer_id = customer_id
        self.customer: models.Customer | None = None
        self.version = 0
        self.loaded = False  # composed with its data, ready to use
        self._has_content = False  # compose() yields the content, not "Loading…"
        self._wanted = False  # shown at least once: load as soon as the customer is known
        self._loading = False
        self._focus_pending = False
        self._failed = False  # the last load failed (F5 tries again)
        self._draft: dict[str, Any] | None = None  # a draft's values, put back once loaded
        self._generation = 0  # a reset (F5) makes loads still running stale

    # -- what a tab writes -----------------------------------------------------
    def fetch(self) -> Any:
        """Read this tab's data (in a worker thread: use no widget here)."""
        return None

    def compose_content(self) -> ComposeResult:
        raise NotImplementedError

    def show_data(self, data: Any) -> None:
        """Fill the composed content with ``data`` (also on every reload)."""

    def customer_updated(self) -> None:
        """The screen handed over a newer customer (the tab is composed)."""

    def is_dirty(self) -> bool:
        return False

    def draft_values(self) -> dict[str, Any] | None:
        """What the screen's draft keeps of this tab: its unsaved values (None: nothing)."""
        return None

    def apply_draft_values(self, values: dict[str, Any]) -> None:
        """Put back what :meth:`draft_values` gave (the tab is loaded)."""

    def draft_part(self) -> dict[str, Any] | None:
        """This tab's part of the screen's draft: a restored part not yet put
        back (the tab still loading), else its unsaved values."""
        return self._draft if self._draft is not None else self.draft_values()

    def restore_draft(self, values: dict[str, Any]) -> None:
        """Put a draft's values back: now if the tab is loaded, else once it is
        (it loads now, in the background)."""
        if self.loaded:
            self.apply_draft_values(values)
            return
        self._draft = values
        self._wanted = True
        if self.customer is not None:
            self.load()

    @property
    def pending(self) -> bool:
        """Shown, and its content still on the way: keys typed meanwhile wait
        for it (the screen holds them)."""
        return self._wanted and not self.loaded and not self._failed

    def _keys_may_go(self) -> None:
        """The keys the screen held for this tab go on (it loaded, or failed to)."""
        release = getattr(self.screen, "release_keys", None)
        if release is not None:
            release()

    # -- lifecycle ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        if not self._has_content:
            yield Label("Loading…", classes="status tab-loading", markup=False)
            return
        yield from self.compose_content()

    def set_customer(self, customer: models.Customer, version: int) -> None:
        first = self.customer is None
        self.customer, self.version = customer, version
        if first and self._wanted:
            self.load()
        elif self.loaded:
            self.customer_updated()

    def show(self, *, focus: bool = True) -> None:
        """The tab is on screen: load it the first time; focus its first widget."""
        self._wanted = True
        if focus:
            self.focus_first()
        if self.customer is not None and not self.loaded:
            self.load()

    @on(TabPane.Focused)
    def _focused_late(self, event: TabPane.Focused) -> None:
        # A focus given while this tab was in front can be reported after the
        # admin moved on (keys typed ahead): it must not bring the tab back.
        if not self.is_active():
            event.stop()

    def focus_first(self) -> None:
        if self.loaded:
            self._focus_pending = False
            # At once, not after the keys already queued (widget.focus() waits
            # for them): what the admin types ahead lands in this tab.
            self.screen.set_focus(self.query_one(self.FIRST))
        else:
            self._focus_pending = True

    def load(self) -> None:
        """Read the data again (the first time: then compose with it)."""
        if not self.loaded:
            if self._loading:
                return
            self._loading = True
            self._failed = False
        generation = self._generation

        def done(data: Any) -> None:
            if generation == self._generation:
                self._fetched(data)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._fetch_failed(exc)

        self.run_job(self.fetch, done, name="load", failed=failed)

    def _fetched(self, data: Any) -> None:
        if self.loaded:
            self.show_data(data)
        else:
            self.call_later(self._compose_with, data, self._generation)

    async def _compose_with(self, data: Any, generation: int) -> None:
        if generation != self._generation:
            return
        self.data = data
        self._has_content = True
        await self.recompose()
        if generation != self._generation:  # reset (F5) meanwhile
            return
        self.loaded, self._loading = True, False
        self.ready()
        self.show_data(data)
        if self._draft is not None:
            draft, self._draft = self._draft, None
            self.apply_draft_values(draft)
            changed = getattr(self.screen, "draft_changed", None)
            if changed is not None:
                changed()
        if self._focus_pending and self.is_active():
            self.focus_first()
        self._keys_may_go()

    def ready(self) -> None:
        """The content is composed: e.g. note the form's values as saved."""

    def _fetch_failed(self, exc: BaseException) -> None:
        if not self.loaded:
            self._loading = False
            self._failed = True
            self.query_one(".tab-loading", Label).update(f"Could not load: {error_message(exc)} (F5 reloads)")
            self._keys_may_go()
        self.job_failed(exc)

    def reset(self) -> None:
        """Forget the content: shown next, the tab loads afresh (F5)."""
        self.loaded = self._loading = self._wanted = self._focus_pending = self._has_content = False
        self._failed = False
        self._draft = None
        self.customer = None
        self._generation += 1
        self.call_later(self.recompose)

    def is_active(self) -> bool:
        try:
            return self.query_ancestor(TabbedContent).active == self.id
        except Exception:  # noqa: BLE001 - not in a TabbedContent (any more)
            return False

    # -- talking to the screen ---------------------------------------------------
    def status(self, text: str, *, busy: bool = False) -> None:
        self.post_message(self.Status(self, text, busy))

    def changed(self, write: models.CustomerWrite) -> None:
        self.post_message(self.Changed(self, write))

    def save_failed(self, exc: BaseException, form: Form) -> None:
        """An operation refused what the form holds: say why, keep the form."""
        if isinstance(exc, models.ValidationError):
            other = form.show_errors(exc.errors)
            form.focus_first_error(exc.errors)
            self.status("Not saved: correct the fields marked in red.")
            if other:
                self.notify(errors_text(other), severity="error", markup=False)
            return
        title = "Changed by someone else" if isinstance(exc, models.ConflictError) else "Not saved"
        self.status(f"Not saved: {error_message(exc)} (F5 reloads)")
        self.notify(error_message(exc), title=title, severity="error", timeout=10, markup=False)
