"""Importing customers' addresses from the platforms' address files:
Magento 2's customer address file (``_website, _email, _entity_id, city,
country_id, firstname, lastname, postcode, region, street, telephone,
_address_default_billing_, _address_default_shipping_``) and PrestaShop's
address CSV (``;``-separated: ``Address ID; Alias; Customer e-mail;
Customer ID; Lastname; Firstname; Address 1; Address 2; Zipcode; City;
Country; State…``).

Each address is matched to its customer (who must exist) by the file's
customer id (the customer's ``external_id``), else by email, case ignored.
Backroom keeps one billing and one shipping address a customer: a Magento
address goes where its default flags say (both, if both are set; a row with
neither is rejected); PrestaShop's file has no such flags, so a customer's
first address in the file is the billing one and the second the shipping
one (a third is rejected).  A country is its two-letter code.

Streamed and batched like the customer import; a dry run writes nothing,
an apply is one transaction (rejected rows to ``<file>.rejects.csv``, or
nothing with ``all_or_nothing``), and importing the same file again
changes nothing ("0 new, 0 changed, N unchanged").
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Callable

from ..admins import requires
from ..audit import resolve_actor
from ..connection import db
from ..customers import ADDRESS_LIMITS, normalize_email
from ..parsing import has_control_chars, quoted
from ..tables import Address, AuditEntry, Customer, utcnow
from ..transactions import bulk, retried
from .common import (PROBLEMS_KEPT, apply_import, ImportCancelled, ImportPreview, ImportReport, Rejects, RowProblem, Seen,
                     audit_json, ids_in, rejects_path_for, sql_in)
from .formats import ADDRESS_FIELDS, header_key
from .sniff import CsvSource, FileProblem
from .writer import insert_rows

BATCH = 2_000

ADDRESS_FORMATS: dict[str, tuple[str, dict[str, str], frozenset[str]]] = {
    "magento-addresses": ("Magento 2 customer addresses", {
        "_email": "email", "firstname": "first_name", "lastname": "last_name", "street": "street",
        "city": "city", "region": "region", "postcode": "postcode", "country_id": "country",
        "_address_default_billing_": "default_billing", "_address_default_shipping_": "default_shipping"},
        frozenset({"_website", "_email", "_entity_id", "street", "country_id"})),
    "prestashop-addresses": ("PrestaShop addresses", {
        "customer e-mail": "email", "customer id": "external_id", "firstname": "first_name",
        "lastname": "last_name", "address 1": "line1", "address 2": "line2", "zipcode": "postcode",
        "city": "city", "country": "country", "state": "region"},
        frozenset({"alias", "customer e-mail", "address 1", "zipcode", "country"})),
}
ADDRESS_FORMAT_NAMES = tuple(ADDRESS_FORMATS)


def _open(path: str | os.PathLike, encoding: str | None, fmt: str | None
          ) -> tuple[CsvSource, str, dict[int, str], ImportPreview]:
    src = CsvSource(path, encoding=encoding)
    keys = [header_key(h) for h in src.header]
    try:
        if fmt is not None and fmt not in ADDRESS_FORMATS:
            raise FileProblem(f"{fmt!r} is not an address format: one of {', '.join(ADDRESS_FORMATS)}")
        name = fmt or next((n for n, (_, _, sig) in ADDRESS_FORMATS.items() if sig <= set(keys)), None)
        if name is None:
            raise FileProblem("The header matches no address format Backroom knows (Magento 2's customer "
                              "address file, PrestaShop's address CSV)")
        label, columns, _ = ADDRESS_FORMATS[name]
        cols = {i: columns[k] for i, k in enumerate(keys) if k in columns}
        if "email" not in cols.values() and "external_id" not in cols.values():
            raise FileProblem("The file has no column naming the customer (an email or a customer id)")
    except BaseException:
        src.close()
        raise
    preview = ImportPreview.of(src, name, label, cols)
    return src, name, cols, preview


def _flag(text: str) -> bool:
    return text.strip().lower() in ("1", "yes", "true")


def _clean(line: int, cells: list[str], cols: dict[int, str], width: int, unterminated: bool
           ) -> tuple[dict[str, str], dict[str, str]] | list[tuple[str, str]]:
    """(raw fields, address) of one record, or its problems."""
    if unterminated:
        return [("line", "the file ends inside a quoted cell (a truncated file?)")]
    if len(cells) != width:
        return [("line", f"{len(cells)} cells where the header has {width} columns")]
    raw = {f: unicodedata.normalize("NFC", cells[i].strip()) for i, f in cols.items()}
    problems: list[tuple[str, str]] = []
    if not raw.get("email") and not raw.get("external_id"):
        problems.append(("email", "an address needs its customer's email or id"))
    street = raw.pop("street", None)
    if street is not None:  # Magento: the street's lines, one a line
        lines = [s.strip() for s in street.replace("\r", "").split("\n") if s.strip()]
        raw["line1"], raw["line2"] = (lines[0] if lines else ""), ", ".join(lines[1:])
    name = " ".join(p for p in (raw.get("first_name", ""), raw.get("last_name", "")) if p)
    address = {"name": name, **{k: raw.get(k, "") for k in ADDRESS_FIELDS if k != "name"}}
    address["country"] = address["country"].upper()
    if address["country"] and not (len(address["country"]) == 2 and address["country"].isascii()
                                   and address["country"].isalpha()):
        problems.append(("country", f"{quoted(raw.get('country', ''))} is not a two-letter country code"))
    for k, v in address.items():
        if k == "country":
            continue  # checked above
        if len(v) > ADDRESS_LIMITS[k]:
            problems.append((k, f"longer than {ADDRESS_LIMITS[k]} characters ({len(v):,})"))
        elif has_control_chars(v):
            problems.append((k, "holds a control character"))
    if not address["line1"] and not address["city"]:
        problems.append(("line1", "an address needs its street or city"))
    return problems if problems else (raw, address)


@requires("import")
@retried
def import_addresses(path: str | os.PathLike, *, dry_run: bool = False, fmt: str | None = None,
                     encoding: str | None = None, all_or_nothing: bool = False,
                     progress: Callable[[int, int], None] | None = None,
                     cancelled: Callable[[], bool] | None = None, actor: str | None = None) -> ImportReport:
    """Import (or, with ``dry_run``, check) the addresses in ``path``; see
    the module's docstring."""
    actor = resolve_actor(actor)
    src, name, cols, preview = _open(path, encoding, fmt)
    report = ImportReport(preview, dry_run)
    with src:
        if dry_run:
            _Run(src, name, cols, report, None, actor, progress, cancelled).run()
            return report
        bulk()
        rejects = Rejects(rejects_path_for(path), src.header)
        apply_import(report, rejects, lambda: _Run(src, name, cols, report, rejects, actor, progress, cancelled).run(),
                     all_or_nothing=all_or_nothing, actor=actor, action="addresses.import",
                     summary=lambda: {"file": Path(report.preview.path).name, "format": name, "rows": report.rows,
                                      "new": report.new, "changed": report.changed,
                                      "unchanged": report.unchanged, "rejected": report.rejected})
    return report


