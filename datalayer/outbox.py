"""The outbox: join/leave notifications queued for customers, exported to CSV or mbox, never sent."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
import tempfile
from email import errors, generator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterator

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db
from .customers import EMAIL_RE
from .errors import SchemaError, ValidationError
from .parsing import has_control_chars
from .tables import Customer, Membership, MembershipEnd, Notification, SchemaMeta, utcnow
from .text import inert_line
from .transactions import bulk, retried


@dataclasses.dataclass
class OutboxRow:
    """One customer's notification.  ``id`` is its number in the outbox
    (the first ever queued is 1), whether it was queued alone or as one of
    a bulk change's customers."""

    id: int
    customer_id: int
    name: str
    email: str
    group: str
    event: str
    source: str
    created_at: dt.datetime
    exported_at: dt.datetime | None
    actor: str = ""  # who made the change that queued it
    group_id: int | None = None  # None once the group is deleted


_OUTBOX_MARK = "outbox_exported_through"


def outbox_watermark() -> int:
    """Every notification with an id up to this one has been exported
    (exports always take everything queued so far)."""
    row = SchemaMeta.get_or_none(SchemaMeta.key == _OUTBOX_MARK)
    if row is None:
        return 0
    value = str(row.value).strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise SchemaError(f"The outbox's export mark is damaged ({inert_line(value)[:40]!r}): "
                          "nothing can be exported until it is repaired.")
    return int(value)


def _pending() -> pw.Expression:
    return Notification.id > outbox_watermark()


# A row of the outbox (Notification) is one customer's, or a whole
# MembershipChange's: ``size`` customers, read here when listed or exported
# from the memberships it added (and those since ended, MembershipEnd's
# ``joined_change``) or the memberships it ended.  The outbox is the rows in
# the order they were queued, a change's customers by id.

_RECORD_FIELDS = (Notification.id, Notification.customer, Notification.change, Notification.size,
                  Notification.group_name, Notification.event, Notification.source, Notification.created_at,
                  Notification.exported_at, Notification.actor, Notification.group)


def _records(*, include_exported: bool, after_id: int, offset: int, limit: int,
             newest_first: bool) -> list[tuple[Any, int]]:
    """The rows of the outbox holding its rows ``offset`` onwards (at most
    ``limit`` of them, each at least one row), each with how many of its own
    rows to skip; a running sum of their sizes finds the first."""
    cond = Notification.size > 0
    if not include_exported:
        cond &= _pending()
    if after_id:
        cond &= Notification.id > after_id
    order = Notification.id.desc() if newest_first else Notification.id.asc()
    if offset <= 0:
        rows = list(Notification.select(*_RECORD_FIELDS).where(cond).order_by(order).limit(limit).tuples())
        return [(r, 0) for r in rows]
    running = pw.fn.SUM(Notification.size).over(order_by=[order])
    inner = Notification.select(Notification.id, running.alias("upto")).where(cond).alias("r")
    first = (pw.Select([inner], [inner.c.id, inner.c.upto]).where(inner.c.upto > offset)
             .order_by(inner.c.id.desc() if newest_first else inner.c.id).limit(1))
    found = db.execute(first).fetchone()
    if found is None:
        return []
    first_id, upto = found
    start = Notification.id <= first_id if newest_first else Notification.id >= first_id
    rows = list(Notification.select(*_RECORD_FIELDS).where(cond & start).order_by(order).limit(limit).tuples())
    return [(r, (offset - (int(upto) - r[3])) if i == 0 else 0) for i, r in enumerate(rows)]


def _change_customers(change: int, event: str, *, skip: int, limit: int, after: int | None = None,
                      newest_first: bool = False) -> list[int]:
    """The ids of a change's customers, in order (``after`` one, keyset, or
    from ``skip``): the memberships it added or ended."""
    def branch(model: type[pw.Model], field: pw.Field, name: str) -> pw.Select:
        q = model.select(model.customer.alias("c")).where(field == change)
        if after is not None:
            q = q.where(model.customer < after if newest_first else model.customer > after)
        return q.order_by(model.customer.desc() if newest_first else model.customer).limit(skip + limit).alias(name)

    if event == "joined":
        parts = [branch(Membership, Membership.change, "a"), branch(MembershipEnd, MembershipEnd.joined_change, "b")]
    else:
        parts = [branch(MembershipEnd, MembershipEnd.change, "a")]
    union = None
    for part in parts:
        one = pw.Select([part], [part.c.c])
        union = one if union is None else union.union_all(one)
    q = union.order_by(pw.SQL("1 DESC" if newest_first else "1")).limit(limit).offset(skip)
    return [r[0] for r in db.execute(q).fetchall()]


