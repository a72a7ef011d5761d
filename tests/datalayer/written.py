"""What the database holds, in one cheap query: for tests asserting that an
operation which raised wrote nothing.

Every table's row count, the sum of the versions of customers and groups
(every edit of either bumps it), the highest audit id, and sums over the
columns operations update in place (review statuses, category flags,
discounts, rule sets), so an UPDATE that was not rolled back shows too.
"""

from __future__ import annotations

import peewee as pw

from backroom import models


_sql: dict[type, tuple[str, list]] = {}


def fingerprint() -> tuple:
    """The figures above, as strings (engines differ in number types)."""
    key = type(models.db.obj)  # the SQL depends on the engine only
    if key not in _sql:  # built once per engine: it runs thousands of times
        _sql[key] = _query().sql()
    sql, params = _sql[key]
    return tuple(str(v) for v in models.db.execute_sql(sql, params).fetchone())


def _query() -> pw.Query:
    parts: list[pw.Node] = [model.select(pw.fn.COUNT(pw.SQL("*"))) for model in models.ALL_MODELS]
    parts += [
        models.Customer.select(pw.fn.COALESCE(pw.fn.SUM(models.Customer.version), 0)),
        models.CustomerGroup.select(pw.fn.COALESCE(pw.fn.SUM(models.CustomerGroup.version), 0)),
        models.AuditEntry.select(pw.fn.COALESCE(pw.fn.MAX(models.AuditEntry.id), 0)),
        models.Review.select(pw.fn.COUNT(models.Review.moderated_at)),
        models.Review.select(pw.fn.COUNT(models.Review.id)).where(models.Review.status == "approved"),
        models.Category.select(pw.fn.COUNT(models.Category.id)).where(models.Category.restricted == True),  # noqa: E712
        models.GroupRuleSet.select(pw.fn.COALESCE(pw.fn.SUM(pw.fn.LENGTH(models.GroupRuleSet.rules)), 0)),
        models.CategoryDiscount.select(pw.fn.COALESCE(pw.fn.SUM(models.CategoryDiscount.discount_percent), 0)),
        models.SchemaMeta.select(pw.fn.COALESCE(pw.fn.SUM(pw.fn.LENGTH(models.SchemaMeta.value)), 0)),
    ]
    return models.SchemaMeta.select(*[p.alias(f"p{i}") for i, p in enumerate(parts)]).limit(1)
