"""Text that people outside the admin team wrote, made inert.

Customers choose their own names on a storefront and anyone may write a
review, so any stored text may hold bytes meant to drive a terminal or to
disguise what it says.  Everything that writes stored text somewhere a
person reads it (the screens, the command line, exports) passes it through
:func:`inert_line` or :func:`inert_block`, and every write refuses what
:func:`has_control_chars` finds.  This is the one definition of both.

Shown escaped (``\\x1b``, ``\\u202e``):

- C0 and C1 control characters and DEL (ESC, BEL, NUL, CSI ``\\x9b``…), so
  an ANSI colour, a cursor move, an OSC 8 hyperlink or an OSC 0 title change
  is inert text;
- invisible format characters that reorder or hide text: soft hyphen,
  Arabic letter mark, Mongolian vowel separator, zero-width space, LRM/RLM,
  line and paragraph separators, bidi embeddings, overrides and isolates,
  word joiner and invisible operators, the byte-order mark, interlinear
  annotation marks; and lone surrogates, which no terminal can show.

Left as text: right-to-left scripts, combining marks, and the zero-width
joiner and non-joiner, which join emoji into one (a family, a flag of a
subdivision) and shape Persian and Indic words.
"""

from __future__ import annotations

import json
import re
import unicodedata

# C0, DEL and C1.
CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
# Invisible format characters that can disguise text (ZWNJ U+200C and ZWJ
# U+200D are not among them: see the module's doc), and lone surrogates.
INVISIBLE = ("\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
             "\ufeff\ufff9-\ufffb\ud800-\udfff")

_UNSAFE_LINE_RE = re.compile(f"[{CONTROL}{INVISIBLE}]")
_UNSAFE_BLOCK_RE = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{INVISIBLE}]")


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return "    " if ch == "\t" else _escaped(ch)


def inert_line(value: object) -> str:
    """One printable line: every control or invisible format character
    escaped, a tab and a line break too (``\\x09``, ``\\x0a``).  None is ""."""
    if value is None:
        return ""
    return _UNSAFE_LINE_RE.sub(lambda m: _escaped(m.group()), str(value))


def inert_block(value: object) -> str:
    """Printable multi-line text: line breaks kept (``\\r\\n`` and ``\\r``
    become ``\\n``), a tab becomes four spaces, every other control or
    invisible format character is escaped.  None is ""."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE_BLOCK_RE.sub(_escape, text)


def is_inert(text: str, *, multiline: bool = True) -> bool:
    """True if showing ``text`` as it is can neither drive a terminal nor
    hide what it says (line breaks allowed when ``multiline``; tabs always)."""
    text = text.replace("\t", " ")
    return not (_UNSAFE_BLOCK_RE if multiline else _UNSAFE_LINE_RE).search(text)


def has_control_chars(text: str, *, multiline: bool = False) -> bool:
    """What writes refuse in a one-line value: a control character (C0, DEL,
    C1), an invisible format character or a lone surrogate.  With
    ``multiline`` (a description, a review's body) a line break ``\\n`` is
    allowed, and nothing else of those."""
    if multiline:
        text = text.replace("\n", "")
    return bool(_UNSAFE_LINE_RE.search(text))


def inert_json(value: object, **dumps_options: object) -> str:
    """``json.dumps(value)`` that is still valid JSON holding the same data,
    readable (``ensure_ascii`` off: letters of every script stay as they
    are), yet inert: every character :func:`has_control_chars` finds (C1,
    bidi overrides, lone surrogates…) is written as a ``\\uXXXX`` escape.
    ``json.dumps`` escapes C0 inside strings itself, so a tab or line break
    left in its output is layout (``indent``), and outside strings JSON is
    ASCII: only string contents are touched."""
    text = json.dumps(value, ensure_ascii=False, **dumps_options)  # type: ignore[arg-type]
    return _UNSAFE_JSON_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_UNSAFE_JSON_RE = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{INVISIBLE}]")


def fold(value: str) -> str:
    """``value`` as text search compares it: case and accents dropped, in
    every script ("Núñez" and "NUNEZ" are "nunez", "NÃO" and "não" are
    "nao", "Straße" is "strasse").  Case folded, decomposed (NFKD), its
    combining marks removed, composed again (NFC)."""
    if value.isascii():  # most text: nothing to decompose, and casefold() is lower() there
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
