"""Filter bars: fields that apply once typing pauses, and the customers
filter (text, status, group, registered between, spent range)."""

from __future__ import annotations

import time
from typing import Any, Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Select

from backroom import models
from backroom.tui.background import Background
from backroom.tui.safetext import SafeInput, line_text

DEBOUNCE_SECONDS = 0.15


FILTER_LABELS = {
    "text": "Find", "status": "Status", "group": "Group", "registered_from": "Registered from",
    "registered_to": "Registered to", "spent_min": "Spent from", "spent_max": "Spent to",
}


def clear_error(error: Label) -> None:
    """Empty a filter's error line, if it is not empty: emptied again, a
    label asks for a layout of its screen all the same.  A filter applied
    while its screen was built ahead (a field's first value) then left that
    screen to be laid out again on its key."""
    if error.content != "":
        error.update("")


class DebouncedFilter(Vertical):
    """Filter fields that apply once typing pauses.  The first keystroke in
    the :attr:`QUICK` field after a pause applies at once (its rows show
    without waiting); a burst of typing, and the other fields (a half-typed
    date would flash an error), apply when typing pauses.  Enter applies at
    once and posts :class:`Submitted`; so does Esc (the owner goes back to
    its list: a second Esc then leaves the screen).  Subclasses write :meth:`apply`,
    starting it with :meth:`_applying`, and post :class:`Changed` with the
    filter they parsed."""

    class Changed(Message):
        """What is typed is valid and narrows the list differently: ``filter``."""

        def __init__(self, bar: "DebouncedFilter", parsed_filter: Any) -> None:
            super().__init__()
            self.bar = bar
            self.filter = parsed_filter

        @property
        def control(self) -> "DebouncedFilter":
            return self.bar

    class Submitted(Message):
        """Enter in a filter field: the owner usually moves focus to its list."""

        def __init__(self, bar: "DebouncedFilter") -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> "DebouncedFilter":
            return self.bar

    QUICK = ""
    BINDINGS = [Binding("escape", "leave", "To the list", show=False,
                        tooltip="Apply the filter and go back to the list")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._timer: Timer | None = None
        self._applied_at = 0.0

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        quick = isinstance(event, Input.Changed) and event.input.id == self.QUICK
        if quick and self._timer is None and time.monotonic() - self._applied_at >= DEBOUNCE_SECONDS:
            self.apply()
            return
        self._cancel_pending()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.apply)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()
        self.post_message(self.Submitted(self))

    @property
    def applying_soon(self) -> bool:
        """What was typed waits for the debounce to apply."""
        return self._timer is not None

    def action_leave(self) -> None:
        self.apply()
        self.post_message(self.Submitted(self))

    def _cancel_pending(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _applying(self) -> None:
        """What every apply() starts with: no pending apply, and the time noted."""
        self._cancel_pending()
        self._applied_at = time.monotonic()

    def apply(self) -> None:
        raise NotImplementedError


class FilterBar(DebouncedFilter, Background):
    """Inputs for narrowing a customer list.  Posts :class:`FilterBar.Changed`
    with a parsed filter once typing pauses; errors are shown per field.
    The group codes offered are given, or set later with :meth:`set_groups`."""

    QUICK = "f-text"

    def __init__(self, *, full: bool = True, groups: Iterable[str] = (), id: str | None = None) -> None:
        super().__init__(id=id, classes="filter-bar")
        self.full = full
        self.group_codes = list(groups)
        self.filter = models.CustomerFilter()

    def set_groups(self, codes: Iterable[str]) -> None:
        """Offer these group codes in the Group field (read by the screen in a worker)."""
        self.group_codes = list(codes)
        if self.full:
            self.query_one("#f-group", Select).set_options([(line_text(c), c) for c in self.group_codes])

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Find", classes="filter-label")
            yield SafeInput(placeholder="name or email starts with…", id="f-text", compact=True,
                            classes="filter-text")
            if self.full:
                yield Label("Status", classes="filter-label")
                yield Select([(s, s) for s in models.CUSTOMER_STATUSES], prompt="any", id="f-status",
                             compact=True, classes="filter-select")
                yield Label("Group", classes="filter-label")
                yield Select([(line_text(c), c) for c in self.group_codes], prompt="any", id="f-group",
                             compact=True, classes="filter-select")
        if self.full:
            with Horizontal(classes="filter-row"):
                yield Label("Registered", classes="filter-label")
                yield SafeInput(placeholder="from", id="f-registered_from", compact=True, classes="filter-date")
                yield Label("–", classes="filter-dash")
                yield SafeInput(placeholder="to", id="f-registered_to", compact=True, classes="filter-date")
                yield Label("Spent", classes="filter-label")
                yield SafeInput(placeholder="min", id="f-spent_min", compact=True, classes="filter-money")
                yield Label("–", classes="filter-dash")
                yield SafeInput(placeholder="max", id="f-spent_max", compact=True, classes="filter-money")
        yield Label("", id="filter-error", classes="error", markup=False)

    def values(self) -> dict[str, str]:
        out = {"text": self.query_one("#f-text", Input).value}
        if self.full:
            for name in ("registered_from", "registered_to", "spent_min", "spent_max"):
                out[name] = self.query_one(f"#f-{name}", Input).value
            for name in ("status", "group"):
                value = self.query_one(f"#f-{name}", Select).value
                out[name] = "" if value is Select.NULL else str(value)
        return out

    def apply(self) -> None:
        """Parse what is typed now (in a worker: a group code is looked up)
        and, if it is valid and new, post Changed."""
        self._applying()
        values = self.values()
        self.run_job(lambda: models.build_filter(**values), self._parsed, name="filter", failed=self._invalid)

    def _parsed(self, flt: models.CustomerFilter) -> None:
        error = self.query_one("#filter-error", Label)
        clear_error(error)
        error.display = False
        if flt != self.filter:
            self.filter = flt
            self.post_message(self.Changed(self, flt))

    def _invalid(self, exc: BaseException) -> None:
        if not isinstance(exc, models.ValidationError):
            self.job_failed(exc)
            return
        error = self.query_one("#filter-error", Label)
        error.update("; ".join(f"{FILTER_LABELS.get(k, k)}: {v}" for k, v in exc.errors.items()))
        error.display = True
