"""Version 11 (text search through an index): review text search reads a
trigram index instead of every review (``textsearch`` says how it is read).

- Every review gets its folded ``search_text`` (a review another program
  wrote since v5 has none), and the column ``search_tokens``.
- SQLite: the FTS5 table ``review_search`` (``trigram`` tokenizer, external
  content: ``review.search_text``), the triggers that keep it in step with
  ``review``, filled a batch of ids at a time.
- PostgreSQL: the extension ``pg_trgm`` and a GIN index (``gin_trgm_ops``) on
  ``search_text``.  Creating the extension needs a superuser (or, from
  PostgreSQL 13, the right to create in the database): without it the step
  still succeeds, logs a warning, and search scans as before.
- MariaDB: ``search_tokens`` written a batch at a time (the trigrams of
  ``search_text`` as words), then a FULLTEXT index on it, built with
  stopwords off.
- SQLite and PostgreSQL: a partial index of the reviews whose search_text
  is NULL; MariaDB: an index on the start of search_tokens (the rows not
  tokenised yet).

Self-contained (the table frozen here), and safe to run again: each object
is created only if missing, the FTS table is refilled whole, and only rows
missing their words are written.  :func:`build` is also what a new
database gets.
"""

from __future__ import annotations

import logging

import peewee as pw

from ..connection import db, is_mysql, is_postgres, is_sqlite
from ..textsearch import search_text, search_words
from .base import Frozen

BATCH = 5000
FTS_BATCH = 50_000
EXTENSION = "pg_trgm"
FTS_TABLE = "review_search"

log = logging.getLogger("backroom.migrations")


class Review(Frozen):
    title = pw.CharField(max_length=200, default="")
    body = pw.TextField(default="")
    search_text = pw.TextField(null=True)
    search_tokens = pw.TextField(null=True)

    class Meta:
        table_name = "review"


def upgrade() -> None:
    from playhouse.migrate import SchemaMigrator, migrate

    if "search_tokens" not in {c.name for c in db.get_columns("review")}:
        migrate(SchemaMigrator.from_database(db.obj).add_column("review", "search_tokens",
                                                                pw.TextField(null=True)))
    _fold_reviews()
    build()


def build() -> None:
    """The engine's index (and what keeps it filled), for the reviews there are."""
    if is_sqlite():
        _sqlite()
    elif is_postgres():
        _postgres()
    elif is_mysql():
        _mysql()


def _fold_reviews() -> None:
    """Every review without search_text (written by another program) gets it."""
    sql = f"UPDATE review SET search_text = {db.obj.param} WHERE id = {db.obj.param}"
    while True:
        rows = list(Review.select(Review.id, Review.title, Review.body).where(Review.search_text.is_null())
                    .order_by(Review.id).limit(BATCH).tuples())
        if not rows:
            return
        db.cursor().executemany(sql, [(search_text(title or "", body or ""), rid) for rid, title, body in rows])


def _indexes() -> set[str]:
    return {ix.name for ix in db.get_indexes("review")}


SQLITE_TRIGGERS = {
    "review_search_insert": f"""AFTER INSERT ON review BEGIN
        INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (new.id, new.search_text); END""",
    "review_search_delete": f"""AFTER DELETE ON review BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END""",
    "review_search_update": f"""AFTER UPDATE OF search_text ON review BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (new.id, new.search_text); END""",
}


def _sqlite() -> None:
    db.execute_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                   "search_text, content='review', content_rowid='id', tokenize='trigram')")
    for name, body in SQLITE_TRIGGERS.items():
        db.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    # Refilled whole (a run again must not index a review twice), a batch
    # of ids at a time.
    db.execute_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')")
    after, last = 0, Review.select(pw.fn.MAX(Review.id)).scalar() or 0
    while after < last:
        db.execute_sql(f"INSERT INTO {FTS_TABLE} (rowid, search_text) SELECT id, search_text FROM review "
                       "WHERE id > ? AND id <= ? AND search_text IS NOT NULL", (after, after + FTS_BATCH))
        after += FTS_BATCH
    db.execute_sql("CREATE INDEX IF NOT EXISTS review_unfolded ON review (id) WHERE search_text IS NULL")


def _postgres() -> None:
    have = db.execute_sql("SELECT 1 FROM pg_extension WHERE extname = %s", (EXTENSION,)).fetchone()
    if not have:
        try:
            with db.atomic():  # a savepoint: a refusal leaves the step's transaction usable
                db.execute_sql(f'CREATE EXTENSION IF NOT EXISTS "{EXTENSION}"')
            have = True
        except pw.DatabaseError as exc:
            log.warning("Review text search will read every review: the extension %s could not be created "
                        "(%s). A superuser can run CREATE EXTENSION %s; then run the upgrade again "
                        "(backroom init).", EXTENSION, str(exc).strip().splitlines()[0], EXTENSION)
    if have:
        db.execute_sql("CREATE INDEX IF NOT EXISTS review_search_trgm ON review USING gin (search_text gin_trgm_ops)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS review_unfolded ON review (id) WHERE search_text IS NULL")


def _mysql() -> None:
    # A batch's words go into a temporary table in one multi-row INSERT,
    # then into the reviews in one joined UPDATE (an UPDATE a row was a
    # round trip a review).
    db.execute_sql("CREATE TEMPORARY TABLE IF NOT EXISTS review_words (id INTEGER PRIMARY KEY, words MEDIUMTEXT)")
    after = 0
    while True:
        rows = list(Review.select(Review.id, Review.search_text)
                    .where((Review.id > after) & Review.search_tokens.is_null() & Review.search_text.is_null(False))
                    .order_by(Review.id).limit(BATCH).tuples())
        if not rows:
            break
        after = rows[-1][0]
        db.execute_sql("DELETE FROM review_words")
        db.cursor().executemany("INSERT INTO review_words (id, words) VALUES (%s, %s)",
                                [(rid, search_words(text)) for rid, text in rows])
        db.execute_sql("UPDATE review JOIN review_words ON review_words.id = review.id "
                       "SET review.search_tokens = review_words.words")
    db.execute_sql("DROP TEMPORARY TABLE IF EXISTS review_words")
    indexes = _indexes()
    if "review_search_tokens" not in indexes:
        # Stopwords off: a word is a trigram's weights, never an English word,
        # but the index must not drop one that happens to spell one.
        (before,) = db.execute_sql("SELECT @@SESSION.innodb_ft_enable_stopword").fetchone()
        db.execute_sql("SET SESSION innodb_ft_enable_stopword = 0")
        try:
            db.execute_sql("CREATE FULLTEXT INDEX review_search_tokens ON review (search_tokens)")
        finally:
            db.execute_sql("SET SESSION innodb_ft_enable_stopword = %s", (int(before),))
    if "review_untokenized" not in indexes:
        db.execute_sql("CREATE INDEX review_untokenized ON review (search_tokens(1))")
