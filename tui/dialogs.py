"""Modal dialogs shared by every area: a confirmation, a base for dialogs
that ask for one typed value, and the keys of the screen in front."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import _time, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from backroom.tui.keys import DropsEarlyKeys
from backroom.tui.safetext import SafeInput, safe_line


# A change to this many customers or reviews or more is confirmed by typing
# the count; a smaller one by Tab and Enter.
TYPE_THE_COUNT_FROM = 10


def count_to_type(n: int) -> str | None:
    """What a confirmation of a change to ``n`` customers or reviews asks to
    be typed (``ConfirmModal(typed=...)``): the count when it is big, else
    None."""
    return f"{n:,}" if n >= TYPE_THE_COUNT_FROM else None


def typed_matches(value: str, wanted: str) -> bool:
    """``value`` is what a confirmation asked to be typed (see _typed_form)."""
    return _typed_form(value) == _typed_form(wanted)


def _typed_form(value: str) -> str:
    """What is compared when a confirmation is typed: case, spaces and
    thousands separators do not matter ("1,234" is 1234)."""
    return "".join(value.split()).replace(",", "").casefold()


class ConfirmModal(DropsEarlyKeys, ModalScreen[bool]):
    """Ask before doing something; dismisses with True to go ahead.

    No letter answers it, and the keys typed before it was drawn are dropped
    (they were typed for the screen behind: the ``y`` of ``/dyson`` once
    confirmed a delete that its ``d`` had asked for).  Esc always keeps
    things as they are.  To go ahead:

    - ``typed`` None: the safe button has focus (Enter on it cancels);
      Tab (or ←/→) to the yes button, then Enter.  The
      button does nothing for :attr:`ARM_SECONDS` after the dialog is drawn,
      so a key already on its way cannot press it.
    - ``typed`` given (a group code, a count): type it in the box, then
      Enter; for changes too big to undo by hand.
    """

    ARM_SECONDS = 0.4
    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel", tooltip="Close without doing anything"),
        Binding("left", "app.focus_previous", "Previous button", show=False),
        Binding("right", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, title: str, question: Text | str, *, yes: str = "Yes", no: str = "No",
                 typed: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes_label = yes
        self.no_label = no
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-body", markup=False)
            if self.typed is not None:
                prompt = Text("Type ")
                prompt.append(safe_line(self.typed), style="bold")
                prompt.append(f" and press Enter to {self.yes_label.lower()}:")
                yield Static(prompt, id="typed-prompt", markup=False)
                yield SafeInput(id="typed")
                yield Label("", id="typed-error", classes="error", markup=False)
            else:
                yield Label(f"Tab to {self.yes_label}, then Enter · Esc: {self.no_label}",
                            classes="hint dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, id="yes", variant="error")
                yield Button(f"{self.no_label} (esc)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#typed" if self.typed is not None else "#no").focus()
        self.call_after_refresh(self.note_drawn)

    @property
    def armed(self) -> bool:
        """The yes button answers (the dialog has been on screen long enough)."""
        return self.drawn_at is not None and _time.get_time() - self.drawn_at >= self.ARM_SECONDS

    @on(Button.Pressed, "#no")
    def pressed_no(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#yes")
    def pressed_yes(self) -> None:
        self.go_ahead()

    @on(Input.Submitted, "#typed")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.go_ahead()

    def go_ahead(self) -> None:
        if self.typed is not None:
            if not typed_matches(self.query_one("#typed", Input).value, self.typed):
                error = self.query_one("#typed-error", Label)
                error.update(f"Type {safe_line(self.typed)} exactly to {self.yes_label.lower()}.")
                error.add_class("-shown")
                return
        elif not self.armed:
            self.app.bell()
            return
        self.dismiss(True)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class InputDialog(ModalScreen[Any]):
    """A dialog around one input: it has focus as the dialog opens; Enter or
    any button but ``#cancel`` submits, ``#cancel`` (or Esc, where the
    subclass binds it) closes with :attr:`CANCELLED`."""

    CANCELLED: Any = None
    FIRST_FOCUS: str = "Input"
    """The selector of what has focus as the dialog opens (its input unless said)."""

    def on_mount(self) -> None:
        self.query_one(self.FIRST_FOCUS).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_submit()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(self.CANCELLED)

    def action_submit(self) -> None:
        raise NotImplementedError


class KeysScreen(ModalScreen[None]):
    """? or F1: the keys of the screen in front, as its bindings say; then
    those that work everywhere.  Any of Esc, Enter, ? or F1 closes it."""

    BINDINGS = [Binding("escape,enter,question_mark,f1", "close", "Close", show=False)]

    def __init__(self, title: str, keys: list[tuple[str, str, str | None]],
                 everywhere: list[tuple[str, str, str | None]]) -> None:
        super().__init__()
        self.screen_title = title
        self.keys = keys
        self.everywhere = everywhere

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog summary keys-help"):
            yield Label(f"Keys: {safe_line(self.screen_title)}", classes="dialog-title", markup=False)
            with VerticalScroll(id="keys-list"):
                yield Static(self._table(), id="keys-body", markup=False)
            yield Label("↑↓ scroll · Esc closes · Ctrl+P searches every command", classes="hint", markup=False)

    def _table(self) -> Text:
        """One line a key: the key, then what it does (the binding's
        tooltip, else its description), cut to the width."""
        text = Text(no_wrap=True, overflow="ellipsis")
        width = max((len(k) for k, _, _ in self.keys + self.everywhere), default=0) + 2
        for heading, rows in (("On this screen", self.keys), ("Everywhere", self.everywhere)):
            if not rows:
                continue
            if text:
                text.append("\n\n")
            text.append(heading, style="bold underline")
            for key, description, tooltip in rows:
                text.append("\n")
                text.append(key.ljust(width), style="bold")
                text.append(tooltip or description)
        return text

    def on_mount(self) -> None:
        self.query_one("#keys-list").focus()

    def action_close(self) -> None:
        self.dismiss(None)
