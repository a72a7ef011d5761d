"""A window of the customers export as CSV text (see exports.py): rows of
cells joined by control characters, written as the csv module writes them
once each cell is made safe as :func:`.outbox.csv_cell` makes it."""

from __future__ import annotations

import re

_X, _R = "\x1f", "\x1e"
"""what separates a window's cells and rows in the text a server aggregates
(control characters, which no cell written this way holds)"""

_FORMULA = ("=", "+", "-", "@")
_SPACED_FORMULA = re.compile(r" +[=+\-@]")


def _csv_text(lines: list[str], width: int, delimiter: str) -> str | None:
    """Rows of ``width`` cells (joined by _X) as the csv module writes them
    once each cell is made safe (:func:`.exports._safe_page`), line ends and all; None
    if a cell holds a control character (or a separator of the rows' text),
    which the Python rows then make safe as they do.  A cell that starts as
    a formula gets its ``'`` by replacing the separator and character before
    it in the whole text (after spaces, one by one: rare); a cell that holds
    the delimiter or a quote, found by searching the text for them, is
    quoted one by one."""
    if width < 2:  # (the csv module writes a row of one empty cell as "")
        return None
    text = _R + _R.join(lines)
    if text.count(_X) != len(lines) * (width - 1) or text.count(_R) != len(lines):
        return None
    spaced = []
    for sep in (_X, _R):
        i = text.find(sep + " ")
        while i >= 0:
            if _SPACED_FORMULA.match(text, i + 1):
                spaced.append(i + 1)
            i = text.find(sep + " ", i + 2)
    if spaced:
        spaced.sort()
        text = "'".join([text[a:b] for a, b in zip([0, *spaced], [*spaced, len(text)])])
    for sep in (_X, _R):
        for ch in _FORMULA:
            text = text.replace(sep + ch, sep + "'" + ch)
    quoted: dict[int, int] = {}  # where each cell to quote starts -> ends
    for ch in (delimiter, '"'):
        i = text.find(ch)
        while i >= 0:
            x = text.rfind(_X, 0, i)
            start = max(x, text.rfind(_R, x + 1, i)) + 1
            x = text.find(_X, i)
            end = text.find(_R, i, x if x >= 0 else len(text))
            end = end if end >= 0 else x if x >= 0 else len(text)
            quoted[start] = end
            i = text.find(ch, end)
    if quoted:
        pieces, done = [], 0
        for start in sorted(quoted):
            end = quoted[start]
            cell = text[start:end]
            pieces += (text[done:start], '"', cell.replace('"', '""') if '"' in cell else cell, '"')
            done = end
        pieces.append(text[done:])
        text = "".join(pieces)
    text = text[1:].replace(_X, delimiter).replace(_R, "\r\n") + "\r\n"
    # Every cell printable: no line break but the rows' ends, nothing else
    # that is no character to show (looked at last: a control character is rare).
    if text.count("\n") != len(lines) or text.count("\r") != len(lines) or not text.replace("\r\n", "").isprintable():
        return None
    return text
