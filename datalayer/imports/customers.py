"""Importing customers from a CSV file: the dry run and the apply, streamed.

The file is read one record at a time (:mod:`.sniff`), each row checked
(:mod:`.rows`) and the valid ones handled in batches of :data:`BATCH` with
a few set-based statements each: one query finds the customers the batch
matches (by the source system's id, else by email whatever its case), one
statement inserts the new ones, others their memberships, addresses,
notifications and audit entries; a changed customer is one UPDATE.  Memory
stays flat whatever the file's size: what is kept across batches is one
64-bit hash per id and email seen, to refuse the same customer twice.

A dry run reads and writes nothing but its report.  An apply is one
transaction: every valid row is imported and the rejected ones written to
``<file>.rejects.csv`` beside the input (mode 0600, with the line and the
problems), or, with ``all_or_nothing``, nothing at all if any row is bad.
A cancelled or failed import leaves nothing behind.

On an existing customer a blank cell keeps the stored value (an import
never erases), groups are only joined (never left), and a row whose values
all equal the stored ones counts as unchanged: importing the same file
twice says "0 new, 0 changed, N unchanged".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable

import peewee as pw

from ..admins import requires
from ..audit import resolve_actor
from ..connection import db, is_mysql
from ..customers import customer_keys
from ..groups import _notifies, create_group
from ..lookup import general_group
from ..tables import Address, AuditEntry, Customer, CustomerGroup, Membership, Notification, utcnow
from ..text import inert_line
from ..transactions import Interfered, bulk, lock_groups, retried
from . import bulkload
from .common import (
    apply_import,
    PROBLEMS_KEPT,
    ImportCancelled,
    ImportPreview,
    ImportReport,
    Rejects,
    RowProblem,
    Seen,
    audit_json,
    ids_in,
    insert_one,
    raw_rows,
    rejects_path_for,
    sql_in,
)
from .formats import ADDRESS_FIELDS, CustomerFormat, detect_format, format_named, parse_map, resolve_mapping
from .rows import ImportedCustomer, clean_row
from .sniff import CsvSource, FileProblem
from .writer import insert_rows, insert_rows_ids

BATCH = 2_000

ROW_BYTES = 80
"""About the fewest bytes a customer takes in a file (with an address): what
the rows a file holds are reckoned from, before it is read."""

_STORED = (Customer.id, Customer.first_name, Customer.last_name, Customer.email, Customer.email_key,
           Customer.phone, Customer.status, Customer.account_type, Customer.tax_exempt, Customer.language,
           Customer.registered_at, Customer.default_group, Customer.external_id, Customer.version)
_MEMBER_FIELDS = [Membership.customer, Membership.group, Membership.source, Membership.added_by,
                  Membership.added_at]
_SEARCH_KEYS = ("email_key", "email_fold", "name_key", "last_key")  # derived: not in audit entries
_COMPARED = ("first_name", "last_name", "email", "phone", "status", "account_type", "tax_exempt", "language",
             "registered_at", "external_id")
_NEW_FIELDS = [Customer.first_name, Customer.last_name, Customer.email, Customer.email_key, Customer.name_key,
               Customer.last_key, Customer.phone, Customer.status, Customer.account_type, Customer.tax_exempt,
               Customer.language, Customer.registered_at, Customer.default_group, Customer.external_id,
               Customer.version, Customer.updated_at, Customer.total_spent, Customer.order_count,
               Customer.email_fold]


def _open(path: str | os.PathLike, encoding: str | None, fmt: str | None,
          mapping: str | dict[str, str] | None) -> tuple[CsvSource, CustomerFormat | None, dict[int, str],
                                                          ImportPreview]:
    overrides = parse_map(mapping) if isinstance(mapping, str) else dict(mapping or {})
    src = CsvSource(path, encoding=encoding)
    try:
        chosen = format_named(fmt) if fmt else detect_format(src.header)
        if chosen is None and not overrides:
            raise FileProblem(
                f"The header of {inert_line(src.path.name)} matches no customer format Backroom knows "
                "(Shopify, Magento 2, PrestaShop, WooCommerce, Backroom): name its columns with "
                "--map 'column=field,…'")
        cols = resolve_mapping(src.header, chosen, overrides)
    except BaseException:
        src.close()
        raise
    label = chosen.label if chosen else "custom mapping"
    if chosen and overrides:
        label += " (with --map)"
    preview = ImportPreview.of(src, chosen.name if chosen else None, label, cols)
    return src, chosen, cols, preview


def preview_customer_file(path: str | os.PathLike, *, fmt: str | None = None,
                          mapping: str | dict[str, str] | None = None, encoding: str | None = None) -> ImportPreview:
    """The detected encoding, delimiter, format and column mapping of a file."""
    src, _, _, preview = _open(path, encoding, fmt, mapping)
    src.close()
    return preview


@requires("import")
@retried
def import_customers(path: str | os.PathLike, *, dry_run: bool = False, fmt: str | None = None,
                     mapping: str | dict[str, str] | None = None, encoding: str | None = None,
                     all_or_nothing: bool = False, create_groups: bool = False, quiet: bool = False,
                     progress: Callable[[int, int], None] | None = None,
                     cancelled: Callable[[], bool] | None = None, actor: str | None = None) -> ImportReport:
    """Import (or, with ``dry_run``, check) the customers in the CSV file at
    ``path``; see the module's docstring.  ``progress(bytes_read, size)`` is
    called as it goes; ``cancelled()`` returning True stops it, nothing
    imported (:class:`ImportCancelled`)."""
    actor = resolve_actor(actor)
    src, chosen, cols, preview = _open(path, encoding, fmt, mapping)
    report = ImportReport(preview, dry_run)
    with src:
        if dry_run:
            _Run(src, chosen, cols, report, write=False, create_groups=create_groups, quiet=quiet,
                 actor=actor, progress=progress, cancelled=cancelled).run()
            return report
        bulk()
        rejects = Rejects(rejects_path_for(path), src.header)
        # MariaDB: a big file into a (nearly) empty shop sets the indexes
        # aside before the transaction (PostgreSQL does it in _Run.run).
        with bulkload.mysql_set_aside(Customer._meta.table_name, src.size // ROW_BYTES,
                                      (Address._meta.table_name, Membership._meta.table_name,
                                       AuditEntry._meta.table_name)):
            apply_import(report, rejects,
                         lambda: _Run(src, chosen, cols, report, write=True, create_groups=create_groups,
                                      quiet=quiet, actor=actor, progress=progress, cancelled=cancelled,
                                      rejects=rejects).run(),
                         all_or_nothing=all_or_nothing, actor=actor, action="customers.import",
                         summary=lambda: _audit_summary(report))
    if not report.applied:
        report.joined = 0
        report.groups_created = []
    return report


def _audit_summary(report: ImportReport) -> dict[str, Any]:
    return {"file": Path(report.preview.path).name, "format": report.preview.format or "custom",
            "rows": report.rows, "new": report.new, "changed": report.changed, "unchanged": report.unchanged,
            "rejected": report.rejected, "joined": report.joined, "groups_created": report.groups_created}


def _slug(name: str) -> str:
    code = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:32].strip("-")
    return code or "group"


_STORED_NAMES = [f.name for f in _STORED]


def _digits(phone: str) -> tuple[str, str]:
    """The key of a phone in _Run.no_email: its ASCII digits.  Two phones
    the engine holds equal (its collation ignores case, accents, trailing
    spaces) have the same: a digit equals only itself."""
    return ("n", "".join(c for c in phone if "0" <= c <= "9"))


def _stored(query: pw.ModelSelect) -> list[dict[str, Any]]:
    """Customers as dicts of their stored values, read straight from the
    driver (Peewee's conversion of every value costs more than the query):
    SQLite's text times become datetimes, its 0/1 flags booleans."""
    rows = []
    for r in db.execute_sql(*query.sql()).fetchall():
        row = dict(zip(_STORED_NAMES, r))
        stamp = row["registered_at"]
        if isinstance(stamp, str):
            row["registered_at"] = dt.datetime.fromisoformat(stamp)
        row["tax_exempt"] = bool(row["tax_exempt"])
        rows.append(row)
    return rows


class _Run:
    """One pass over the file (see :func:`import_customers`)."""

    def __init__(self, src: CsvSource, fmt: CustomerFormat | None, cols: dict[int, str], report: ImportReport,
                 *, write: bool, create_groups: bool, quiet: bool, actor: str,
                 progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None,
                 rejects: Any = None):
        self.src, self.fmt, self.cols, self.report = src, fmt, cols, report
        self.write, self.create_groups, self.quiet, self.actor = write, create_groups, quiet, actor
        self.progress, self.cancelled, self.rejects = progress, cancelled, rejects
        self.seen = Seen.sized(2 * src.size // ROW_BYTES)  # an id and an email a row
        self.pending: list[tuple[int, str, list[str]]] = []
        self.groups: dict[str, CustomerGroup | None] = {}
        self.locked: set[int] = set()
        self.general = general_group()
        self.now = utcnow()
        self.file_name = src.path.name
        self.empty = False
        """The customers' table was empty when the import began (see run)."""
        self.written = 0
        """Customers this import inserted."""
        self.no_email = Seen()
        """The digits of the phone of each customer this import inserted
        without an email (into an empty table, those a row with neither id
        nor email can match: see _batch)."""

    # -- the pass ----------------------------------------------------------

    def run(self) -> None:
        # A big file into a (nearly) empty shop: the customers' secondary
        # indexes and the keys of their addresses and memberships are built
        # once at the end instead of row by row (see .bulkload).
        aside = self.write and bulkload.worth_it(Customer._meta.table_name, self.src.size // ROW_BYTES)
        with bulkload.set_aside(Customer._meta.table_name, (Address._meta.table_name, Membership._meta.table_name)) \
                if aside else contextlib.nullcontext():
            # The table empty: no customer but this import's own can match a
            # row by id or email, and a row matching an earlier one by those
            # is refused as a duplicate before it is looked up.  On
            # PostgreSQL the table is locked; MariaDB has no lock for it that
            # does not commit (LOCK TABLES), so there an admin may add a
            # customer meanwhile: if the database then refuses a row of the
            # file as the same customer, the import runs again, row by row.
            self.empty = (aside or (self.write and is_mysql())) and not raw_rows(
                Customer.select(Customer.id).limit(1))
            try:
                self._pass()
            except pw.IntegrityError as exc:
                if self.empty and not aside and self._others():
                    raise Interfered("a customer was added while the file was imported into an empty shop") \
                        from exc
                raise

    def _others(self) -> bool:
        """Whether the table holds customers this import did not write."""
        return raw_rows(Customer.select(pw.fn.COUNT(Customer.id)))[0][0] > self.written

    def _pass(self) -> None:
        width = len(self.src.header)
        sep = self.fmt.list_separator if self.fmt else ","
        values = self.fmt.group_values if self.fmt else {}
        batch: list[tuple[ImportedCustomer, list[str]]] = []
        for record in self.src.records():
            self.report.rows += 1
            row = clean_row(record.line, record.cells, self.cols, width, separator=sep, group_values=values,
                            unterminated=record.unterminated)
            if isinstance(row, list):
                self._reject(record.line, record.cells, row)
                continue
            duplicate = self._duplicate(row)
            if duplicate:
                self._reject(record.line, record.cells, [duplicate])
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
        self._tick(final=True)

    def _tick(self, final: bool = False) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled("The import was cancelled: nothing was imported.")
        if self.progress is not None:
            self.progress(self.src.size if final else min(self.src.position(), self.src.size - 1), self.src.size)

    def _duplicate(self, row: ImportedCustomer) -> tuple[str, str] | None:
        """The problem of a row whose id or email an earlier row had (its
        phone, with neither), else None: its keys are remembered."""
        seen, ext, email = self.seen, row.external_id, row.email_key
        x = hash(("x", ext)) if ext else None
        e = hash(("e", email)) if email else None
        if x is not None and x in seen:
            return ("external_id", "the same customer id as an earlier row")
        if e is not None and e in seen:
            return ("email", "the same email as an earlier row (case ignored)")
        if x is None and e is None:
            p = hash(("p", row.fields.get("phone")))
            if p in seen:
                return ("phone", "the same phone as an earlier row with neither id nor email")
            seen.add(p)
            return None
        if x is not None:
            seen.add(x)
        if e is not None:
            seen.add(e)
        return None

    def _reject(self, line: int, cells: list[str], problems: Iterable[tuple[str, str]]) -> None:
        problems = list(problems)
        self.report.rejected += 1
        for field, message in problems:
            if len(self.report.problems) < PROBLEMS_KEPT:
                self.report.problems.append(RowProblem(line, field, message))
        if self.rejects is not None:
            self.pending.append((line, "; ".join(f"{f}: {m}" for f, m in problems), cells))

    def _flush(self) -> None:
        """Write the batch's rejected rows, in the file's order."""
        for line, text, cells in sorted(self.pending, key=lambda r: r[0]):
            self.rejects.writerow([line, text, *cells])
        self.pending = []

    # -- groups ------------------------------------------------------------

    def _group(self, name: str) -> CustomerGroup | None | str:
        """The group a file names (by code, else by name, case ignored), or
        a problem (text)."""
        key = name.lower()
        if key not in self.groups:
            by_code = CustomerGroup.get_or_none(pw.fn.LOWER(CustomerGroup.code) == key)
            found = by_code or (CustomerGroup.select().where(pw.fn.LOWER(CustomerGroup.name) == key)
                                .order_by(CustomerGroup.id).first())
            if found is None and self.create_groups:
                found = self._create_group(name)
            self.groups[key] = found
        g = self.groups[key]
        if g is None:
            self.report.unknown_groups[name] = self.report.unknown_groups.get(name, 0) + 1
            return f"no group has the code or name {inert_line(name)!r} (--create-groups creates it)"
        if g.is_system:
            return f"{inert_line(g.name)} is a system group: customers cannot be assigned to it"
        return g

    def _create_group(self, name: str) -> CustomerGroup:
        base = _slug(name)
        code, n = base, 1
        while CustomerGroup.select().where(CustomerGroup.code == code).exists() or any(
                g is not None and g.code == code for g in self.groups.values()):
            n += 1
            code = f"{base[:32 - len(str(n)) - 1]}-{n}"
        self.report.groups_created.append(code)
        if not self.write:
            return CustomerGroup(id=-len(self.report.groups_created), code=code, name=name, hidden=False,
                                 is_system=False)
        group, _ = create_group({"code": code, "name": name}, actor=self.actor)
        return group

    def _row_groups(self, row: ImportedCustomer) -> tuple[list[CustomerGroup], CustomerGroup | None, list[tuple[str, str]]]:
        problems: list[tuple[str, str]] = []
        groups: list[CustomerGroup] = []
        for name in row.groups:
            g = self._group(name)
            if isinstance(g, str):
                problems.append(("groups", g))
            elif g is not None and g.id not in {x.id for x in groups}:
                groups.append(g)
        default = None
        if row.default_group:
            g = self._group(row.default_group)
            if isinstance(g, str):
                problems.append(("default_group", g))
            else:
                default = g
                if g is not None and g.id not in {x.id for x in groups}:
                    groups.append(g)
        return groups, default, problems

    # -- a batch -----------------------------------------------------------

    def _batch(self, batch: list[tuple[ImportedCustomer, list[str]]]) -> None:
        self._tick()
        exts = [r.external_id for r, _ in batch if r.external_id]
        emails = [r.email_key for r, _ in batch if r.email_key]
        cond = None
        if exts:
            cond = sql_in(Customer.external_id, exts)
        if emails:
            cond = sql_in(Customer.email_key, emails) if cond is None else cond | sql_in(Customer.email_key, emails)
        stored = _stored(Customer.select(*_STORED).where(cond)) if cond is not None and not self.empty else []
        by_ext = {s["external_id"]: s for s in stored if s["external_id"]}
        by_email = {s["email_key"]: s for s in stored if s["email_key"]}
        # A row with neither id nor email is the customer without an email
        # who has its phone (the lowest id if several): phone has no index,
        # so this reads the table, once a batch, only for such rows.
        phones = [str(r.fields["phone"]) for r, _ in batch if not r.external_id and not r.email_key]
        if self.empty:
            # Only a customer this import made without an email can have the
            # phone: the table is read for those whose digits one of them
            # had (the same phone, for the engine, has the same digits).
            phones = [p for p in phones if _digits(p) in self.no_email]
        by_phone: dict[str, dict[str, Any]] = {}
        if phones:
            for s in _stored(Customer.select(*_STORED).where(Customer.phone.in_(phones) & Customer.email_key.is_null())
                             .order_by(Customer.id.desc())):
                by_phone[s["phone"]] = s
                stored.append(s)
        ids = [s["id"] for s in stored]
        members: dict[int, set[int]] = {}
        billing: dict[int, dict[str, str]] = {}
        if ids:
            q = Membership.select(Membership.customer, Membership.group).where(ids_in(Membership.customer, ids))
            for cid, gid in db.execute_sql(*q.sql()).fetchall():
                members.setdefault(cid, set()).add(gid)
            q = (Address.select(Address.customer, *(getattr(Address, k) for k in ADDRESS_FIELDS))
                 .where(ids_in(Address.customer, ids) & (Address.kind == "billing")))
            for a in db.execute_sql(*q.sql()).fetchall():
                billing[a[0]] = dict(zip(ADDRESS_FIELDS, a[1:]))
        new: list[tuple[ImportedCustomer, list[CustomerGroup], CustomerGroup]] = []
        updates: list[tuple[dict[str, Any], dict[str, Any], ImportedCustomer]] = []
        joins: list[tuple[int, CustomerGroup]] = []
        addresses: list[tuple[int, dict[str, str]]] = []
        for row, cells in batch:
            match, problem = self._match(row, by_ext, by_email)
            if match is None and problem is None and not row.external_id and not row.email_key:
                match = by_phone.get(str(row.fields["phone"]))
            groups, default, problems = self._row_groups(row)
            if problem:
                problems.insert(0, problem)
            if problems:
                self._reject(row.line, cells, problems)
                continue
            if match is None:
                new.append((row, groups, default or self.general))
                continue
            changes = self._changes(row, match, default)
            cid = match["id"]
            missing = [g for g in groups if g.id not in members.get(cid, set())]
            if default is not None and default.id != match["default_group"] and default not in missing \
                    and default.id not in members.get(cid, set()):
                missing.append(default)
            new_billing = None
            if row.billing is not None and row.billing != billing.get(cid):
                stored_billing = billing.get(cid)
                merged = {k: row.billing[k] or (stored_billing or {}).get(k, "") for k in ADDRESS_FIELDS}
                if merged != stored_billing:
                    new_billing = merged
            if not changes and not missing and new_billing is None:
                self.report.unchanged += 1
                continue
            self.report.changed += 1
            if changes:
                updates.append((match, changes, row))
            joins += [(cid, g) for g in missing]
            if new_billing is not None:
                addresses.append((cid, new_billing))
        self.report.new += len(new)
        self.report.joined += len(joins) + sum(len([g for g in gs if g.id != d.id]) for _, gs, d in new)
        if self.write:
            self._write(new, updates, joins, addresses)

    def _match(self, row: ImportedCustomer, by_ext: dict[str, dict], by_email: dict[str, dict]
               ) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
        owner = by_email.get(row.email_key) if row.email_key else None
        if row.external_id and row.external_id in by_ext:
            match = by_ext[row.external_id]
            if owner is not None and owner["id"] != match["id"]:
                return None, ("email", "already the email of another customer")
            return match, None
        if owner is not None and row.external_id and owner["external_id"]:
            return None, ("email", "already the email of a customer imported with another id "
                                   f"({inert_line(owner['external_id'])!r})")
        return owner, None

    def _changes(self, row: ImportedCustomer, stored: dict[str, Any], default: CustomerGroup | None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in _COMPARED:
            if name not in row.fields:
                continue
            value = row.fields[name]
            if value in ("", None) and name != "tax_exempt":
                continue  # a blank cell keeps what is stored
            if value != stored[name]:
                changes[name] = value
        if "email" in changes:
            changes["email_key"] = row.email_key
            changes["email_fold"] = customer_keys("", "", changes["email"], row.email_key)[2]
        if "first_name" in changes or "last_name" in changes:
            first = changes.get("first_name", stored["first_name"])
            last = changes.get("last_name", stored["last_name"])
            changes["name_key"], changes["last_key"], _ = customer_keys(first, last, "", None)
        if default is not None and default.id != stored["default_group"]:
            changes["default_group"] = default.id
        return changes

    # -- writing -----------------------------------------------------------

    def _lock(self, groups: Iterable[CustomerGroup]) -> None:
        wanted = {g.id for g in groups} - self.locked
        if wanted:
            general = self.general.id if self.general.id in wanted else None
            lock_groups(*wanted, general_id=general)
            self.locked |= wanted

    def _write(self, new: list[tuple[ImportedCustomer, list[CustomerGroup], CustomerGroup]],
               updates: list[tuple[dict[str, Any], dict[str, Any], ImportedCustomer]],
               joins: list[tuple[int, CustomerGroup]], addresses: list[tuple[int, dict[str, str]]]) -> None:
        self._lock([g for _, gs, d in new for g in (*gs, d)] + [g for _, g in joins])
        now = self.now
        audits: list[tuple] = []
        changed_addresses = [cid for cid, _ in addresses]
        if new:
            ids = self._insert_new([r for r, _, _ in new], [d for _, _, d in new])
            self.written += len(ids)
            if self.empty:
                for row, _, _ in new:
                    if not row.email_key:
                        self.no_email.add(_digits(str(row.fields.get("phone") or "")))
            for (row, groups, default), cid in zip(new, ids):
                joins += [(cid, g) for g in groups if g.id != default.id]
                if row.billing is not None:
                    addresses.append((cid, row.billing))
                after = dict(row.fields, default_group_id=default.id, line=row.line, file=self.file_name)
                after.pop("email_key", None)
                audits.append((now, self.actor, "customer.import", "customer", str(cid), None, audit_json(after)))
            insert_rows(Membership, _MEMBER_FIELDS,
                         [(cid, d.id, "manual", self.actor, now) for (_, _, d), cid in zip(new, ids)])
        for stored, changes, row in updates:
            (Customer.update(**changes, version=Customer.version + 1, updated_at=now)
             .where(Customer.id == stored["id"]).execute())
            before = {k: stored[k] for k in changes if k not in _SEARCH_KEYS}
            after = {k: v for k, v in changes.items() if k not in _SEARCH_KEYS}
            after.update(line=row.line, file=self.file_name)
            audits.append((now, self.actor, "customer.import", "customer", str(stored["id"]), audit_json(before),
                           audit_json(after)))
        if joins:
            insert_rows(Membership, _MEMBER_FIELDS, [(cid, g.id, "manual", self.actor, now) for cid, g in joins],
                         ignore=True)
            if not self.quiet:
                notes = [(cid, g.id, g.name, "joined", "manual", now, self.actor) for cid, g in joins if _notifies(g)]
                insert_rows(Notification, [Notification.customer, Notification.group, Notification.group_name,
                                            Notification.event, Notification.source, Notification.created_at,
                                            Notification.actor], notes)
        if addresses:
            if changed_addresses:  # a new customer has none to replace
                Address.delete().where(sql_in(Address.customer, changed_addresses)
                                       & (Address.kind == "billing")).execute()
            insert_rows(Address, [Address.customer, Address.kind, *(getattr(Address, k) for k in ADDRESS_FIELDS)],
                         [(cid, "billing", *(a[k] for k in ADDRESS_FIELDS)) for cid, a in addresses])
        insert_rows(AuditEntry, [AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
                                  AuditEntry.entity_id, AuditEntry.before, AuditEntry.after], audits)

    def _insert_new(self, rows: list[ImportedCustomer], defaults: list[CustomerGroup]) -> list[int]:
        """Insert the new customers; their ids, in order.  On the servers
        all in one statement (or a few), their ids known without reading
        them back (:func:`insert_rows_ids`: a query of 2,000 keys a batch
        less).  Else those with an id or an email are inserted in one
        statement and read back by it; one with neither (a phone only) is
        inserted alone, for its id."""
        now = self.now
        values = []
        for row, default in zip(rows, defaults):
            f = row.fields
            first, last, email = str(f.get("first_name", "")), str(f.get("last_name", "")), f.get("email", "") or ""
            name_key, last_key, email_fold = customer_keys(first, last, email, row.email_key)
            values.append((first, last, email, row.email_key, name_key,
                           last_key, f.get("phone", "") or "", f.get("status", "active"),
                           f.get("account_type", "personal"), bool(f.get("tax_exempt", False)),
                           f.get("language", "en"), f.get("registered_at") or now, default.id,
                           row.external_id, 1, now, 0, 0, email_fold))
        # Those with neither first, then the others, each in the file's
        # order: the order their ids were always handed out in.
        alone = [i for i, r in enumerate(rows) if not (r.external_id or r.email_key)]
        order = alone + [i for i, r in enumerate(rows) if r.external_id or r.email_key]
        given = insert_rows_ids(Customer, _NEW_FIELDS, [values[i] for i in order])
        if given is not None:
            ids: list[int | None] = [None] * len(rows)
            for i, cid in zip(order, given):
                ids[i] = cid
            return [int(i) for i in ids if i is not None]
        keyed = [(i, v) for i, v in enumerate(values) if rows[i].external_id or rows[i].email_key]
        ids = [None] * len(rows)
        for i, v in enumerate(values):
            if not (rows[i].external_id or rows[i].email_key):
                ids[i] = insert_one(Customer, _NEW_FIELDS, v)
        if keyed:
            insert_rows(Customer, _NEW_FIELDS, [v for _, v in keyed])
            exts = [rows[i].external_id for i, _ in keyed if rows[i].external_id]
            emails = [rows[i].email_key for i, _ in keyed if not rows[i].external_id]
            found_ext: dict[str, int] = {}
            found_email: dict[str, int] = {}
            if exts:
                found_ext = dict(raw_rows(Customer.select(Customer.external_id, Customer.id)
                                          .where(sql_in(Customer.external_id, exts))))
            if emails:
                found_email = dict(raw_rows(Customer.select(Customer.email_key, Customer.id)
                                            .where(sql_in(Customer.email_key, emails))))
            for i, _ in keyed:
                r = rows[i]
                ids[i] = found_ext[r.external_id] if r.external_id else found_email[r.email_key]
        return [int(i) for i in ids if i is not None]
