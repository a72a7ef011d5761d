"""A multi-line text box whose text is always inert: :class:`SafeTextArea`.

Textual's ``TextArea`` shows its document as it is.  A stored text another
program wrote (a reply through the storefront's API, an import) may hold
ESC, CSI, OSC, C1 controls or bidi overrides, and so may text the admin
pastes; shown raw, they would reach the terminal live.  Its document also
splits lines on more than ``\\n`` (``str.splitlines``: vertical tab, form
feed, ``\\x1c``-``\\x1e``, NEL, the line and paragraph separators), so such a
text would not even keep its lines.

:class:`SafeTextArea` is to TextArea what :class:`~backroom.tui.safetext.SafeInput`
is to Input: every text that enters the document, given by the program or
typed, pasted or undone by the admin, passes through
:func:`~backroom.datalayer.text.inert_block` first: line breaks kept
(``\\r\\n`` and ``\\r`` become ``\\n``), a tab four spaces, every other control
or invisible format character shown as its escape (``\\x1b``).  What it shows
is what would be saved.
"""

from __future__ import annotations

from typing import Any

from textual.widgets.text_area import Edit, EditResult
from textual.binding import Binding
from textual.widgets import TextArea

from backroom.datalayer.text import inert_block


class SafeTextArea(TextArea):
    """A multi-line text input whose text is always inert (see the module).

    A text given by the program (``text=`` or :meth:`load_text`) is kept as
    :attr:`stored`; while the admin has not edited it, :attr:`real_value` is
    that text as it was, control characters and all, so a dialog can tell
    "unchanged" from "changed to its escaped copy".  Once edited,
    :attr:`real_value` is the text as shown.  Tab moves the focus on, as in
    every form (``tab_behavior="focus"``), and lines wrap to the box's width.
    A text given opens with the cursor at its end, as in a one-line input;
    Ctrl+Home and Ctrl+End go to the start and the end of the whole text.
    """

    BINDINGS = [
        Binding("ctrl+home", "cursor_text_start", "Start of the text", show=False),
        Binding("ctrl+end", "cursor_text_end", "End of the text", show=False),
    ]

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("tab_behavior", "focus")
        kwargs.setdefault("highlight_cursor_line", False)
        self._stored = text or ""
        super().__init__(inert_block(text), **kwargs)
        self.move_cursor(self.document.end)

    def load_text(self, text: str) -> None:
        """Show ``text`` (a stored one: it becomes :attr:`stored`), escaped,
        the cursor at its end."""
        self._stored = text or ""
        super().load_text(inert_block(text))
        self.move_cursor(self.document.end)

    def action_cursor_text_start(self) -> None:
        self.move_cursor((0, 0))

    def action_cursor_text_end(self) -> None:
        self.move_cursor(self.document.end)

    def edit(self, edit: Edit) -> EditResult:
        """Every change of the document's text but a load comes here: typing,
        Enter, pasting (a terminal's paste or ctrl+v), cutting, deleting.
        (Undo and redo replay edits that came here.)"""
        edit.text = inert_block(edit.text)
        return super().edit(edit)

    @property
    def stored(self) -> str:
        """The text last given by the program, as it was given."""
        return self._stored

    @property
    def edited(self) -> bool:
        """True once the text differs from what was shown for :attr:`stored`."""
        return self.text != inert_block(self._stored)

    @property
    def real_value(self) -> str:
        """:attr:`stored` while the admin has not edited it, else the text."""
        return self.text if self.edited else self._stored
