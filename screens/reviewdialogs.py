"""The Reviews screen's dialogs: the reject chooser (a canned reason by its
number), the public reply, the shop's rejection reasons and the
auto-approve rule.

Every dialog drops the keys typed before it was up (DropsEarlyKeys): a
digit typed ahead never picks a reason, a letter never answers.  Those
that open on a box to write in (the reply, a reason's name, the rule's
stars) take the text typed ahead into it, ``w`` and the reply's words in
one burst; never a key that would save, cancel or move on.  Whatever a
shopper or an admin wrote is shown inert (:mod:`tui.safetext`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from backroom import models
from backroom.tui.background import Background
from backroom.tui.dialogs import ConfirmModal, InputDialog
from backroom.tui.keys import DropsEarlyKeys
from backroom.tui.safetext import SafeInput, safe_line
from backroom.tui.safetextarea import SafeTextArea


class ReasonKeys(Static, can_focus=True):
    """The numbered reasons of the reject chooser (focusable: digits and
    Enter reach the dialog's bindings, not an input)."""


class RejectModal(DropsEarlyKeys, InputDialog):
    """Reject ``what``: 1-9 picks one of the shop's reasons, Enter rejects
    with none (or with the reason typed after Tab), Esc cancels.  Dismisses
    with the reason ("" for none), or None to cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not reject"),
        Binding("enter", "submit", "Reject", show=False),
        *[Binding(str(n), f"pick({n})", f"Reason {n}", show=False) for n in range(1, 10)],
    ]
    FIRST_FOCUS = "#reason-keys"  # 1-9 pick a reason; Tab goes to the box to type one

    def __init__(self, what: str, reasons: list[models.ReasonRow] | None = None) -> None:
        super().__init__()
        self.what = what
        self.reasons = list(reasons or [])[:9]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog reject"):
            yield Label(f"Reject {self.what}", classes="dialog-title", markup=False)
            text = Text()
            for n, reason in enumerate(self.reasons, 1):
                text.append(f"{n} ", style="bold")
                text.append(safe_line(reason.name) + "\n")
            if not self.reasons:
                text.append("The shop has no canned reasons yet (m on the Reviews screen adds them).\n")
            text.append("Enter: no reason · Tab: type one · Esc: cancel", style="dim")
            yield ReasonKeys(text, id="reason-keys", markup=False)
            yield SafeInput(placeholder="or type a reason (optional)", id="reason", max_length=500)
            yield Label("", id="reason-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reject (enter)", id="reject", variant="error")
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def on_mount(self) -> None:  # InputDialog's runs too: the reasons' keys have focus
        self.call_after_refresh(self.note_drawn)

    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.reasons):
            self.dismiss(self.reasons[n - 1].name)
        else:
            self.app.bell()

    def action_submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if models.has_control_chars(reason):
            error = self.query_one("#reason-error", Label)
            error.update("The reason cannot contain control characters")
            error.add_class("-shown")
            return
        self.dismiss(reason)


class ReplyModal(DropsEarlyKeys, InputDialog):
    """Write (or clear) the shop's public reply to a review, in a box of
    several lines: Enter starts a new line, Ctrl+S (or the Save button, Tab
    from the box) saves, Esc cancels.  Dismisses with the text, or None to
    cancel (and when the reply is left as it was: nothing to save).

    The box is a :class:`SafeTextArea`: a reply stored with control
    characters, and whatever the admin pastes, shows escaped (``\\x1b``);
    what it shows is what is saved.  Of the keys typed before the dialog
    was up, the text goes into the box (Enter too: a new line, as once it is
    up); any other key is dropped, and all after it (a ``ctrl+s`` on its way
    never saves)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Keep the reply as it is"),
        Binding("ctrl+s", "submit", "Save", tooltip="Save the reply (empty removes it)"),
    ]
    FIRST_FOCUS = "#reply"  # the keys typed once it is up go into the box
    TAKES_TEXT_TYPED_AHEAD = True  # and the text typed ahead of it

    def __init__(self, what: str, reply: str | None) -> None:
        super().__init__()
        self.what = what
        self.reply = reply or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog reject reply"):
            yield Label(f"Public reply to {self.what}", classes="dialog-title", markup=False)
            yield Label("Shown under the review in the shop; empty removes it.", markup=False)
            yield SafeTextArea(self.reply, id="reply")
            yield Label(self._count_text(), id="reply-count", classes="hint", markup=False)
            yield Label("", id="reply-error", classes="error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def _text(self) -> str:
        """The reply as it would be saved (see set_review_reply)."""
        return str(self.query_one("#reply", SafeTextArea).real_value).strip()

    def _count_text(self, text: str | None = None) -> str:
        n = len((self.reply if text is None else text).strip())
        return f"{n:,} of {models.REPLY_MAX:,} characters · Enter: new line · Ctrl+S: save · Esc: cancel"

    @on(SafeTextArea.Changed, "#reply")
    def _changed(self, event: SafeTextArea.Changed) -> None:
        text = event.text_area.text
        count = self.query_one("#reply-count", Label)
        count.update(self._count_text(text))
        count.set_class(len(text.strip()) > models.REPLY_MAX, "-over")

    def action_submit(self) -> None:
        box = self.query_one("#reply", SafeTextArea)
        if not box.edited:
            self.notify("The reply is unchanged: nothing to save.", markup=False, timeout=2)
            self.dismiss(self.CANCELLED)
            return
        text = self._text()
        problem = None
        if len(text) > models.REPLY_MAX:
            problem = f"A reply is at most {models.REPLY_MAX:,} characters (this one has {len(text):,})"
        elif models.has_control_chars(text, multiline=True):  # (the box escapes them: never, but checked)
            problem = "The reply cannot contain control characters"
        if problem is not None:
            error = self.query_one("#reply-error", Label)
            error.update(problem)
            error.add_class("-shown")
            box.focus()
            return
        self.dismiss(text)


class NameDialog(DropsEarlyKeys, InputDialog):
    """Ask for a reason's name (new, or renaming ``current``).  The name
    typed ahead goes into the box; its Enter does not save it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    TAKES_TEXT_TYPED_AHEAD = True

    def __init__(self, title: str, current: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog reject"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield SafeInput(value=self.current, id="name", max_length=models.REASON_MAX)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def action_submit(self) -> None:
        self.dismiss(self.query_one("#name", Input).value)


class ReasonsModal(DropsEarlyKeys, Background, ModalScreen[None]):
    """The shop's canned rejection reasons: n adds one, e renames the
    highlighted one, Delete deletes it (asked first), Esc closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("n", "add", "New reason"),
        Binding("e", "rename", "Rename"),
        Binding("delete", "delete", "Delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reasons: list[models.ReasonRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog reasons"):
            yield Label("Rejection reasons", classes="dialog-title", markup=False)
            yield OptionList(id="reason-list")
            yield Label("n new · e rename · Del delete · Esc close", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    def load(self, highlight: int | None = None) -> None:
        self.run_job(models.list_review_reasons, lambda rows: self._loaded(rows, highlight), name="reasons",
                     hold_keys=True)

    def _loaded(self, rows: list[models.ReasonRow], highlight: int | None) -> None:
        self.reasons = rows
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(f"{n} " if n <= 9 else "  ", style="bold") + Text(safe_line(r.name)),
                                    id=str(r.id)) for n, r in enumerate(rows, 1)])
        if rows:
            ids = [r.id for r in rows]
            options.highlighted = ids.index(highlight) if highlight in ids else 0

    def _current(self) -> models.ReasonRow | None:
        index = self.query_one(OptionList).highlighted
        return self.reasons[index] if index is not None and index < len(self.reasons) else None

    def _run(self, job: Any, what: str) -> None:
        def done(row: models.ReasonRow) -> None:
            self.notify(f"{what}: {safe_line(row.name)}", markup=False, timeout=2)
            self.load(row.id)

        self.run_job(job, done, name="reason-change")

    def action_add(self) -> None:
        def answered(name: str | None) -> None:
            if name is not None:
                self._run(lambda: models.add_review_reason(name), "Added")

        self.app.push_screen(NameDialog("New rejection reason"), answered)

    def action_rename(self) -> None:
        row = self._current()
        if row is None:
            return

        def answered(name: str | None) -> None:
            if name is not None:
                self._run(lambda: models.rename_review_reason(row.id, name), "Renamed")

        self.app.push_screen(NameDialog("Rename the reason", row.name), answered)

    def action_delete(self) -> None:
        row = self._current()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(lambda: models.delete_review_reason(row.id), "Deleted")

        question = Text("Delete the reason ")
        question.append(safe_line(row.name), style="bold")
        question.append("? Reviews rejected with it keep its words.")
        self.app.push_screen(ConfirmModal("Delete a reason", question, yes="Delete", no="Keep"), answered)

    def action_close(self) -> None:
        self.dismiss(None)


