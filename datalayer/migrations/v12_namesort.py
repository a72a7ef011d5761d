"""Version 12 (MariaDB: a text filter's first pages in name order read from
indexes): the customer indexes that hold the name keys next to each key a
text filter searches, so that each of the filter's range scans gives its
first matches in name order without reading their rows
(``CustomerFilter.first_by_name``).

- MariaDB: ``customer_email_key_names`` (email_key, last_key, name_key),
  ``customer_email_fold_names`` (email_fold, last_key, name_key) and
  ``customer_name_key_last`` (name_key, last_key), added in one ALTER TABLE
  (one pass over the table, reads and writes going on meanwhile).
- SQLite and PostgreSQL: nothing (they read the filter's OR through their
  indexes and sort the matches found; ``selection._text_matches``).

Safe to run again: an index is added only if missing.  :func:`build` is
also what a new database gets.
"""

from __future__ import annotations

from ..connection import db, is_mysql

INDEXES = {
    "customer_email_key_names": ("email_key", "last_key", "name_key"),
    "customer_email_fold_names": ("email_fold", "last_key", "name_key"),
    "customer_name_key_last": ("name_key", "last_key"),
}


def upgrade() -> None:
    build()


def build() -> None:
    if not is_mysql():
        return
    have = {ix.name for ix in db.get_indexes("customer")}
    missing = [f"ADD INDEX `{name}` ({', '.join(f'`{c}`' for c in cols)})"
               for name, cols in INDEXES.items() if name not in have]
    if missing:
        db.execute_sql(f"ALTER TABLE `customer` {', '.join(missing)}, ALGORITHM=INPLACE, LOCK=NONE")
