"""The outbox: join/leave notifications queued for customers, exported to CSV or mbox, never sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import peewee as pw

from .audit import audit
from .connection import db
from .errors import ValidationError
from .parsing import clean_line
from .tables import Customer, Notification, SchemaMeta, utcnow
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


_OUTBOX_MARK = "outbox_exported_through"


def outbox_watermark() -> int:
    """Every notification with an id up to this one has been exported
    (exports always take everything queued so far)."""
    row = SchemaMeta.get_or_none(SchemaMeta.key == _OUTBOX_MARK)
    return int(row.value) if row else 0


def _pending() -> pw.Expression:
    return Notification.id > outbox_watermark()


def outbox(*, include_exported: bool = False, after_id: int = 0, limit: int = 100) -> list[OutboxRow]:
    """Notifications in the order they were queued, ``limit`` at a time
    after ``after_id`` (keyset paging)."""
    q = (Notification.select(Notification.id, Notification.customer, Customer.first_name, Customer.last_name,
                             Customer.email, Notification.group_name, Notification.event, Notification.source,
                             Notification.created_at, Notification.exported_at)
         .join(Customer, on=(Notification.customer == Customer.id))
         .where(Notification.id > after_id))
    if not include_exported:
        q = q.where(_pending())
    q = q.order_by(Notification.id).limit(limit)
    return [OutboxRow(r[0], r[1], f"{r[2]} {r[3]}".strip(), r[4], r[5], r[6], r[7], r[8], r[9]) for r in q.tuples()]


def outbox_count(*, include_exported: bool = False) -> int:
    q = Notification.select()
    return (q if include_exported else q.where(_pending())).count()


@retried
def export_outbox(path: str | os.PathLike, *, fmt: str = "csv", sender: str = "shop@example.com",
                  actor: str | None = None) -> int:
    """Write the notifications not yet exported to ``path`` (CSV, or an mbox
    of ready-to-send messages) and mark them exported.  Nothing is sent.
    Returns how many were written; the file is complete or not there."""
    import csv
    import mailbox
    from email.message import EmailMessage

    if fmt not in ("csv", "mbox"):
        raise ValidationError({"format": "Export as csv or mbox"})
    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    bulk()
    with db.atomic():
        mark = outbox_watermark()
        last_id = Notification.select(pw.fn.MAX(Notification.id)).scalar()
        if last_id is None or last_id <= mark:
            return 0
        written, after = 0, mark
        tmp.unlink(missing_ok=True)
        box = mailbox.mbox(str(tmp)) if fmt == "mbox" else None
        handle = open(tmp, "w", newline="", encoding="utf-8") if fmt == "csv" else None
        failed = True
        try:
            writer = csv.writer(handle) if handle else None
            if writer:
                writer.writerow(["id", "customer_id", "name", "email", "group", "event", "source", "created_at"])
            while True:
                rows = [r for r in outbox(after_id=after, limit=5000) if r.id <= last_id]
                if not rows:
                    break
                for r in rows:
                    if writer:
                        writer.writerow([r.id, r.customer_id, r.name, r.email, r.group, r.event, r.source,
                                         r.created_at.isoformat(sep=" ") if isinstance(r.created_at, dt.datetime)
                                         else r.created_at])
                    else:
                        msg = EmailMessage()
                        msg["From"], msg["To"] = sender, r.email
                        joined = r.event == "joined"
                        msg["Subject"] = f"You have {'joined' if joined else 'left'} {clean_line(r.group)}"
                        msg.set_content(f"Hello {clean_line(r.name)},\n\nYour account has "
                                        f"{'joined' if joined else 'left'} the {clean_line(r.group)} group.\n")
                        box.add(msg)  # type: ignore[union-attr]
                written += len(rows)
                after = rows[-1].id
            failed = False
        finally:
            if handle:
                handle.close()
            if box is not None:
                box.flush()
                box.close()
            if failed:
                tmp.unlink(missing_ok=True)
        try:
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