class _Run:
    def __init__(self, src: CsvSource, fmt: str, cols: dict[int, str], report: ImportReport,
                 rejects: Rejects | None, actor: str, progress: Callable[[int, int], None] | None,
                 cancelled: Callable[[], bool] | None):
        self.src, self.fmt, self.cols, self.report, self.rejects = src, fmt, cols, report, rejects
        self.actor, self.progress, self.cancelled = actor, progress, cancelled
        self.taken = Seen()  # (customer id, kind) given an address by an earlier row
        self.now = utcnow()

    def run(self) -> None:
        width = len(self.src.header)
        batch: list[tuple[int, list[str], dict[str, str], dict[str, str]]] = []
        for record in self.src.records():
            self.report.rows += 1
            row = _clean(record.line, record.cells, self.cols, width, record.unterminated)
            if isinstance(row, list):
                self._reject(record.line, record.cells, row)
                continue
            batch.append((record.line, record.cells, *row))
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)
        self.report.problems.sort(key=lambda p: p.line)
        self._tick(final=True)

    def _tick(self, final: bool = False) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled("The import was cancelled: nothing was imported.")
        if self.progress is not None:
            self.progress(self.src.size if final else min(self.src.position(), self.src.size - 1), self.src.size)

    def _reject(self, line: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
        self.report.rejected += 1
        for field, message in problems:
            if len(self.report.problems) < PROBLEMS_KEPT:
                self.report.problems.append(RowProblem(line, field, message))
        if self.rejects is not None:
            self.rejects.writerow([line, "; ".join(f"{f}: {m}" for f, m in problems), *cells])

    def _kinds(self, cid: int, raw: dict[str, str]) -> list[str] | str:
        if self.fmt == "magento-addresses":
            kinds = [k for k in ("billing", "shipping") if _flag(raw.get(f"default_{k}", ""))]
            if not kinds:
                return "neither the default billing nor the default shipping address: Backroom keeps those two"
            if any((cid, k) in self.taken for k in kinds):
                return f"a second default {kinds[0]} address for this customer"
        else:
            kinds = [next((k for k in ("billing", "shipping") if (cid, k) not in self.taken), "")]
            if not kinds[0]:
                return "a third address for this customer: Backroom keeps a billing and a shipping one"
        for k in kinds:
            self.taken.add((cid, k))
        return kinds

    def _batch(self, batch: list[tuple[int, list[str], dict[str, str], dict[str, str]]]) -> None:
        self._tick()
        exts = [raw["external_id"] for _, _, raw, _ in batch if raw.get("external_id")]
        emails = [normalize_email(raw["email"]) for _, _, raw, _ in batch if raw.get("email")]
        by_ext: dict[str, int] = {}
        by_email: dict[str, int] = {}
        if exts:
            by_ext = dict(Customer.select(Customer.external_id, Customer.id)
                          .where(sql_in(Customer.external_id, exts)).tuples())
        if emails:
            by_email = dict(Customer.select(Customer.email_key, Customer.id)
                            .where(sql_in(Customer.email_key, emails)).tuples())
        wanted: list[tuple[int, str, dict[str, str], int]] = []
        for line, cells, raw, address in batch:
            cid = by_ext.get(raw.get("external_id", "")) if raw.get("external_id") else None
            if cid is None and raw.get("email"):
                cid = by_email.get(normalize_email(raw["email"]))
            if cid is None:
                self._reject(line, cells, [("email" if raw.get("email") else "external_id",
                                            "no customer has this email or id")])
                continue
            kinds = self._kinds(cid, raw)
            if isinstance(kinds, str):
                self._reject(line, cells, [("address", kinds)])
                continue
            wanted += [(cid, k, address, line) for k in kinds]
        stored: dict[tuple[int, str], dict[str, str]] = {}
        ids = sorted({cid for cid, _, _, _ in wanted})
        if ids:
            q = Address.select(Address.customer, Address.kind, *(getattr(Address, k) for k in ADDRESS_FIELDS)
                               ).where(ids_in(Address.customer, ids))
            for r in db.execute_sql(*q.sql()).fetchall():
                stored[(r[0], r[1])] = dict(zip(ADDRESS_FIELDS, r[2:]))
        writes: list[tuple[int, str, dict[str, str]]] = []
        audits: list[tuple] = []
        rows: dict[int, str] = {}  # line -> new, changed or unchanged (a row may give two addresses)
        for cid, kind, address, line in wanted:
            before = stored.get((cid, kind))
            status = "unchanged" if before == address else "new" if before is None else "changed"
            if rows.get(line) in (None, "unchanged") or status == "changed":
                rows[line] = status
            if status == "unchanged":
                continue
            writes.append((cid, kind, address))
            audits.append((self.now, self.actor, "address.import", "customer", str(cid),
                           audit_json({"kind": kind, **before}) if before else None,
                           audit_json({"kind": kind, **address, "line": line,
                                       "file": self.src.path.name})))
        for status in rows.values():
            setattr(self.report, status, getattr(self.report, status) + 1)
        if self.rejects is None or not writes:
            return
        for kind in ("billing", "shipping"):
            cids = [cid for cid, k, _ in writes if k == kind]
            if cids:
                Address.delete().where(sql_in(Address.customer, cids) & (Address.kind == kind)).execute()
        insert_rows(Address, [Address.customer, Address.kind, *(getattr(Address, k) for k in ADDRESS_FIELDS)],
                    [(cid, kind, *(a[k] for k in ADDRESS_FIELDS)) for cid, kind, a in writes])
        insert_rows(AuditEntry, [AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
                                 AuditEntry.entity_id, AuditEntry.before, AuditEntry.after], audits)
        # An open customer form saving over the imported address is refused (its version is stale).
        (Customer.update(version=Customer.version + 1, updated_at=self.now)
         .where(sql_in(Customer.id, sorted({cid for cid, _, _ in writes}))).execute())
