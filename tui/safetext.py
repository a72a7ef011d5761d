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
"""

from __future__ import annotations

from rich.text import Text

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
