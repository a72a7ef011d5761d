"""Drafts: what a form holds that is not saved yet, kept on disk, so that a
crash, a dropped SSH connection or a mistaken Esc loses nothing.

A draft is one JSON file, mode 0600 in a folder of mode 0700 (drafts may
hold customer data), under ``$XDG_STATE_HOME/backroom/drafts`` (by default
``~/.local/state/backroom/drafts``).  Its name is a hash of the database (the
app's label for it: the URL, any password left out), the form and the record
(``new`` for an Add form), so the same form on another database or record
has another draft, and nothing about either shows in the name.

A screen that keeps a draft is a :class:`KeepsDraft`.  It says which form
and record it is, what to keep (:meth:`KeepsDraft.draft_values`, plain JSON
values, never a password) and how to put it back
(:meth:`KeepsDraft.apply_draft`).  Each change (an input, a tick, a select)
reaches the screen as a message; the draft is written :data:`DELAY` seconds
after the last one, in a worker thread, or removed when the form is back to
what is saved.  Saving or discarding the changes removes it
(:meth:`KeepsDraft.drop_draft`).  When the form opens and finds a draft, it
asks whether to restore it (:meth:`KeepsDraft.offer_draft`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select

from backroom import models
from backroom.tui.dialogs import ConfirmModal

DELAY = 0.5  # seconds after the last change
FORMAT = 1


def drafts_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "backroom" / "drafts"


def draft_path(database: str, form: str, record: str) -> Path:
    digest = hashlib.sha256(json.dumps([database, form, record]).encode()).hexdigest()[:32]
    return drafts_dir() / f"{form}-{digest}.json"


# Writes and removals run in worker threads: the latest asked for a file wins.
_lock = threading.Lock()
_latest: dict[Path, int] = {}
_serial = 0


def _next_turn(path: Path) -> int:
    global _serial
    with _lock:
        _serial += 1
        _latest[path] = _serial
        return _serial


def write_draft(path: Path, values: dict[str, Any], *, title: str = "", turn: int | None = None) -> None:
    """Write a draft atomically (a 0600 temporary file renamed over it)."""
    data = {"format": FORMAT, "title": title, "written_at": dt.datetime.now().isoformat(timespec="seconds"),
            "values": values}
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    with _lock:
        if turn is not None and _latest.get(path) != turn:
            return  # a newer write or removal was asked for
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def remove_draft(path: Path, *, turn: int | None = None) -> None:
    with _lock:
        if turn is not None and _latest.get(path) != turn:
            return
        path.unlink(missing_ok=True)


def read_draft(path: Path) -> dict[str, Any] | None:
    """The draft at ``path`` ({"values", "written_at", ...}), or None (none,
    or unreadable: a draft is a convenience, never an error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("values"), dict):
        return None
    return data


# -- selections (the members ticked on a group's form) as JSON ----------------------

_DATES = {"registered_from", "registered_to"}
_MONEY = {"spent_min", "spent_max"}


def selection_to_json(sel: models.Selection) -> dict[str, Any]:
    args: list[Any] = []
    for arg in sel.args:
        if isinstance(arg, models.Selection):
            args.append({"selection": selection_to_json(arg)})
        elif isinstance(arg, frozenset):
            args.append({"ids": sorted(arg)})
        elif isinstance(arg, models.CustomerFilter):
            args.append({"filter": {f.name: _plain(getattr(arg, f.name)) for f in dataclasses.fields(arg)}})
        elif isinstance(arg, int):
            args.append({"group": arg})
        else:
            raise TypeError(f"cannot keep {arg!r} in a draft")
    return {"op": sel.op, "args": args}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return value


def selection_from_json(data: dict[str, Any]) -> models.Selection:
    """The selection :func:`selection_to_json` wrote (ValueError/TypeError/KeyError if it cannot be read)."""
    args: list[Any] = []
    for arg in data["args"]:
        if "selection" in arg:
            args.append(selection_from_json(arg["selection"]))
        elif "ids" in arg:
            args.append(frozenset(int(i) for i in arg["ids"]))
        elif "filter" in arg:
            fields = {}
            for name, value in arg["filter"].items():
                if value is not None and name in _DATES:
                    value = dt.date.fromisoformat(value)
                elif value is not None and name in _MONEY:
                    value = Decimal(value)
                fields[name] = value
            args.append(models.CustomerFilter(**fields))
        elif "group" in arg:
            args.append(int(arg["group"]))
        else:
            raise ValueError(f"unknown selection part {arg!r}")
    return models.Selection(str(data["op"]), tuple(args))


# -- the screen side ------------------------------------------------------------------


