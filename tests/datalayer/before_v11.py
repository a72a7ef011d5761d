"""A database as it was before schema step 11 (text search through an
index): that step's index, its triggers and columns taken away again."""

from __future__ import annotations

from backroom import models


def undo_v11() -> None:
    db = models.db
    if models.is_sqlite():
        for trigger in ("review_search_insert", "review_search_delete", "review_search_update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute_sql("DROP TABLE IF EXISTS review_search")
        db.execute_sql("DROP INDEX IF EXISTS review_unfolded")
    elif models.is_postgres():
        db.execute_sql("DROP INDEX IF EXISTS review_search_trgm")
        db.execute_sql("DROP INDEX IF EXISTS review_unfolded")
    else:
        existing = {ix.name for ix in db.get_indexes("review")}
        for index in ("review_search_tokens", "review_untokenized"):
            if index in existing:
                db.execute_sql(f"DROP INDEX {index} ON review")
    db.execute_sql("ALTER TABLE review DROP COLUMN search_tokens")
