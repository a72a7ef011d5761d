"""What every upgrade step shares: the frozen base model, the schema-version
record, and creating the indexes a table lacks."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from ..connection import db


def frozen_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class Frozen(pw.Model):
    """Base of the frozen copies of the tables: each step module declares the
    tables as they were at its version, so a later change to the live models
    cannot change what an old upgrade step does."""

    class Meta:
        database = db
        legacy_table_names = False


class SchemaMeta(Frozen):
    key = pw.CharField(max_length=64, primary_key=True)
    value = pw.CharField(max_length=255)


def table_exists(name: str) -> bool:
    return name in db.get_tables()


def ensure_indexes(model: type[pw.Model]) -> None:
    """Create the model's indexes that the table lacks (Peewee's "safe"
    create skips them for an existing MySQL table)."""
    existing = {ix.name for ix in db.get_indexes(model._meta.table_name)}
    for index in model._meta.fields_to_index():
        if index._name not in existing:
            db.execute(model._schema._create_index(index, safe=False))