def _before(record_id: int) -> int:
    """How many notifications were queued before the outbox row ``record_id``."""
    return int(Notification.select(pw.fn.COALESCE(pw.fn.SUM(Notification.size), 0))
               .where(Notification.id < record_id).scalar() or 0)


Piece = tuple[Any, list[int], int]  # an outbox row, the customers read of it, where they start in it


def _expand(records: list[tuple[Any, int]], limit: int, *, newest_first: bool) -> list[OutboxRow]:
    pieces: list[Piece] = []
    wanted = 0
    for r, skip in records:
        if wanted >= limit:
            break
        ids = ([r[1]] if r[2] is None else
               _change_customers(r[2], r[5], skip=skip, limit=limit - wanted, newest_first=newest_first))
        pieces.append((r, ids, skip))
        wanted += len(ids)
    return _rows_for(pieces, newest_first=newest_first)[:limit]


def _rows_for(pieces: list[Piece], *, newest_first: bool = False, base: int | None = None) -> list[OutboxRow]:
    """The outbox's rows of consecutive outbox rows, each for its customers
    ``ids`` (in that order, from ``skip`` on, or from its end), numbered
    from ``base`` (how many were queued before the first; read if None)."""
    wanted = {cid for _, ids, _ in pieces for cid in ids}
    if not wanted:
        return []
    people = {c[0]: c[1:] for c in Customer.select(Customer.id, Customer.first_name, Customer.last_name,
                                                   Customer.email).where(Customer.id.in_(wanted)).tuples()}
    first = min(p[0][0] for p in pieces)
    starts, at = {}, _before(first) if base is None else base
    for r, _, _ in sorted(pieces, key=lambda p: p[0][0]):
        starts[r[0]], at = at, at + r[3]
    out = []
    for r, ids, skip in pieces:
        for j, cid in enumerate(ids):
            if cid in people:
                k = r[3] - 1 - skip - j if newest_first else skip + j
                first_name, last_name, email = people[cid]
                out.append(OutboxRow(starts[r[0]] + k + 1, cid, f"{first_name} {last_name}".strip(), email, *r[4:]))
    return out


def outbox(*, include_exported: bool = False, after_id: int = 0, limit: int = 100) -> list[OutboxRow]:
    """Notifications in the order they were queued, the first ``limit`` of
    those queued after the stored outbox row ``after_id`` (a Notification's id)."""
    return _expand(_records(include_exported=include_exported, after_id=after_id, offset=0, limit=limit,
                            newest_first=False), limit, newest_first=False)


def outbox_page(*, offset: int = 0, limit: int = 100, newest_first: bool = False,
                include_exported: bool = False) -> list[OutboxRow]:
    """``limit`` notifications from ``offset`` in the order they were queued
    (or newest first: a list's window reads its far end that way)."""
    return _expand(_records(include_exported=include_exported, after_id=0, offset=max(0, offset), limit=limit,
                            newest_first=newest_first), limit, newest_first=newest_first)


def outbox_count(*, include_exported: bool = False) -> int:
    q = Notification.select(pw.fn.COALESCE(pw.fn.SUM(Notification.size), 0))
    return int((q if include_exported else q.where(_pending())).scalar() or 0)


