"""The Access editor: which restricted categories a group may see and its
discount per category; on Guest, what visitors who are not logged in may see."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Label

from backroom import models
from backroom.tui.areas import AreaBar, Footer
from backroom.tui.background import Background, LoadsInBackground
from backroom.tui.dialogs import ConfirmModal
from backroom.tui.drafts import KeepsDraft
from backroom.tui.formatters import percent, plain
from backroom.tui.forms import Tick
from backroom.tui.safetext import SafeInput
from backroom.tui.roles import RoleGated


def _discount_key(category_id: int) -> str:
    return f"category_discounts[{category_id}]"


def restricted_text(restricted: bool) -> Text:
    return Text("restricted" if restricted else "open to all", style="bold" if restricted else "")


# --------------------------------------------------------------------------
# Access: which categories a group may see, and its discount in each
# --------------------------------------------------------------------------


class AccessRow(Horizontal):
    """One category: the tick, whether it is restricted, the discount."""

    def __init__(self, category: models.Category, ticked: bool, discount: Decimal | None,
                 with_discount: bool) -> None:
        super().__init__(classes="access-row", id=f"access-row-{category.id}")
        self.category_id = category.id
        self.category_name = category.name
        self.restricted = bool(category.restricted)
        self.ticked = ticked
        self.discount = "" if discount is None else percent(discount).rstrip("%")
        self.with_discount = with_discount

    def compose(self) -> ComposeResult:
        cid = self.category_id
        yield Tick(plain(self.category_name), self.ticked, id=f"access-{cid}", compact=True,
                   classes="access-tick")
        yield Label(restricted_text(self.restricted), id=f"restricted-{cid}", classes="access-restricted",
                    markup=False)
        if self.with_discount:
            yield SafeInput(self.discount, id=f"cat-discount-{cid}", placeholder="none", compact=True,
                            classes="access-discount")
        yield Label("", id=f"err-cat-{cid}", classes="error access-error", markup=False)

    def set_restricted(self, restricted: bool) -> None:
        self.restricted = restricted
        self.query_one(f"#restricted-{self.category_id}", Label).update(restricted_text(restricted))


@dataclasses.dataclass
class Grants:
    """What the Access editor shows: every category, those a group may see
    (ticked) and its discount in each (none for a new group)."""

    categories: list[models.Category]
    ticked: set[int] = dataclasses.field(default_factory=set)
    discounts: dict[int, Decimal] = dataclasses.field(default_factory=dict)


def read_grants(group_id: int | None) -> Grants:
    """The Access editor's data for ``group_id`` (None: a new group).  Reads
    the database: call it in a worker."""
    if group_id is None:
        return Grants(models.categories())
    return Grants(models.categories(), models.group_category_access(group_id), models.category_discounts(group_id))


class AccessEditor(Vertical, Background):
    """A group's Access ticks (what its members may see) and, unless
    ``with_discount`` is False, its discount % per category (blank: none).
    Empty until its screen has read the :class:`Grants` and called :meth:`show`."""

    BINDINGS = [
        Binding("ctrl+t", "toggle_restricted", "Restrict/open category",
                tooltip="Mark the highlighted category restricted, or open it to everyone (saved at once)"),
    ]

    def __init__(self, *, with_discount: bool = True, lazy: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="access-editor")
        self.with_discount = with_discount
        # lazy: the rows are mounted when first wanted (:meth:`mount_rows`, e.g.
        # when their tab is first shown); until then the values are kept as data.
        self.lazy = lazy
        self._grants: Grants | None = None
        self._pending: tuple[set[int], dict[int, str]] | None = None  # the values while not mounted
        self._pending_errors: dict[str, str] = {}
        self._rows_mounted = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="access-row access-head"):
            yield Label("May see · category", classes="access-tick-head")
            yield Label("Visibility", classes="access-restricted")
            if self.with_discount:
                yield Label("Discount %", classes="access-discount-head")
        yield VerticalScroll(classes="access-rows")

    async def show(self, grants: Grants) -> None:
        """One row per category, ticked and with its discount as ``grants``
        says (lazy: only the values, until :meth:`mount_rows`)."""
        self._grants = grants
        if self.lazy and not self._rows_mounted:
            self._pending = ({c.id for c in grants.categories if c.id in grants.ticked},
                             {c.id: "" if grants.discounts.get(c.id) is None
                              else percent(grants.discounts[c.id]).rstrip("%") for c in grants.categories}
                             if self.with_discount else {})
            return
        await self._mount_rows(grants)

    @property
    def rows_pending(self) -> bool:
        """Lazy, and the rows not mounted yet."""
        return self._pending is not None

    async def mount_rows(self) -> None:
        """Mount the rows (once), with the values they hold meanwhile."""
        if self._pending is None or self._grants is None:
            return
        (access, discounts), self._pending = self._pending, None
        await self._mount_rows(self._grants)
        self.set_values(access, discounts)
        errors, self._pending_errors = self._pending_errors, {}
        if errors:
            self.show_errors(errors)

    async def _mount_rows(self, grants: Grants) -> None:
        self._rows_mounted = True
        rows = self.query_one(".access-rows", VerticalScroll)
        await rows.remove_children()
        if not grants.categories:
            await rows.mount(Label("There are no categories yet.", classes="hint"))
            return
        await rows.mount_all([AccessRow(cat, cat.id in grants.ticked, grants.discounts.get(cat.id),
                                        self.with_discount) for cat in grants.categories])

    def first_tick(self) -> Tick | None:
        if self._pending is not None:
            return None
        ticks = list(self.query(Tick))
        return ticks[0] if ticks else None

    def access(self) -> set[int]:
        """The ticked category ids."""
        return {row.category_id for row in self.query(AccessRow)
                if row.query_one(f"#access-{row.category_id}", Tick).value}

    def discounts(self) -> dict[int, str]:
        """Category id -> the discount as typed ("" for none)."""
        if not self.with_discount:
            return {}
        return {row.category_id: row.query_one(f"#cat-discount-{row.category_id}", SafeInput).real_value.strip()
                for row in self.query(AccessRow)}

    def values(self) -> tuple[set[int], dict[int, str]]:
        if self._pending is not None:
            return set(self._pending[0]), dict(self._pending[1])
        return self.access(), self.discounts()

    def set_values(self, access: set[int], discounts: dict[int, str]) -> None:
        """Tick ``access`` and type ``discounts`` (e.g. restored from a draft);
        categories that are gone are left out."""
        if self._pending is not None:
            typed = self._pending[1]
            known = {c.id for c in self._grants.categories} if self._grants is not None else set()
            self._pending = ({cid for cid in known if cid in access},
                             {cid: discounts.get(cid, typed[cid]) for cid in typed} if self.with_discount else {})
            return
        for row in self.query(AccessRow):
            cid = row.category_id
            row.query_one(f"#access-{cid}", Tick).value = cid in access
            if self.with_discount and cid in discounts:
                row.query_one(f"#cat-discount-{cid}", Input).value = discounts[cid]

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Each discount error beside its category; True if any was shown
        (rows not mounted yet: once they are)."""
        if self._pending is not None:
            self._pending_errors = {k: v for k, v in errors.items() if k.startswith("category_discounts[")}
            known = {_discount_key(c.id) for c in self._grants.categories} if self._grants is not None else set()
            return any(k in known for k in self._pending_errors)
        shown = False
        for row in self.query(AccessRow):
            message = errors.get(_discount_key(row.category_id), "")
            label = row.query_one(f"#err-cat-{row.category_id}", Label)
            label.update(message)
            label.set_class(bool(message), "-shown")
            if message and not shown:
                shown = True
                if self.with_discount:
                    row.query_one(f"#cat-discount-{row.category_id}", Input).focus()
        return shown

    def current_row(self) -> AccessRow | None:
        node = self.screen.focused
        while node is not None and node is not self:
            if isinstance(node, AccessRow):
                return node
            node = node.parent
        rows = list(self.query(AccessRow))
        return rows[0] if len(rows) == 1 else None

    def action_toggle_restricted(self) -> None:
        row = self.current_row()
        if row is None:
            self.notify("Move to a category first.", severity="warning")
            return
        cid, restricted = row.category_id, not row.restricted

        def done(cat: models.Category) -> None:
            row.set_restricted(bool(cat.restricted))
            what = ("restricted: only ticked groups see it" if cat.restricted else "open to everyone")
            self.notify(f"{models.clean_line(cat.name)} is now {what}.", title="Category saved", markup=False)

        self.run_job(lambda: models.set_category_restricted(cid, restricted), done, name="restricted")


