"""Review text search through an index, with the results of a plain scan.

What a moderator types is folded (``text.fold``: case and accents dropped)
and looked for anywhere in a review's folded title and body
(``review.search_text``).  :func:`scan_condition` says that as a plain
``LIKE '%…%'`` (wildcards escaped), which reads every review.
:func:`text_condition` finds the same reviews through an index of the
folded text's trigrams (every run of 3 characters), which can only point
at candidates: the scan's condition is still applied to them, so an index
that finds too much costs time, never a wrong row, and the results are the
scan's.

- SQLite: an FTS5 table ``review_search`` (``trigram`` tokenizer) over
  ``search_text``, kept in step by triggers on ``review`` (any program's
  write is indexed).  Text of 3 characters or more is a quoted phrase for
  ``MATCH`` — exactly its substrings.
- PostgreSQL: a ``pg_trgm`` GIN index on ``search_text``: the scan's own
  ``ILIKE '%…%'`` is read through it.  Without the extension (creating it
  needs a superuser) the step logs a notice and search scans.
- MariaDB (no n-gram parser): ``search_tokens`` holds the distinct
  trigrams of ``search_text`` as words, under a FULLTEXT index; a search
  asks for rows holding its own trigrams (``+t1 +t2 …`` in boolean mode).
  ``LIKE`` there compares characters by their collation's weights (``kız``
  matches ``kiz``, any emoji any other), so a trigram's word is made of its
  characters' weights (``WEIGHT_STRING``, asked of the server once per
  character and kept): every row the scan finds holds the words.  The
  words are written by the operations that write a review's text; a row
  whose ``search_tokens`` is NULL (written by another program, or before
  this version) is always a candidate.  InnoDB applies FULLTEXT changes at
  commit: a review written in the current transaction is not found by it.

Text most reviews hold is better read by the scan where another index
orders the page (a status: walk it, test each review, stop at the page's
last row) and, on MariaDB, always (InnoDB reads a frequent word's every
posting): see :func:`text_condition`.  The results are the same either way.

A review whose ``search_text`` is NULL (another program wrote it) is
searched in its own title and body, on every engine, through a partial
index of those rows (SQLite, PostgreSQL) or with the untokenised rows
(MariaDB).  Text shorter than 3 characters has no trigram: it scans.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Iterable, Iterator

import peewee as pw

from .connection import db, is_mysql, is_postgres, is_sqlite
from .tables import Review
from .text import fold

TRIGRAM = 3
FTS_TABLE = "review_search"
MAX_QUERY_TOKENS = 16
"""The most trigram words a MariaDB search asks for (spread over the text):
fewer words find a few more candidates, never fewer rows."""
MAX_WORD = 84  # innodb_ft_max_token_size's default

_use_index = [True]


@contextlib.contextmanager
def scan_only() -> Iterator[None]:
    """Search without the index (the plain scan), to compare with it."""
    _use_index.append(False)
    try:
        yield
    finally:
        _use_index.pop()


def search_text(title: str, body: str) -> str:
    """What text search looks in (``review.search_text``): the title and body folded."""
    return fold(f"{title}\n{body}")


def _like(field: pw.Node, text: str) -> pw.Expression:
    # Peewee's contains() escapes %, _ and \ (ESCAPE '\'), and is ILIKE:
    # case-insensitive on PostgreSQL, where the trigram index serves it.
    return field.contains(text)


def scan_condition(text: str) -> pw.Expression:
    """Reviews whose folded title and body hold ``text`` (folded), read by a
    plain scan; a review not folded yet is searched in its own words.
    (NULL-safe both ways: inside a NOT, NULL would drop the row.)"""
    folded: pw.Node = Review.search_text
    if not _use_index[-1] and is_postgres():
        folded = Review.search_text.concat("")  # the same text, which the trigram index does not serve
    return ((Review.search_text.is_null(False) & _like(folded, text))
            | (Review.search_text.is_null() & (_like(Review.title, text) | _like(Review.body, text))))


def text_condition(typed: str, *, narrowed: bool = False) -> pw.Expression | None:
    """The condition for what a moderator typed (None when it folds to
    nothing): through the engine's trigram index where there is one.

    ``narrowed``: the filter also has a condition an index of its own serves
    (status, product, customer).  Then text that most reviews hold (the index
    finds :data:`COMMON` candidates or more) is better read by walking that
    index in the queue's order and testing each review, which stops at the
    page's last row, than by fetching and sorting every candidate: it is
    given the scan's condition.  (PostgreSQL's planner weighs that itself.)"""
    text = fold(typed.strip())
    if not text:
        return None
    scan = scan_condition(text)
    if len(text) < TRIGRAM or not _use_index[-1]:
        return scan
    if is_sqlite():
        if not fts_ready():
            return scan
        matching = f'SELECT rowid AS id FROM "{FTS_TABLE}" WHERE "{FTS_TABLE}" MATCH ?'
        phrase = fts_phrase(text)
    elif is_mysql():
        words = query_words(text)
        if not words:
            return scan
        matching = "SELECT id FROM review WHERE MATCH (search_tokens) AGAINST (%s IN BOOLEAN MODE)"
        phrase = " ".join(f"+{w}" for w in words)
    else:
        return scan  # PostgreSQL: the trigram index serves the scan's ILIKE
    if is_mysql() and _common_in_sample(text):
        # InnoDB reads a frequent word's whole list: slower than the scan.
        return scan
    if narrowed and is_sqlite() and _common(matching, phrase):
        return scan
    # The index's candidates and the reviews not indexed (not folded yet: a
    # partial index; MariaDB: no words yet), as a derived table: gathered
    # once, then each looked up by primary key; the scan's condition decides.
    unindexed = "search_text IS NULL" if is_sqlite() else "search_tokens IS NULL"
    candidates = pw.SQL(f"(SELECT candidates.id FROM ({matching} UNION ALL SELECT id FROM review WHERE {unindexed})"
                        " AS candidates)", [phrase])
    return Review.id.in_(candidates) & scan


COMMON = 5000
"""How many candidates make text common (see :func:`text_condition`)."""


SAMPLE = 2000
"""MariaDB: how many of the newest reviews tell whether text is common."""


def _common(matching: str, phrase: str) -> bool:
    """SQLite: the FTS index stops at :data:`COMMON` rowids, a few ms."""
    (found,) = db.execute_sql(f"SELECT COUNT(*) FROM ({matching} LIMIT {COMMON}) AS probe", (phrase,)).fetchone()
    return found >= COMMON


def _common_in_sample(text: str) -> bool:
    """MariaDB: InnoDB's FULLTEXT search reads every posting of its words
    before any LIMIT (1.5 s for a word in 1 review of 6, at 100,000), so
    whether text is common is guessed from the newest :data:`SAMPLE`
    reviews instead (a few ms): would the whole table hold :data:`COMMON`
    at that rate?"""
    (last,) = db.execute_sql("SELECT MAX(id) FROM review").fetchone()
    if not last:
        return False
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    (found,) = db.execute_sql(f"SELECT COUNT(*) FROM (SELECT search_text FROM review ORDER BY id DESC LIMIT {SAMPLE})"
                              " AS sample WHERE search_text LIKE %s", (pattern,)).fetchone()
    return found * last >= COMMON * SAMPLE


def fts_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: quoted, its quotes doubled, so nothing
    in it is query syntax."""
    return '"' + text.replace('"', '""') + '"'