class RuleModal(DropsEarlyKeys, Background, ModalScreen[Any]):
    """The auto-approve rule: at least N stars (empty: no rule), verified
    purchases only; shows how many pending reviews it would approve.
    Dismisses with ("save", stars, verified), ("apply", stars, verified,
    count) or None.  Stars typed ahead go into the box; their Enter does
    not save them."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    TAKES_TEXT_TYPED_AHEAD = True

    def __init__(self, rule: models.ReviewRule | None) -> None:
        super().__init__()
        self.rule = rule
        self.count: int | None = None

    def compose(self) -> ComposeResult:
        rule = self.rule
        with Vertical(id="dialog", classes="dialog reject rule"):
            yield Label("Auto-approve rule", classes="dialog-title", markup=False)
            yield Label("Least stars to approve (1-5; empty: no rule):", markup=False)
            yield SafeInput(value=str(rule.min_rating) if rule else "", id="rule-stars", max_length=1)
            yield Checkbox("from verified purchases only", value=rule.verified if rule else True,
                           id="rule-verified")
            yield Label("", id="rule-preview", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Apply now…", id="apply", variant="error")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#rule-stars").focus()
        self.preview()

    def _values(self) -> tuple[str, bool]:
        return self.query_one("#rule-stars", Input).value.strip(), self.query_one("#rule-verified", Checkbox).value

    @on(Input.Changed, "#rule-stars")
    @on(Checkbox.Changed, "#rule-verified")
    def preview(self) -> None:
        stars, verified = self._values()
        label = self.query_one("#rule-preview", Label)
        self.count = None
        if not stars:
            label.update("No rule: nothing is approved by itself.")
            return
        if stars not in {"1", "2", "3", "4", "5"}:
            label.update("The stars are a number from 1 to 5.")
            return
        label.update("counting…")
        rule = models.ReviewRule(int(stars), verified)

        def counted(n: int) -> None:
            self.count = n
            label.update(f"It would approve {n:,} pending review{'' if n == 1 else 's'} now.")

        self.run_job(lambda: models.preview_review_rule(rule), counted, name="rule-preview")

    @on(Input.Submitted, "#rule-stars")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer("save")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self._answer(event.button.id or "save")

    def _answer(self, how: str) -> None:
        stars, verified = self._values()
        if stars and stars not in {"1", "2", "3", "4", "5"}:
            self.app.bell()
            return
        if how == "apply":
            if not stars or self.count is None:
                self.app.bell()
                return
            self.dismiss(("apply", stars, verified, self.count))
        else:
            self.dismiss(("save", stars, verified))

    def action_cancel(self) -> None:
        self.dismiss(None)
