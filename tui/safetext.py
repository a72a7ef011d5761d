"""Untrusted text (review titles and bodies, customer names) made safe to show.

Whatever a shopper typed is shown as plain text: it never goes through Rich
markup (callers build :class:`rich.text.Text` objects, never markup
strings), and nothing in it reaches the terminal as a control sequence or
hides what it says: control and invisible format characters are shown as
escapes such as ``\\x1b`` and ``\\u202e``, as
:mod:`backroom.datalayer.text` (the one definition, shared with the command
line and exports) says.  Right-to-left scripts and emoji show as they are.

:func:`safe_line` is for one line (a title, a name); :func:`safe_block` keeps
the line breaks of a multi-line body.

:class:`SafeInput` is the one-line text input of every screen (and
:class:`~backroom.tui.safetextarea.SafeTextArea` the multi-line one): what it shows is
always inert, and a stored value it was given comes back unchanged unless
the admin edits it (see the class).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Input

from backroom.datalayer.text import inert_block, inert_line, is_inert


def safe_line(value: object) -> str:
    """One printable line (:func:`~backroom.datalayer.text.inert_line`)."""
    return inert_line(value)


def safe_block(value: object) -> str:
    """Printable multi-line text (:func:`~backroom.datalayer.text.inert_block`)."""
    return inert_block(value)


def line_text(value: object, style: str = "", *, ellipsis: bool = True) -> Text:
    """A :class:`Text` of one safe line, never markup."""
    return Text(safe_line(value), style=style, no_wrap=ellipsis, overflow="ellipsis" if ellipsis else "fold")


def block_text(value: object, style: str = "") -> Text:
    """A :class:`Text` of safe multi-line text that wraps, folding words too
    long for a line."""
    return Text(safe_block(value), style=style, overflow="fold")


def is_safe(text: str) -> bool:
    """True if ``text`` holds no control or invisible format character other
    than a line break or a tab."""
    return is_inert(text)


def confirmed_value(typed: str, stored: str | None) -> str:
    """What the admin means by ``typed`` when asked to type ``stored`` again
    (an email, to confirm an erasure): ``stored`` itself if they typed it as
    the screen shows it, its control characters as escapes (any case), else
    ``typed``."""
    if stored is not None and typed.strip().casefold() == safe_line(stored).strip().casefold():
        return stored
    return typed


class SafeInput(Input):
    """A one-line text input whose text is always inert.

    Its ``value`` is the text on screen: any control or invisible format
    character in it is shown escaped (``\\x1b``), whether the value was given
    by the program (a name as stored) or typed or pasted by the admin.  So
    nothing in an input can reach the terminal.

    A value given by the program is kept as :attr:`stored`.  While the admin
    has not edited the text, :attr:`real_value` is that stored value as it
    was, control characters and all, so a form that saves every field writes
    back exactly what was stored; once edited, it is the text as shown.  A
    character the admin types or pastes that is not inert arrives escaped:
    they see what they would save."""

    _stored: Any = ""
    _editing = False  # the admin's edit (typing, pasting, deleting) is setting the value

    def update_node_styles(self, animate: bool = True) -> None:
        """Restyled for a class changed; not before it is mounted (built with
        ``compact``, Textual styled it then, alone, and again as it mounted:
        a fifth of the work of a filter bar's or a form's fields)."""
        if self.is_attached:
            super().update_node_styles(animate)

    def validate_value(self, value: Any) -> str:
        if not self._editing:
            self._stored = value
        return safe_line(value)

    def replace(self, text: str, start: int, end: int) -> None:
        """Every edit of the admin's (typing, pasting, deleting) comes here."""
        self._editing = True
        try:
            super().replace(safe_line(text), start, end)
        finally:
            self._editing = False

    @property
    def stored(self) -> Any:
        """The value last given by the program, as it was given."""
        return self._stored

    @property
    def edited(self) -> bool:
        """True once the text differs from what was shown for :attr:`stored`."""
        return self.value != safe_line(self._stored)

    @property
    def real_value(self) -> Any:
        """:attr:`stored` while the admin has not edited it, else the text."""
        return self.value if self.edited else self._stored