def _all_rows(mark: int, last_id: int, batch: int = 5000) -> Iterator[list[OutboxRow]]:
    """Every row of the records after ``mark`` up to ``last_id``, in batches
    (a change's customers read on by key, never at an offset)."""
    after, base = mark, None
    while True:
        records = list(Notification.select(*_RECORD_FIELDS).where(
            (Notification.id > after) & (Notification.id <= last_id) & (Notification.size > 0))
            .order_by(Notification.id).limit(batch).tuples())
        if not records:
            return
        if base is None:
            base = _before(records[0][0])
        singles: list[Piece] = []
        for r in records:
            if r[2] is None:
                singles.append((r, [r[1]], 0))
                continue
            if singles:
                yield _rows_for(singles, base=base)
                base += len(singles)
                singles = []
            customer: int | None = None
            done = 0
            while ids := _change_customers(r[2], r[5], skip=0, limit=batch, after=customer):
                yield _rows_for([(r, ids, done)], base=base)
                customer, done = ids[-1], done + len(ids)
            base += r[3]
        if singles:
            yield _rows_for(singles, base=base)
            base += len(singles)
        after = records[-1][0]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell that is safe to open in a spreadsheet: control characters
    escaped (:func:`.text.inert_line`), and text that a spreadsheet would run
    as a formula (beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return, even after spaces) prefixed with ``'``, so it shows as
    the text it is."""
    text = "" if value is None else str(value)
    safe = inert_line(text)
    if text.lstrip(" ").startswith(_FORMULA_START) or safe.lstrip(" ").startswith(_FORMULA_START):
        safe = "'" + safe
    return safe


_NOT_IN_ONE_ADDRESS = re.compile(r"[\s,;:<>()\[\]\"\\]")


def mail_address(email: object) -> str | None:
    """The stored email as a ``To`` header, if it is one address that can be
    written as it is: None for one that holds a control character (a CR or
    LF would start a header of its own), a second address, or is no address."""
    if not isinstance(email, str):
        return None
    email = email.strip()
    if has_control_chars(email) or _NOT_IN_ONE_ADDRESS.search(email) or not EMAIL_RE.fullmatch(email):
        return None
    return email


def _message(r: OutboxRow, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    to = mail_address(r.email)
    if to is not None:
        try:
            msg["To"] = to
        except (ValueError, TypeError, errors.HeaderParseError):
            to = None
    if to is None:
        # Kept for the record, but with no recipient: a mailer cannot send it.
        msg["X-Backroom-Undeliverable"] = f"the stored email is not one usable address: {inert_line(r.email)[:300]}"
    joined = r.event == "joined"
    msg["Subject"] = f"You have {'joined' if joined else 'left'} {inert_line(r.group)}"
    msg.set_content(f"Hello {inert_line(r.name)},\n\nYour account has "
                    f"{'joined' if joined else 'left'} the {inert_line(r.group)} group.\n")
    return msg


def _write_rows(handle: Any, fmt: str, rows: Iterator[list[OutboxRow]], sender: str) -> int:
    """Write every batch of ``rows`` to ``handle`` (an open binary file)."""
    written = 0
    if fmt == "csv":
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(["id", "customer_id", "name", "email", "group", "event", "source", "created_at"])
        for batch in rows:
            for r in batch:
                created = r.created_at.isoformat(sep=" ") if isinstance(r.created_at, dt.datetime) else r.created_at
                writer.writerow([r.id, r.customer_id] + [csv_cell(v) for v in (r.name, r.email, r.group, r.event,
                                                                              r.source, created)])
            written += len(batch)
        text.flush()
        text.detach()
        return written
    for batch in rows:
        for r in batch:
            # mbox: a "From " line, the message, a blank line; body lines
            # starting "From " quoted, as the mailbox module does.
            body = io.BytesIO()
            generator.BytesGenerator(body, mangle_from_=True, maxheaderlen=0).flatten(_message(r, sender))
            stamp = (r.created_at if isinstance(r.created_at, dt.datetime) else utcnow()).strftime("%a %b %d %H:%M:%S %Y")
            handle.write(f"From backroom {stamp}\n".encode("ascii"))
            handle.write(body.getvalue().replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n")
        written += len(batch)
    return written


@requires("export")
@retried
def export_outbox(path: str | os.PathLike, *, fmt: str = "csv", sender: str = "shop@example.com",
                  actor: str | None = None) -> int:
    """Write the notifications not yet exported to ``path`` (CSV, or an mbox
    of ready-to-send messages) and mark them exported.  Nothing is sent.
    Returns how many were written.

    The file is safe to open: CSV cells that a spreadsheet would run are
    neutralised (:func:`csv_cell`), control characters escaped, and an
    mbox's headers never carry a CR or LF (a message whose stored email is
    not one usable address gets no ``To``).  It is created readable by its
    owner only (0600) and written atomically: a temporary file in the same
    folder, replacing ``path`` only once complete and the notifications are
    marked, so an error leaves no half file and nothing marked."""
    if fmt not in ("csv", "mbox"):
        raise ValidationError({"format": "Export as csv or mbox"})
    if not isinstance(sender, str) or mail_address(sender) is None:
        raise ValidationError({"sender": "The sender must be one email address"})
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValidationError({"path": "Name the file to export to"})
    actor = resolve_actor(actor)
    target = Path(path)
    bulk()
    with db.atomic():
        mark = outbox_watermark()
        last_id = Notification.select(pw.fn.MAX(Notification.id)).scalar()
        if last_id is None or last_id <= mark:
            return 0

        def batches() -> Iterator[list[OutboxRow]]:
            return _all_rows(mark, last_id)

        # mkstemp: a new file, mode 0600, in the target's folder (so the
        # final rename is atomic: same file system).
        fd, tmp_name = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                                        prefix=f".{target.name}.", suffix=".partial")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                written = _write_rows(handle, fmt, batches(), sender)
                handle.flush()
                os.fsync(handle.fileno())
            Notification.update(exported_at=utcnow()).where(
                (Notification.id > mark) & (Notification.id <= last_id)).execute()
            if not SchemaMeta.update(value=str(last_id)).where(SchemaMeta.key == _OUTBOX_MARK).execute():
                SchemaMeta.create(key=_OUTBOX_MARK, value=str(last_id))
            audit("outbox.export", "outbox", None, after={"count": written, "format": fmt, "path": str(target)},
                  actor=actor)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return written
