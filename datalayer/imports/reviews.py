"""Importing reviews: Backroom's own review file (what ``export reviews``
writes), or any CSV through a mapping, streamed and in batches like the
customers' import (:mod:`.customers`: the same report, rejects file, dry
run and all-or-nothing).

A review names its product by SKU and its customer by the id they were
imported with, else by email; the product must exist.  A row whose
customer is not found (or not named) but that gives an ``author_name`` is
a review by someone who is not a customer (a guest, another platform's
reviewer), kept under that name.  A review is the same one when its
product, customer (or author's name) and date are: importing a file again
changes nothing.  The body keeps its line breaks.  A review imported approved or
rejected gets one moderation event saying so (by ``moderated_by``, else
whoever imports); a status changed by an import gets one too.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from typing import Any, Callable

from ..admins import requires
from ..audit import resolve_actor
from ..parsing import DATE_MAX, DATE_MIN, has_control_chars, quoted
from ..reviewrules import REPLY_MAX
from ..tables import REVIEW_STATUSES, AuditEntry, Customer, Product, Review, ReviewEvent, utcnow
from ..textsearch import search_columns
from ..transactions import bulk, retried
from .common import (
    apply_import,
    ImportCancelled,
    ImportPreview,
    ImportReport,
    Rejects,
    RowProblem,
    Seen,
    audit_json,
    rejects_path_for,
    sql_in,
)
from .customers import BATCH
from .formats import header_key
from .rows import parse_timestamp
from .sniff import CsvSource, FileProblem
from .writer import insert_rows

REVIEW_IMPORT_FIELDS = ("product_sku", "customer_email", "customer_external_id", "rating", "title", "body",
                        "status", "created_at", "moderated_at", "moderated_by", "reject_reason", "reply", "author_name")
_LIMITS = {"product_sku": 64, "customer_email": 254, "customer_external_id": 64, "title": 200, "author_name": 100,
           "moderated_by": 64, "reject_reason": 500, "body": 20_000,
           "reply": REPLY_MAX}
_SIGNATURE = {"product_sku", "rating", "body"}


def _mapping(header: list[str], overrides: dict[str, str]) -> dict[int, str]:
    keys = [header_key(h) for h in header]
    mapping = {i: k for i, k in enumerate(keys) if k in REVIEW_IMPORT_FIELDS}
    for i, k in enumerate(keys):
        if k in overrides:
            if overrides[k] and overrides[k] not in REVIEW_IMPORT_FIELDS:
                raise FileProblem(f"{overrides[k]!r} is not a review field: one of {', '.join(REVIEW_IMPORT_FIELDS)}")
            if overrides[k]:
                mapping[i] = overrides[k]
            else:
                mapping.pop(i, None)
    fields = set(mapping.values())
    if not _SIGNATURE <= fields or not ({"customer_email", "customer_external_id", "author_name"} & fields):
        raise FileProblem("The header has no product_sku, rating, body and customer_email (or "
                          "customer_external_id, or author_name) columns: a review file as `export reviews` "
                          "writes it, or name the columns with --map 'column=field,…'")
    return mapping


def _clean(line: int, cells: list[str], mapping: dict[int, str], width: int,
           unterminated: bool) -> dict[str, Any] | list[tuple[str, str]]:
    if unterminated:
        return [("line", "the file ends inside a quoted cell (a truncated file?)")]
    if len(cells) != width:
        return [("line", f"{len(cells)} cells where the header has {width} columns")]
    raw = {f: cells[i] if f == "body" else cells[i].strip() for i, f in mapping.items()}
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {"line": line}
    for name, value in raw.items():
        value = unicodedata.normalize("NFC", value)
        if value[:1] == "'" and value[1:].lstrip(" ")[:1] in ("=", "+", "-", "@"):
            value = value[1:]
        if name in _LIMITS and len(value) > _LIMITS[name]:
            problems.append((name, f"longer than {_LIMITS[name]:,} characters ({len(value):,})"))
        elif has_control_chars(value, multiline=name in ("body", "reject_reason", "reply")):
            problems.append((name, "holds a control character"))
        out[name] = value
    if raw.get("rating", "") not in ("1", "2", "3", "4", "5"):
        problems.append(("rating", f"{quoted(raw.get('rating', ''))} is not a rating from 1 to 5"))
    else:
        out["rating"] = int(raw["rating"])
    status = raw.get("status", "").lower() or "pending"
    if status not in REVIEW_STATUSES:
        problems.append(("status", f"{quoted(raw['status'])} is not one of {', '.join(REVIEW_STATUSES)}"))
    out["status"] = status
    for name in ("created_at", "moderated_at"):
        if raw.get(name):
            stamp = parse_timestamp(raw[name])
            if stamp is None or not DATE_MIN <= stamp.date() <= DATE_MAX:
                problems.append((name, f"{quoted(raw[name])} is not a date (2024-03-01 10:20:30)"))
            out[name] = stamp
        else:
            out[name] = None
    if not out.get("product_sku"):
        problems.append(("product_sku", "a review needs its product's SKU"))
    if not out.get("customer_email") and not out.get("customer_external_id") and not out.get("author_name"):
        problems.append(("customer_email", "a review needs its customer's email or id, or its author's name"))
    return problems or out


@requires("import")
@retried
def import_reviews(path: str | os.PathLike, *, dry_run: bool = False, mapping: dict[str, str] | None = None,
                   encoding: str | None = None, all_or_nothing: bool = False,
                   progress: Callable[[int, int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None, actor: str | None = None) -> ImportReport:
    """Import (or check, ``dry_run``) the reviews in the CSV file at ``path``."""
    actor = resolve_actor(actor)
    with CsvSource(path, encoding=encoding) as src:
        cols = _mapping(src.header, {header_key(k): v for k, v in (mapping or {}).items()})
        preview = ImportPreview.of(src, "backroom-reviews", "Backroom reviews", cols)
        report = ImportReport(preview, dry_run)
        run = _ReviewRun(src, cols, report, actor=actor, write=not dry_run, progress=progress, cancelled=cancelled)
        if dry_run:
            run.run()
            return report
        bulk()
        run.rejects = Rejects(rejects_path_for(path), src.header)
        apply_import(report, run.rejects, run.run, all_or_nothing=all_or_nothing, actor=actor, action="reviews.import",
                     summary=lambda: {"file": src.path.name, "rows": report.rows, "new": report.new,
                                      "changed": report.changed, "unchanged": report.unchanged,
                                      "rejected": report.rejected})
    return report


class _ReviewRun:
    def __init__(self, src: CsvSource, cols: dict[int, str], report: ImportReport, *, actor: str, write: bool,
                 progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None):
        self.src, self.cols, self.report, self.actor, self.write = src, cols, report, actor, write
        self.progress, self.cancelled = progress, cancelled
        self.rejects: Any = None
        self.pending: list[list[Any]] = []
        self.seen = Seen()
        self.now = utcnow()

    def run(self) -> None:
        width = len(self.src.header)
        batch: list[tuple[dict[str, Any], list[str]]] = []
        for record in self.src.records():
            self.report.rows += 1
            row = _clean(record.line, record.cells, self.cols, width, record.unterminated)
            if isinstance(row, list):
                self._reject(record.line, record.cells, row)
                continue
            batch.append((row, record.cells))
            if len(batch) >= BATCH:
                self._batch(batch)
                self._flush()
                batch = []
        if batch:
            self._batch(batch)
        self._flush()
        self.report.problems.sort(key=lambda p: p.line)
        if self.progress:
            self.progress(self.src.size, self.src.size)

    def _reject(self, line: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
        self.report.rejected += 1
        self.report.problems += [RowProblem(line, f, m) for f, m in problems][:max(0, 1000 - len(self.report.problems))]
        if self.rejects is not None:
            self.pending.append([line, "; ".join(f"{f}: {m}" for f, m in problems), *cells])

    def _flush(self) -> None:
        """Write the batch's rejected rows, in the file's order."""
        for row in sorted(self.pending, key=lambda r: r[0]):
            self.rejects.writerow(row)
        self.pending = []

    def _batch(self, batch: list[tuple[dict[str, Any], list[str]]]) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled("The import was cancelled: nothing was imported.")
        if self.progress:
            self.progress(min(self.src.position(), self.src.size - 1), self.src.size)
        skus = sorted({r["product_sku"] for r, _ in batch})
        products = dict(Product.select(Product.sku, Product.id).where(sql_in(Product.sku, skus)).tuples())
        exts = sorted({r["customer_external_id"] for r, _ in batch if r.get("customer_external_id")})
        emails = sorted({r["customer_email"].lower() for r, _ in batch if r.get("customer_email")})
        by_ext = dict(Customer.select(Customer.external_id, Customer.id)
                      .where(sql_in(Customer.external_id, exts)).tuples()) if exts else {}
        by_email = dict(Customer.select(Customer.email_key, Customer.id)
                        .where(sql_in(Customer.email_key, emails)).tuples()) if emails else {}
        resolved = []
        for row, cells in batch:
            pid = products.get(row["product_sku"])
            cid = by_ext.get(row.get("customer_external_id") or "") or by_email.get(
                (row.get("customer_email") or "").lower())
            problems = []
            if pid is None:
                problems.append(("product_sku", f"no product has the SKU {quoted(row['product_sku'])}"))
            author = None if cid is not None else row.get("author_name") or None
            if cid is None and author is None:
                problems.append(("customer_email", "no customer has this email or id"))
            if not problems and row["created_at"] is not None:
                key = hash((pid, cid if cid is not None else ("author", author), row["created_at"]))
                if key in self.seen:
                    problems.append(("created_at", "the same product, customer and date as an earlier row"))
                self.seen.add(key)
            if problems:
                self._reject(row["line"], cells, problems)
            else:
                resolved.append((row, pid, cid if cid is not None else ("author", author)))
        pairs_c = sorted({c for _, _, c in resolved if not isinstance(c, tuple)})
        authors = sorted({c[1] for _, _, c in resolved if isinstance(c, tuple)})
        existing: dict[tuple[int, Any, dt.datetime], dict[str, Any]] = {}
        fields = (Review.id, Review.product, Review.customer, Review.author_name, Review.created_at, Review.rating,
                  Review.title, Review.body, Review.status, Review.reply)
        if pairs_c:
            for r in Review.select(*fields).where(sql_in(Review.customer, pairs_c)).dicts():
                existing[(r["product"], r["customer"], r["created_at"])] = r
        if authors:
            for r in Review.select(*fields).where(sql_in(Review.author_name, authors)
                                                  & Review.customer.is_null()).dicts():
                existing[(r["product"], ("author", r["author_name"]), r["created_at"])] = r
        new, changes = [], []
        for row, pid, cid in resolved:
            found = existing.get((pid, cid, row["created_at"])) if row["created_at"] else None
            if found is None:
                new.append((row, pid, cid))
                continue
            if "reply" in row:
                row["reply"] = row["reply"] or None
            diff = {k: row[k] for k in ("rating", "title", "body", "status", "reply")
                    if k in row and row[k] != found[k]}
            if diff:
                changes.append((found, diff, row))
                self.report.changed += 1
            else:
                self.report.unchanged += 1
        self.report.new += len(new)
        if self.write:
            self._write(new, changes)

    def _write(self, new: list[tuple[dict[str, Any], int, Any]],
               changes: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]) -> None:
        for row, pid, cid in new:
            moderated = row["status"] != "pending"
            anonymous = isinstance(cid, tuple)  # ("author", name): by someone who is not a customer
            review_id = Review.insert(
                product=pid, customer=None if anonymous else cid, author_name=cid[1] if anonymous else None,
                rating=row["rating"], title=row.get("title", ""),
                body=row.get("body", ""), status=row["status"], created_at=row["created_at"] or self.now,
                moderated_at=(row["moderated_at"] or self.now) if moderated else None,
                moderated_by=(row.get("moderated_by") or self.actor) if moderated else None,
                reject_reason=(row.get("reject_reason") or None) if row["status"] == "rejected" else None,
                reply=row.get("reply") or None, reply_at=self.now if row.get("reply") else None,
                reply_by=self.actor if row.get("reply") else None,
                **search_columns(row.get("title", ""), row.get("body", "")),
            ).execute()
            if moderated:
                insert_rows(ReviewEvent, [ReviewEvent.review, ReviewEvent.status, ReviewEvent.reason,
                                           ReviewEvent.at, ReviewEvent.actor],
                             [(review_id, row["status"], row.get("reject_reason") or None,
                               row["moderated_at"] or self.now, row.get("moderated_by") or self.actor)])
        for found, diff, row in changes:
            stamped = dict(diff)
            if "reply" in diff:
                stamped.update(reply_at=self.now if diff["reply"] else None,
                               reply_by=self.actor if diff["reply"] else None)
            if "title" in diff or "body" in diff:
                # What text search looks in follows the new words.
                stamped.update(search_columns(diff.get("title", found["title"]), diff.get("body", found["body"])))
            Review.update(**stamped).where(Review.id == found["id"]).execute()
            if "status" in diff:
                ReviewEvent.create(review=found["id"], status=diff["status"], reason=row.get("reject_reason") or None,
                                   at=self.now, actor=self.actor)
            AuditEntry.create(actor=self.actor, action="review.import", entity="review", entity_id=str(found["id"]),
                              before=audit_json({k: found[k] for k in diff}), after=audit_json(diff))