class KeepsDraft:
    """Mixin for a form screen whose unsaved changes are kept as a draft
    (see the module's doc).  The screen defines :attr:`DRAFT_FORM`,
    :meth:`draft_record`, :meth:`draft_values`, :meth:`apply_draft` and
    :meth:`unsaved_changes`; calls :meth:`draft_reader` in the worker that
    loads it and :meth:`offer_draft` with what it read, before it takes keys;
    :meth:`drop_draft` once saved or discarded; and :meth:`draft_changed`
    for a change no Input, Select or Checkbox reports (e.g. ticks in a
    table)."""

    DRAFT_FORM = ""
    _draft_timer: Timer | None = None
    _draft_ready = False  # the form is filled in (and any draft offered): changes are the admin's
    _draft_on_disk = False  # written (or found) since the form opened: removing it means something

    # -- what the screen says -----------------------------------------------------------
    def draft_record(self) -> str:
        raise NotImplementedError

    def draft_values(self) -> dict[str, Any]:
        raise NotImplementedError

    def apply_draft(self, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def unsaved_changes(self) -> bool:
        raise NotImplementedError

    # -- the file ---------------------------------------------------------------------------
    @property
    def draft_file(self) -> Path:
        screen: Any = self
        database = getattr(screen.app, "db_label", "") or screen.app.sub_title
        return draft_path(database, self.DRAFT_FORM, self.draft_record())

    def draft_reader(self) -> Callable[[], dict[str, Any] | None]:
        """What the screen's load worker calls to read the draft (on the event loop: the path)."""
        path = self.draft_file
        return lambda: read_draft(path)

    def _in_thread(self, work: Callable[[], None]) -> None:
        screen: Any = self
        # The app's worker: a screen closing right after a save still has its draft removed.
        screen.app.run_worker(work, thread=True, group="drafts", name="draft", exit_on_error=False)

    # -- offering a draft found on opening ----------------------------------------------------
    def offer_draft(self, draft: dict[str, Any] | None, *, changed_since: bool = False) -> None:
        """Ask whether to restore ``draft`` (what :meth:`draft_reader` read);
        from then on, changes are kept.  ``changed_since``: the record was
        saved (by anyone) after the draft was written."""
        screen: Any = self
        if draft is None:
            self._draft_ready = True
            return
        self._draft_on_disk = True
        values = draft["values"]
        when = str(draft.get("written_at", "")).replace("T", " ")
        body = Text("This form has changes that were never saved (kept ")
        body.append(when or "earlier", style="bold")
        body.append("). Restore them, or discard them?")
        if changed_since:
            body.append("\n\nIt has been saved since: what you restore replaces what is saved now, "
                        "once you save.", style="bold")

        def answered(discard: bool | None) -> None:
            self._draft_ready = True
            if discard:
                self.drop_draft()
                return
            try:
                self.apply_draft(values)
            except (KeyError, TypeError, ValueError, AttributeError):
                screen.notify("Some of the unsaved changes could not be restored.", severity="warning")
            self.draft_changed()

        screen.app.push_screen(ConfirmModal("Restore unsaved changes?", body, yes="Discard them", no="Restore"),
                               answered)

    # -- keeping it up to date ----------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self.draft_changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.draft_changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.draft_changed()

    def draft_changed(self) -> None:
        """Something changed: write (or remove) the draft once changes pause."""
        if not self._draft_ready:
            return
        screen: Any = self
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = screen.set_timer(DELAY, self._keep_draft, name="draft")

    def _keep_draft(self) -> None:
        self._draft_timer = None
        screen: Any = self
        if not screen.is_attached:
            return
        if self.unsaved_changes():
            path = self.draft_file
            turn = _next_turn(path)
            values, title = self.draft_values(), str(screen.title or "")
            self._draft_on_disk = True
            self._in_thread(lambda: write_draft(path, values, title=title, turn=turn))
        elif self._draft_on_disk:
            self.drop_draft()

    def drop_draft(self) -> None:
        """Saved or discarded: no draft any more (and none pending)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self._draft_on_disk = False
        path = self.draft_file
        turn = _next_turn(path)
        self._in_thread(lambda: remove_draft(path, turn=turn))

    def closing(self) -> None:
        """The form closes (its changes discarded, or none): its draft goes,
        unless the form closes before it was even filled in (a draft found
        on disk has not been offered yet)."""
        if self._draft_ready:
            self.drop_draft()

    def discard_changes(self) -> None:
        """The admin discarded the changes (F2-F4 asked): the draft goes too."""
        self._draft_ready = False
        self.drop_draft()