class AccessScreen(RoleGated, KeepsDraft, Screen[bool], LoadsInBackground):
    """Access only, for Guest: its ticks say what visitors who are not logged
    in may see (Guest's other settings stay locked).  Unsaved ticks are kept
    as a draft (KeepsDraft)."""

    ROLE_ACTIONS = {"save": "groups", "toggle_restricted": "groups"}

    DRAFT_FORM = "access"

    AUTO_FOCUS = None  # the first tick, once the categories are in
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save what this group may see"),
        Binding("escape", "cancel", "Back", tooltip="Close, asking before discarding changes"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.title = "Access"
        self._initial: Any = None
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield AreaBar()
        yield Label("", id="access-intro", classes="access-intro", markup=False)
        yield AccessEditor(with_discount=False, id="access-editor")
        yield Label("space tick · ctrl+t restrict/open the category · ctrl+s save · esc back", classes="hint keys")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.editor.loading = True
        gid, read_draft = self.group_id, self.draft_reader()
        self.run_job(lambda: (models.get_group(gid), read_grants(gid), read_draft()), self.show, name="load",
                     failed=self.load_failed)

    async def show(self, found: tuple[models.CustomerGroup, Grants, dict[str, Any] | None]) -> None:
        group, grants, draft = found
        self.title = f"Access: {models.clean_line(group.name)}"
        self.query_one("#access-intro", Label).update(
            "Visitors who are not logged in see the open categories and the restricted ones ticked here."
            if models.group_permissions(group).visitors
            else "Members of this group may see the ticked restricted categories.")
        await self.editor.show(grants)
        self.editor.loading = False
        self._initial = self.editor.values()
        if (tick := self.editor.first_tick()) is not None:
            tick.focus()
        self.offer_draft(draft)
        self.loaded()

    @property
    def editor(self) -> AccessEditor:
        return self.query_one(AccessEditor)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.role_refusal(action) is not None:  # not for this admin's role (RoleGated)
            return False
        if action == "save":
            return self.is_loaded or None  # not before there is something to save
        return True

    def action_save(self) -> None:
        if self.saving or not self.is_loaded:
            return
        gid, wanted = self.group_id, self.editor.access()
        self.saving = True

        def done(_: Any) -> None:
            self.saving = False
            self.drop_draft()
            self.notify(f"Saved: {len(wanted)} categor{'y' if len(wanted) == 1 else 'ies'} ticked.",
                        title="Access saved", markup=False)
            self.dismiss(True)

        def failed(exc: BaseException) -> None:
            self.saving = False
            self.job_failed(exc)

        self.run_job(lambda: models.set_category_access(gid, wanted), done, name="save", failed=failed)

    def unsaved_changes(self) -> bool:
        """For the app: F2-F4 ask before closing this screen; and for the draft."""
        return self.is_loaded and self.editor.values() != self._initial

    def draft_record(self) -> str:
        return str(self.group_id)

    def draft_values(self) -> dict[str, Any]:
        return {"access": sorted(self.editor.access())}

    def apply_draft(self, values: dict[str, Any]) -> None:
        self.editor.set_values({int(c) for c in values.get("access", [])}, {})

    def action_cancel(self) -> None:
        if not self.is_loaded or self.editor.values() == self._initial:
            self.closing()
            self.dismiss(False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.closing()
                self.dismiss(False)

        self.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved changes. Discard them?",
                                          yes="Discard", no="Keep editing"), answered)
