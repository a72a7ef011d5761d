"""The rules editor: rules that keep a group's membership up to date,
saved, previewed and applied."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Select, Static

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import LoadsInBackground, error_message
from backroom.tui.dialogs import ConfirmModal, count_to_type
from backroom.tui.drafts import KeepsDraft
from backroom.tui.safetext import SafeInput
from backroom.tui.roles import RoleGated

FIELD_NAMES = {
    "total_spent": "Total spent", "order_count": "Number of orders", "registered": "Registered",
    "status": "Status", "country": "Billing country",
}
OP_NAMES = {">=": "at least", "<=": "at most", "before": "before", "after": "after", "within": "within the last",
            "=": "is"}
PLACEHOLDERS = {
    "total_spent": "amount, e.g. 500", "order_count": "a whole number", "status": "active or disabled",
    "country": "two letters, e.g. GB", "registered": "2023-01-01", "registered within": "6 months",
}


class RuleRow(Vertical):
    """One rule: field, operator, value, and its error line."""

    def __init__(self, rule: models.Rule | None = None) -> None:
        super().__init__(classes="rule-row")
        self.rule = rule

    def compose(self) -> ComposeResult:
        r = self.rule
        with Horizontal(classes="rule-fields"):
            yield Label("", classes="rule-number")
            yield Select([(name, key) for key, name in FIELD_NAMES.items()], prompt="field",
                         value=r.field if r and r.field in FIELD_NAMES else Select.NULL,
                         classes="rule-field", compact=True)
            yield Select(self._ops(r.field if r else ""), prompt="op",
                         value=r.op if r and r.op in models.RULE_FIELDS.get(r.field, ()) else Select.NULL,
                         classes="rule-op", compact=True)
            yield SafeInput(r.value if r else "", classes="rule-value", compact=True,
                            placeholder=self._placeholder(r.field if r else "", r.op if r else ""))
        yield Label("", classes="error rule-error", markup=False)

    @staticmethod
    def _ops(field: str) -> list[tuple[str, str]]:
        return [(OP_NAMES[op], op) for op in models.RULE_FIELDS.get(field, ())]

    @staticmethod
    def _placeholder(field: str, op: str) -> str:
        return PLACEHOLDERS.get(f"{field} {op}", PLACEHOLDERS.get(field, "value"))

    def number(self, n: int) -> None:
        self.query_one(".rule-number", Label).update(f"{n}.")

    def data(self) -> dict[str, str]:
        field = self.query_one(".rule-field", Select).value
        op = self.query_one(".rule-op", Select).value
        return {"field": "" if field is Select.NULL else str(field), "op": "" if op is Select.NULL else str(op),
                "value": self.query_one(".rule-value", SafeInput).real_value}

    def show_error(self, message: str) -> None:
        label = self.query_one(".rule-error", Label)
        label.update(message)
        label.set_class(bool(message), "-shown")

    @on(Select.Changed, ".rule-field")
    def field_changed(self, event: Select.Changed) -> None:
        field = "" if event.value is Select.NULL else str(event.value)
        op_select = self.query_one(".rule-op", Select)
        current = op_select.value
        ops = self._ops(field)
        op_select.set_options(ops)
        if ops:
            op_select.value = current if current in [o for _, o in ops] else ops[0][1]
        self._update_placeholder()

    @on(Select.Changed, ".rule-op")
    def op_changed(self) -> None:
        self._update_placeholder()

    def _update_placeholder(self) -> None:
        d = self.data()
        self.query_one(".rule-value", Input).placeholder = self._placeholder(d["field"], d["op"])


class RulesScreen(RoleGated, KeepsDraft, Screen[None], LoadsInBackground):
    """A group's rules of automatic membership: edit, save, preview, apply.
    Unsaved rules are kept as a draft (KeepsDraft)."""

    ROLE_ACTIONS = {a: "rules" for a in ("save", "apply", "add_rule", "remove_rule")}

    DRAFT_FORM = "rules"

    AUTO_FOCUS = None  # the first rule, once the rules are in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the rules (nothing changes membership until applied)"),
        Binding("f5", "preview", "Preview", tooltip="Who would join and leave under the saved rules"),
        Binding("f6", "apply", "Apply", tooltip="Apply the saved rules now, after confirming"),
        Binding("ctrl+n", "add_rule", "Add rule", tooltip="Add a rule"),
        Binding("ctrl+r", "remove_rule", "Remove rule", tooltip="Remove the rule with the cursor"),
        Binding("escape", "back", "Back", tooltip="Close, asking before discarding changes"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.group: models.CustomerGroup | None = None
        self.title = "Rules"
        self._saved: Any = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("Customers who match join automatically; rule-made members who stop matching leave. "
                    "Members added by hand stay.", classes="rules-intro")
        with Horizontal(classes="rules-match"):
            yield Label("Match", classes="rule-number")
            yield Select([("all of the rules", "all"), ("any of the rules", "any")], value="all",
                         allow_blank=False, id="rules-match", compact=True)
            yield Label("", id="err-match", classes="error", markup=False)
        yield VerticalScroll(id="rules-list")
        yield Label("", id="rules-status", classes="status", markup=False)
        with VerticalScroll(id="rules-preview-box"):
            yield Static("", id="rules-preview", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rules-list").loading = True
        gid, read_draft = self.group_id, self.draft_reader()
        self.run_job(lambda: (models.get_group(gid), models.get_rules(gid), read_draft()), self.show_rules,
                     name="load", failed=self.load_failed)

    async def show_rules(self, found: tuple[models.CustomerGroup, tuple[str, list[models.Rule]],
                                            dict[str, Any] | None]) -> None:
        self.group, (match, rules), draft = found
        hidden = " (hidden)" if self.group.hidden else ""
        self.title = f"Rules: {models.clean_line(self.group.name)}{hidden}"
        self.query_one("#rules-match", Select).value = match
        rules_list = self.query_one("#rules-list")
        await rules_list.mount_all([RuleRow(rule) for rule in rules] or [RuleRow()])
        rules_list.loading = False
        self._renumber()
        self._saved = self._state() if rules else (match, [])
        first = self.query(".rule-field")
        (first.first() if first else self.query_one("#rules-match")).focus()
        self.offer_draft(draft, changed_since=draft is not None and draft["values"].get("saved") != self._saved_json())
        self.loaded()
        self.action_preview()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:  # not for this admin's role (RoleGated)
            return False
        if action in ("save", "preview", "apply", "add_rule", "remove_rule"):
            return self.is_loaded or None  # nothing to edit, save or preview before the rules are in
        return True

    def _rows(self) -> list[RuleRow]:
        return list(self.query(RuleRow))

    def _renumber(self) -> None:
        for i, row in enumerate(self._rows()):
            row.number(i + 1)

    def _state(self) -> tuple[str, list[dict[str, str]]]:
        match = self.query_one("#rules-match", Select).value
        rules = [r.data() for r in self._rows()]
        # A blank new row is not a change.
        rules = [r for r in rules if any(v.strip() for v in r.values())]
        return str(match), rules

    def is_dirty(self) -> bool:
        return self._state() != self._saved

    def unsaved_changes(self) -> bool:
        """For the app: F2-F4 ask before closing the rules; and for the draft."""
        return self.is_loaded and self.is_dirty()

    # -- the draft ------------------------------------------------------------
    def _saved_json(self) -> Any:
        match, rules = self._saved
        return [match, rules]

    def draft_record(self) -> str:
        return str(self.group_id)

    def draft_values(self) -> dict[str, Any]:
        match = self.query_one("#rules-match", Select).value
        return {"match": str(match), "rules": [r.data() for r in self._rows()], "saved": self._saved_json()}

    def apply_draft(self, values: dict[str, Any]) -> None:
        self.call_later(self._restore_rules, values)

    async def _restore_rules(self, values: dict[str, Any]) -> None:
        rules = [models.Rule(str(r.get("field", "")), str(r.get("op", "")), str(r.get("value", "")))
                 for r in values.get("rules", [])]
        self.query_one("#rules-match", Select).value = values.get("match") or "all"
        rules_list = self.query_one("#rules-list")
        await rules_list.remove_children()
        await rules_list.mount_all([RuleRow(rule) for rule in rules] or [RuleRow()])
        self._renumber()
        first = self.query(".rule-field")
        if first:
            first.first().focus()
        self.draft_changed()

    def current_row(self) -> RuleRow | None:
        node = self.focused
        while node is not None:
            if isinstance(node, RuleRow):
                return node
            node = node.parent
        return None

    # -- editing ------------------------------------------------------------
    async def action_add_rule(self) -> None:
        row = RuleRow()
        await self.query_one("#rules-list").mount(row)
        self._renumber()
        row.query_one(".rule-field", Select).focus()
        row.scroll_visible()

    async def action_remove_rule(self) -> None:
        row = self.current_row()
        rows = self._rows()
        if row is None:
            row = rows[-1] if rows else None
        if row is None:
            return
        index = rows.index(row)

        await row.remove()
        rest = self._rows()
        self._renumber()
        self.draft_changed()
        if rest:
            rest[min(index, len(rest) - 1)].query_one(".rule-field", Select).focus()
        else:
            self.query_one("#rules-match", Select).focus()

    def show_errors(self, errors: dict[str, str]) -> None:
        match_err = self.query_one("#err-match", Label)
        match_err.update(errors.get("match", ""))
        match_err.set_class("match" in errors, "-shown")
        focused = False
        for i, row in enumerate(self._rows()):
            message = errors.get(f"rules[{i}]", "")
            row.show_error(f"Rule {i + 1}: {message}" if message else "")
            if message and not focused:
                focused = True
                row.query_one(".rule-value", Input).focus()

    # -- saving, previewing, applying ---------------------------------------
    def _status(self, message: str, busy: bool = False) -> None:
        status = self.query_one("#rules-status", Label)
        status.update(message)
        status.set_class(busy, "-busy")

    def action_save(self) -> None:
        if self.busy or not self.is_loaded:
            return
        match, _ = self._state()
        rules = [r.data() for r in self._rows()]
        # Entirely blank rows are dropped rather than refused.
        keep = [i for i, r in enumerate(rules) if any(v.strip() for v in r.values())]
        gid = self.group_id
        self.show_errors({})
        self.busy = True
        self._status("Saving…", busy=True)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._status("Not saved.")
            if isinstance(exc, models.ValidationError):
                # Map error keys back to the rows as shown (blank rows were skipped).
                errors = {}
                for key, message in exc.errors.items():
                    if key.startswith("rules[") and key.endswith("]"):
                        key = f"rules[{keep[int(key[6:-1])]}]"
                    errors[key] = message
                self.show_errors(errors)
                self.notify("The rules were not saved: see the messages under them.", title="Not saved",
                            severity="error")
                return
            self.job_failed(exc)

        def done(saved: list[models.Rule]) -> None:
            self.busy = False
            self._saved = self._state()
            self.draft_changed()  # saved: no draft, unless edited since
            self._status(f"Saved {len(saved)} rule{'s' if len(saved) != 1 else ''}.")
            self.notify(f"Saved {len(saved)} rule{'s' if len(saved) != 1 else ''}.", title="Rules saved", markup=False)
            self.action_preview()

        self.run_job(lambda: models.set_rules(gid, match, [rules[i] for i in keep]), done, name="save",
                     failed=failed)

    def _need_saved(self) -> bool:
        if self.is_dirty():
            self.notify("Save the rules first (Ctrl+S): preview and apply use the saved rules.",
                        title="Unsaved rules", severity="warning")
            return False
        return True

    def action_preview(self) -> None:
        if not self.is_loaded or not self._need_saved():
            return
        gid = self.group_id
        self._status("Previewing…", busy=True)
        self.run_job(lambda: models.preview_rules(gid, sample=8), self.show_preview, name="preview")

    def show_preview(self, p: models.RulePreview) -> None:
        self._status("")
        text = Text()
        if not self._saved[1]:
            text.append("No rules saved: applying changes nothing.")
        else:
            text.append("Preview: ", style="bold")
            text.append(f"{p.joining:,} would join, {p.leaving:,} would leave.")
            for title, sample, total in (("Joining", p.sample_joining, p.joining),
                                         ("Leaving", p.sample_leaving, p.leaving)):
                if sample:
                    text.append(f"\n{title}: ", style="bold")
                    text.append(models.clean_line(", ".join(r.name for r in sample)))
                    if total > len(sample):
                        text.append(f" and {total - len(sample):,} more")
        self.query_one("#rules-preview", Static).update(text)

    def action_apply(self) -> None:
        if self.busy or self.group is None or not self._need_saved():
            return
        if not self._saved[1]:
            self.notify("There are no saved rules to apply.", severity="warning")
            return
        gid, name = self.group_id, models.clean_line(self.group.name)
        self._status("Counting who would join and leave…", busy=True)

        def ask(p: models.RulePreview) -> None:
            self._status("")
            question = Text(f"Apply the rules of {name} now?\n\n")
            changes = p.joining + p.leaving
            question.append(f"{p.joining:,} customer{' joins' if p.joining == 1 else 's join'}, "
                            f"{p.leaving:,} {'leaves' if p.leaving == 1 else 'leave'}: {changes:,} "
                            f"change{'s' if changes != 1 else ''}. Each change queues a "
                            "notification (none for a hidden group).")
            self.app.push_screen(ConfirmModal("Apply rules", question, yes="Apply", no="Cancel",
                                              typed=count_to_type(changes)), answered)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.busy = True
            self._status("Applying the rules…", busy=True)
            self.run_job(lambda: models.apply_rules(gid), applied, name="apply", failed=apply_failed)

        def applied(results: list[models.RulePreview]) -> None:
            self.busy = False
            r = results[0]
            self._status(f"Applied: {r.joining:,} joined, {r.leaving:,} left.")
            self.notify(f"{r.joining:,} joined, {r.leaving:,} left.", title="Rules applied", markup=False)
            self.action_preview()

        def apply_failed(exc: BaseException) -> None:
            self.busy = False
            self._status(f"Not applied: {error_message(exc)}")
            self.job_failed(exc)

        self.run_job(lambda: models.preview_rules(gid, sample=0), ask, name="preview", hold_keys=True)

    def action_back(self) -> None:
        if self.busy:
            self.notify("Working… please wait.", severity="warning")
            return
        if not self.is_loaded or not self.is_dirty():
            self.closing()
            self.dismiss(None)
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self.closing()
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved rules. Discard them?",
                                          yes="Discard", no="Keep editing"), answered)