@contextlib.contextmanager
def index_deferred() -> Iterator[None]:
    """SQLite, around a bulk insert of reviews (the demo's seeds), inside
    the caller's transaction: the FTS table is filled once at the end
    rather than by the insert trigger row by row (seeding 200,000 reviews
    took 61 s that way, 9 s without it)."""
    found = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                           (INSERT_TRIGGER,)).fetchone() if is_sqlite() else None
    if found is None:
        yield
        return
    (last,) = db.execute_sql("SELECT COALESCE(MAX(id), 0) FROM review").fetchone()
    db.execute_sql(f"DROP TRIGGER {INSERT_TRIGGER}")
    # No finally: on an error the caller's transaction rolls back, the
    # dropped trigger with it (SQLite's DDL is transactional).
    yield
    db.execute_sql(found[0])
    db.execute_sql(f'INSERT INTO "{FTS_TABLE}" (rowid, search_text) SELECT id, search_text FROM review '
                   "WHERE id > ? AND search_text IS NOT NULL", (last,))


INSERT_TRIGGER = "review_search_insert"


def fts_ready() -> bool:
    return bool(db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'",
                               (FTS_TABLE,)).fetchone())


# --- MariaDB: trigrams as words -------------------------------------------

_weights: dict[tuple[str, str], dict[str, str]] = {}


def _collation() -> tuple[str, str]:
    database = db.obj.database
    key = (str(database), "review.search_text")
    if key not in _weights:
        row = db.execute_sql(
            "SELECT collation_name FROM information_schema.columns WHERE table_schema = DATABASE() "
            "AND table_name = 'review' AND column_name = 'search_text'").fetchone()
        _weights[key] = {"": (row[0] if row and row[0] else "utf8mb4_general_ci")}
    return key


def _char_keys(chars: Iterable[str]) -> dict[str, str]:
    """Each character's weight in the column's collation (hex), what MariaDB's
    LIKE compares; asked of the server for characters not seen before."""
    key = _collation()
    known = _weights[key]
    collation = known[""]
    if not collation.replace("_", "").isalnum():
        raise ValueError(f"unexpected collation {collation!r}")
    missing = sorted({c for c in chars if c not in known})
    for i in range(0, len(missing), 200):
        part = missing[i:i + 200]
        cols = ", ".join(f"HEX(WEIGHT_STRING(CONVERT(%s USING utf8mb4) COLLATE {collation}))" for _ in part)
        row = db.execute_sql(f"SELECT {cols}", part).fetchone()
        known.update(zip(part, (w or "" for w in row)))
    return known


def _word(keys: dict[str, str], gram: str) -> str:
    word = "".join(keys[c] for c in gram) or "0"
    if len(word) > MAX_WORD or len(word) < TRIGRAM:
        word = hashlib.blake2b(word.encode(), digest_size=8).hexdigest().upper()
    return word


def _grams(text: str) -> list[str]:
    return [text[i:i + TRIGRAM] for i in range(len(text) - TRIGRAM + 1)]


def search_words(text: str) -> str:
    """``search_tokens`` for folded text: its distinct trigrams as words."""
    grams = _grams(text)
    keys = _char_keys(text)
    return " ".join(dict.fromkeys(_word(keys, g) for g in grams))


def query_words(text: str) -> list[str]:
    """The words a search for folded ``text`` asks for (at most
    :data:`MAX_QUERY_TOKENS`, spread over it)."""
    keys = _char_keys(text)
    words = list(dict.fromkeys(_word(keys, g) for g in _grams(text)))
    if len(words) > MAX_QUERY_TOKENS:
        step = len(words) / MAX_QUERY_TOKENS
        words = [words[int(i * step)] for i in range(MAX_QUERY_TOKENS)]
    return words


def search_columns(title: str, body: str) -> dict[str, str | None]:
    """The search columns of a review with this title and body, as its writers store them."""
    text = search_text(title or "", body or "")
    return {"search_text": text, "search_tokens": search_words(text) if is_mysql() else None}
