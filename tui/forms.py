"""A small kit for forms: labelled fields with an error line, the values
typed, a dirty check, and "Discard changes?" on the way out.

Fields
    ``Field(key, input, label="", *, error_name=None)`` is one row: a label,
    the input and, under it, an error line hidden until there is an error.

    - ``key`` names the value the way the operation does (the keys of
      ``models.ValidationError.errors``), e.g. ``"email"`` or
      ``"billing.city"``.
    - The input is any widget with a ``value`` (``SafeInput``, ``Select``,
      ``Checkbox``).  A text field is a
      :class:`~backroom.tui.safetext.SafeInput`: it shows a stored value with
      its control characters escaped, and the field's value is the stored
      value itself, unchanged, until the admin edits the text (so a form
      never writes back an escaped copy of what it was given).  Unless it has an id it gets ``field_id(key)``, the key
      with dots made dashes (``#billing-city``).  The row is
      ``#field-<field id>``; the error line, ``#err-<field id>``, is mounted
      with the field's first error (widgets cost time: most never show one).
    - An error reads "<error_name>: <message>"; ``error_name`` defaults to the
      label.  It goes as soon as the field's value changes (it was about the
      value saved, which the admin is fixing).  A checkbox names itself, so its row's label is usually empty
      and its ``error_name`` given.  Once cleared, an error takes no room:
      the field is one row again.
    - ``label=None``: no label at all, not even an empty column: the input
      with its error line under it, the field only as wide as they are.
      For fields that share a row (below).

    ``Row(label, *widgets)`` is a labelled row holding no value of its own:
    a read-only value, a checkbox that is not a field, or several widgets
    side by side (in a ``Horizontal``), e.g. ticks that are fields without
    a label: ``Row("", Field("a", Tick("A"), None), Field("b", Tick("B"),
    None))``.  Fields inside a row are still the form's fields.
    ``section(title)`` and ``hint(text)`` are a heading and a line of keys
    inside a form.

Forms
    ``Form(node)`` is a view over the fields under ``node`` (a screen, a tab
    pane, any container), in the order they appear; make it once the fields
    are mounted.

    - ``values(prefix="")``: ``{key: value}``; with a prefix, only the keys
      that start with it, the prefix removed (``values("billing.")`` gives
      ``{"city": …}``).
    - ``show_errors(errors)``: each message under its field; returns the
      errors no field shows (for a notification).  ``clear_errors()``.
    - ``focus_first_error(errors)``: focus the first field, in form order,
      that has an error.
    - ``mark_clean(values=None)``: what the form holds now (or ``values``) is
      what is saved.  ``is_dirty()``, ``changes()`` (the values that differ
      from it), and ``clean_values``.
    - ``refresh(saved)``: the saved values changed (an operation, another
      admin): fields not edited since take them; all note them as saved.
    - ``field(key)``, ``fields()``, ``set_value(key, value, clean=False)``.

    ``errors_text(errors)`` puts the errors no field shows on one line (for
    a notification); ``key_name(key)`` names a key ("Billing city").

    ``confirm_discard(node, then, dirty=True)`` calls ``then()`` at once when
    nothing is dirty, else only once the admin confirms "Discard changes?".

CSS (``styles/forms.tcss``)
    ``.form`` a scrolling form; ``.form-field`` a row, a two-column grid
    (``Field`` and ``Row`` carry it; a field without a label adds ``-bare``
    and is no grid); ``.form-widgets`` the widgets a row holds side by side;
    ``.form-label``, ``.form-error``;
    ``.form-value`` a read-only value; ``.form-section``; ``.form-hint``.
    A form wanting wider labels sets ``#its-id .form-field { grid-columns: 16 1fr; }``.

Text in labels and error lines is never read as markup, and error lines are
made inert: messages may quote what an admin typed or a customer stored.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Checkbox, Label

from backroom.tui.dialogs import ConfirmModal
from backroom.tui.safetext import SafeInput, safe_line


def field_id(key: str) -> str:
    """The id of a field's input: "billing.city" -> "billing-city"."""
    return key.replace(".", "-")


class Row(Widget):
    """A labelled row of a form that holds no value of its own: one widget,
    or several side by side."""

    DEFAULT_CLASSES = "form-field"

    def __init__(self, label: str, *widgets: Widget, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="form-label", markup=False)
        if len(self.widgets) == 1:
            yield self.widgets[0]
        else:
            yield Horizontal(*self.widgets, classes="form-widgets")


