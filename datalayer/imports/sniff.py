"""Reading a CSV file met in the wild, streamed: its encoding (UTF-8 with or
without a BOM, UTF-16 by its BOM, Latin-1 or another when named), its
delimiter (``,`` ``;`` or tab, from the header line) and its records with
the line each starts on.  The file is never read whole: the ``csv`` module
reads a decoding stream, one record at a time.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import BackroomError
from ..text import inert_line

DELIMITERS = (",", ";", "\t")

FIELD_LIMIT = 1_000_000
"""The longest cell read (characters); a longer one makes the file unreadable."""

csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


class FileProblem(BackroomError):
    """The file as a whole cannot be read (not its rows): one line saying why."""


@dataclasses.dataclass
class Record:
    line: int
    """The line of the file the record starts on (the header is line 1)."""
    cells: list[str]
    unterminated: bool = False
    """The file ended inside a quoted cell (a truncated file)."""


def detect_encoding(head: bytes, named: str | None = None) -> str:
    """The codec to read a file starting with ``head``: the one ``named``
    (checked), else the BOM's, else UTF-16 when every other byte of the
    start is a zero, else UTF-8."""
    if named:
        try:
            info = codecs.lookup(named)
        except LookupError:
            raise FileProblem(f"{inert_line(named)!r} is not an encoding Python knows "
                              "(try utf-8, utf-16 or latin-1)") from None
        if info.name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return info.name
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:200]
    if len(sample) >= 4 and sample[1::2].count(0) >= len(sample[1::2]) * 0.9:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) >= len(sample[0::2]) * 0.9:
        return "utf-16-be"
    return "utf-8"


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most, outside quotes (``,`` if none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvSource:
    """An open CSV file: ``encoding``, ``delimiter``, ``header`` and
    :meth:`records`; ``position()``/``size`` for progress.  Use as a context
    manager (it closes the file)."""

    def __init__(self, path: str | os.PathLike, *, encoding: str | None = None, delimiter: str | None = None):
        self.path = Path(path)
        try:
            self._raw: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            raise FileProblem(f"No file {inert_line(str(self.path))}") from None
        except IsADirectoryError:
            raise FileProblem(f"{inert_line(str(self.path))} is a folder, not a file") from None
        except PermissionError:
            raise FileProblem(f"{inert_line(str(self.path))} cannot be read (permission denied)") from None
        try:
            self.size = os.fstat(self._raw.fileno()).st_size
            head = self._raw.read(4096)
            self._raw.seek(0)
            self.encoding = detect_encoding(head, encoding)
            self._physical = 0
            self._text = io.TextIOWrapper(self._raw, encoding=self.encoding, newline="", errors="strict")
            first = self._readline_checked()
            if not first.strip():
                raise FileProblem(f"{inert_line(str(self.path))} is empty: no header line")
            if delimiter is not None and delimiter not in DELIMITERS:
                raise FileProblem("The delimiter must be a comma, a semicolon or a tab")
            self.delimiter = delimiter or detect_delimiter(first)
            self._reader = csv.reader(self._lines(first), delimiter=self.delimiter, quotechar='"',
                                      doublequote=True, strict=False)
            self.header = [cell.lstrip("\ufeff") for cell in self._next_record()]
            self._line = 2
        except BaseException:
            self._raw.close()
            raise

    # -- reading ---------------------------------------------------------

    def _readline_checked(self) -> str:
        try:
            return self._text.readline()
        except UnicodeDecodeError:
            raise FileProblem(
                f"{inert_line(self.path.name)} is not {self.encoding} text (around line "
                f"{getattr(self, '_physical', 0) + 1}): name its encoding, e.g. --encoding latin-1") from None

    def _lines(self, first: str) -> Iterator[str]:
        self._physical = 1
        self._quotes = first.count('"')
        yield first
        while True:
            line = self._readline_checked()
            if not line:
                return
            self._physical += 1
            self._quotes += line.count('"')
            yield line

    def _next_record(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            raise FileProblem(f"line {self._reader.line_num}: the file cannot be read as CSV ({exc})") from None

    def records(self) -> Iterator[Record]:
        """The records after the header; blank lines are skipped."""
        while True:
            start = self._physical + 1
            self._quotes = 0
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileProblem(f"line {start}: the file cannot be read as CSV ({exc})") from None
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            yield Record(start, cells, unterminated=self._quotes % 2 == 1)

    def position(self) -> int:
        """Bytes read so far (for a progress bar; the decoder reads ahead)."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
