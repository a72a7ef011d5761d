"""Untrusted text (review titles and bodies, customer names) made safe to show.

Whatever a shopper typed is shown as plain text: it never goes through Rich
markup (callers build :class:`rich.text.Text` objects, never markup
strings), and nothing in it reaches the terminal as a control sequence:

- C0 and C1 control characters (ESC, BEL, NUL, CSI ``\\x9b``, …) are shown
  as visible escapes such as ``\\x1b``, so an ANSI colour, a cursor move, an
  OSC 8 hyperlink or an OSC 0 title change is inert text;
- invisible format characters that can disguise text — zero-width spaces and
  joiners' cousins, bidi embeddings, overrides and isolates, line and
  paragraph separators, the byte-order mark — are shown as ``\\u202e`` etc.
  Right-to-left scripts (Arabic, Hebrew) and emoji are left as they are.

:func:`safe_line` is for one line (a title, a name); :func:`safe_block` keeps
the line breaks of a multi-line body.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 (except what safe_block keeps), DEL and C1.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
# Format characters that are invisible or reorder text: soft hyphen, Arabic
# letter mark, Mongolian vowel separator, zero-width space/non-joiner/joiner,
# LRM/RLM, line/paragraph separators, bidi embeddings and overrides, word
# joiner and invisible operators, bidi isolates, deprecated format chars, BOM,
# interlinear annotation marks.
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"

_LINE_RE = re.compile(f"[{_CONTROL}{_INVISIBLE}]")
_BLOCK_RE = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch == "\t":
        return "    "
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_line(value: object) -> str:
    """One printable line: every control or invisible format character escaped
    (a tab, too, and a line break, as ``\\x0a``)."""
    if value is None:
        return ""
    text = str(value)
    return _LINE_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def safe_block(value: object) -> str:
    """Printable multi-line text: line breaks kept (``\\r\\n`` and ``\\r`` become
    ``\\n``), tabs become four spaces, every other control or invisible format
    character is escaped."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _BLOCK_RE.sub(_escape, text)


def line_text(value: object, style: str = "", *, ellipsis: bool = True) -> Text:
    """A :class:`Text` of one safe line, never markup."""
    return Text(safe_line(value), style=style, no_wrap=ellipsis, overflow="ellipsis" if ellipsis else "fold")


def block_text(value: object, style: str = "") -> Text:
    """A :class:`Text` of safe multi-line text that wraps, folding words too
    long for a line."""
    return Text(safe_block(value), style=style, overflow="fold")


def is_safe(text: str) -> bool:
    """True if ``text`` holds no control character other than a line break."""
    return not _BLOCK_RE.search(text.replace("\t", " "))
