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
from .tables import Customer, Notification, SchemaMeta, utcnow
from .text import inert_line
from .transactions import bulk, retried


@dataclasses.dataclass
class OutboxRow:
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


def outbox(*, include_exported: bool = False, after_id: int = 0, limit: int = 100) -> list[OutboxRow]:
    """Notifications in the order they were queued, ``limit`` at a time
    after ``after_id`` (keyset paging)."""
    q = (Notification.select(Notification.id, Notification.customer, Customer.first_name, Customer.last_name,
                             Customer.email, Notification.group_name, Notification.event, Notification.source,
                             Notification.created_at, Notification.exported_at, Notification.actor)
         .join(Customer, on=(Notification.customer == Customer.id))
         .where(Notification.id > after_id))
    if not include_exported:
        q = q.where(_pending())
    q = q.order_by(Notification.id).limit(limit)
    return [OutboxRow(r[0], r[1], f"{r[2]} {r[3]}".strip(), r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            for r in q.tuples()]


def outbox_page(*, offset: int = 0, limit: int = 100, newest_first: bool = False,
                include_exported: bool = False) -> list[OutboxRow]:
    """``limit`` notifications from ``offset`` in the order they were queued
    (or newest first: a list's window reads its far end that way)."""
    q = (Notification.select(Notification.id, Notification.customer, Customer.first_name, Customer.last_name,
                             Customer.email, Notification.group_name, Notification.event, Notification.source,
                             Notification.created_at, Notification.exported_at, Notification.actor)
         .join(Customer, on=(Notification.customer == Customer.id)))
    if not include_exported:
        q = q.where(_pending())
    q = q.order_by(Notification.id.desc() if newest_first else Notification.id).offset(max(0, offset)).limit(limit)
    return [OutboxRow(r[0], r[1], f"{r[2]} {r[3]}".strip(), r[4], r[5], r[6], r[7], r[8], r[9], r[10])
            for r in q.tuples()]


def outbox_count(*, include_exported: bool = False) -> int:
    q = Notification.select()
    return (q if include_exported else q.where(_pending())).count()


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
            after = mark
            while True:
                rows = [r for r in outbox(after_id=after, limit=5000) if r.id <= last_id]
                if not rows:
                    return
                yield rows
                after = rows[-1].id

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