class Field(Widget):
    """A label, an input with a ``value``, and an error line under it.

    A two-column grid (see forms.tcss): the label, then the input; an error
    adds a row under them.  As few widgets as that, since every widget costs
    time to mount and a form has many fields."""

    DEFAULT_CLASSES = "form-field"

    def __init__(self, key: str, input: Widget, label: str | None = "", *,
                 error_name: str | None = None) -> None:
        super().__init__(id=f"field-{field_id(key)}")
        self.set_class(label is None, "-bare")
        self.key = key
        self.label = label
        self.error_name = error_name or label or key_name(key)
        if input.id is None:
            input.id = field_id(key)
        self.input = input
        self._error: Label | None = None  # mounted with the first error: most fields never show one
        self._pad: Label | None = None  # the error row's first cell, under the label

    def compose(self) -> ComposeResult:
        if self.label is not None:
            yield Label(self.label, classes="form-label", markup=False)
        yield self.input

    @property
    def value(self) -> Any:
        if isinstance(self.input, SafeInput):
            return self.input.real_value  # the stored value as it was, unless edited
        return getattr(self.input, "value")

    @value.setter
    def value(self, value: Any) -> None:
        setattr(self.input, "value", value)

    def set_error(self, message: str) -> None:
        """Show ``message`` under the input, naming the field; "" clears it."""
        text = safe_line(f"{self.error_name}: {message}") if message else ""
        if self._error is None:
            if not message:
                return
            self._error = Label(text, id=f"err-{field_id(self.key)}", classes="error form-error -shown",
                                markup=False)
            if self.label is None:  # no label column: the error right under the input
                self.mount(self._error)
                return
            # A row under the label and the input; the pad hides with the
            # error, so a cleared error leaves no blank row behind.
            self._pad = Label("", classes="error -shown")
            self.mount(self._pad, self._error)
            return
        self._error.update(text)
        for line in (self._pad, self._error):
            if line is not None:
                line.set_class(bool(message), "-shown")

    def clear_error(self) -> None:
        self.set_error("")

    # An error shown is about the value that was saved: once the admin
    # changes the value, it no longer says anything true, so it goes (the
    # next save checks the new value).
    def on_input_changed(self) -> None:
        self._edited()

    def on_select_changed(self) -> None:
        self._edited()

    def on_checkbox_changed(self) -> None:
        self._edited()

    def _edited(self) -> None:
        if self._error is not None and self._error.has_class("-shown"):
            self.clear_error()


def key_name(key: str) -> str:
    """A field key as an admin reads it: "billing.city" -> "Billing city"."""
    return key.replace(".", " ").replace("_", " ").capitalize()


def errors_text(errors: dict[str, str]) -> str:
    """Errors no field shows, on one line for a notification."""
    return "; ".join(f"{key_name(k)}: {v}" for k, v in errors.items())


def section(title: str) -> Label:
    """A heading inside a form."""
    return Label(title, classes="form-section", markup=False)


def hint(text: str) -> Label:
    """A line of keys or advice at the foot of a form."""
    return Label(text, classes="form-hint", markup=False)


class Form:
    """The fields under a node: their values, errors and dirty state."""

    def __init__(self, node: DOMNode, *, clean: bool = True) -> None:
        self.node = node
        self.clean_values: dict[str, Any] = self.values() if clean else {}

    def fields(self) -> list[Field]:
        return list(self.node.query(Field).results(Field))

    def field(self, key: str) -> Field:
        return self.node.query_one(f"#field-{field_id(key)}", Field)

    def values(self, prefix: str = "") -> dict[str, Any]:
        return {f.key.removeprefix(prefix): f.value for f in self.fields() if f.key.startswith(prefix)}

    def set_value(self, key: str, value: Any, *, clean: bool = False) -> None:
        """Put ``value`` in a field; ``clean``: and note it as saved."""
        self.field(key).value = value
        if clean:
            self.clean_values[key] = value

    def refresh(self, saved: dict[str, Any]) -> None:
        """The saved values changed (an operation, another admin): the fields
        not edited since take them, and every one notes them as saved."""
        now = self.values()
        for key, value in saved.items():
            if key in now and now[key] == self.clean_values.get(key) and now[key] != value:
                self.set_value(key, value)
            self.clean_values[key] = value

    # -- errors ----------------------------------------------------------------
    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Each message under its field (clearing the others); returns the
        errors that no field of this form shows."""
        shown: set[str] = set()
        for f in self.fields():
            f.set_error(errors.get(f.key, ""))
            if f.key in errors:
                shown.add(f.key)
        return {k: v for k, v in errors.items() if k not in shown}

    def clear_errors(self) -> None:
        self.show_errors({})

    def focus_first_error(self, errors: Iterable[str]) -> bool:
        keys = set(errors)
        for f in self.fields():
            if f.key in keys and f.input.focusable:
                f.input.focus()
                return True
        return False

    # -- dirty check -------------------------------------------------------------
    def mark_clean(self, values: dict[str, Any] | None = None) -> None:
        self.clean_values = dict(self.values() if values is None else values)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.values().items() if v != self.clean_values.get(k)}

    def is_dirty(self) -> bool:
        return bool(self.changes())


def confirm_discard(node: DOMNode, then: Callable[[], Any], *, dirty: bool = True) -> None:
    """``then()`` now when nothing is ``dirty``; else ask "Discard changes?" first."""
    if not dirty:
        then()
        return

    def answered(yes: bool | None) -> None:
        if yes:
            then()

    node.app.push_screen(ConfirmModal("Discard changes?", "You have unsaved changes. Discard them?",
                                      yes="Discard", no="Keep editing"), answered)


class Tick(Checkbox):
    """A checkbox whose mark shows its state without colour (for NO_COLOR
    and monochrome terminals): "X" when ticked, blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "X" if self.value else " "
