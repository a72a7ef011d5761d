"""Review moderation beyond one decision: the shop's canned rejection
reasons, its public replies, the auto-approve rule and undoing an admin's
last decision.

Every change here is an operation (validated, one transaction, an audit
entry).  A change of status writes one history event per review that
changed (``reviews.change_status``), each naming the operation (its
``batch``) and what the review had before: undoing the last operation
puts those back exactly, in one statement, unless a review changed since.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db, is_mysql, is_postgres
from .errors import ConflictError, NotFoundError, ValidationError
from .lookup import possible_id
from .parsing import has_control_chars, parse_whole, quoted, typed_text
from .reviews import change_status, new_batch, status_changes, verified_purchase
from .tables import AuditEntry, Review, ReviewEvent, ReviewReason, SchemaMeta, utcnow
from .transactions import bulk, materialized, retried

REASON_MAX = 100
REASONS_MAX = 50
REPLY_MAX = 5000
RULE_KEY = "review_auto_approve"
UNDOABLE = ("review.moderate", "review.apply_rule")


# -- canned rejection reasons ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReasonRow:
    id: int
    name: str


def list_review_reasons() -> list[ReasonRow]:
    """The shop's rejection reasons, oldest first (the first nine have keys 1-9)."""
    return [ReasonRow(i, n) for i, n in ReviewReason.select(ReviewReason.id, ReviewReason.name)
            .order_by(ReviewReason.id).limit(REASONS_MAX).tuples()]


def _reason_name(name: Any) -> str:
    name = " ".join(typed_text(name, "name").split())
    if not name:
        raise ValidationError({"name": "A reason needs a name"})
    if len(name) > REASON_MAX:
        raise ValidationError({"name": f"A reason is at most {REASON_MAX} characters"})
    if has_control_chars(name):
        raise ValidationError({"name": "A reason cannot contain control characters"})
    return name


def _taken(name: str, but: int | None = None) -> None:
    q = ReviewReason.select(ReviewReason.id).where(pw.fn.LOWER(ReviewReason.name) == name.lower())
    if but is not None:
        q = q.where(ReviewReason.id != but)
    if q.exists():
        raise ValidationError({"name": f"There is already a reason {quoted(name)}"})


def _find_reason(which: Any) -> ReviewReason:
    """A reason by id (an int) or by its name (text, case ignored)."""
    if isinstance(which, int) and not isinstance(which, bool):
        found = ReviewReason.get_or_none(ReviewReason.id == which) if possible_id(which) else None
    else:
        name = " ".join(typed_text(which, "reason").split())
        found = ReviewReason.select().where(pw.fn.LOWER(ReviewReason.name) == name.lower()).first()
    if found is None:
        raise NotFoundError(f"No rejection reason {quoted(str(which))}")
    return found


@requires("reviews")
@retried
def add_review_reason(name: Any, *, actor: str | None = None) -> ReasonRow:
    name = _reason_name(name)
    with db.atomic():
        if ReviewReason.select().count() >= REASONS_MAX:
            raise ValidationError({"name": f"The shop keeps at most {REASONS_MAX} reasons"})
        _taken(name)
        row = ReviewReason.create(name=name)
        audit("review.reason.add", "review_reason", row.id, after={"name": name}, actor=actor)
    return ReasonRow(row.id, name)


@requires("reviews")
@retried
def rename_review_reason(which: Any, name: Any, *, actor: str | None = None) -> ReasonRow:
    name = _reason_name(name)
    with db.atomic():
        row = _find_reason(which)
        _taken(name, but=row.id)
        ReviewReason.update(name=name).where(ReviewReason.id == row.id).execute()
        audit("review.reason.rename", "review_reason", row.id, before={"name": row.name}, after={"name": name},
              actor=actor)
    return ReasonRow(row.id, name)


@requires("reviews")
@retried
def delete_review_reason(which: Any, *, actor: str | None = None) -> ReasonRow:
    """Delete a reason; the reviews rejected with it keep its words."""
    with db.atomic():
        row = _find_reason(which)
        ReviewReason.delete().where(ReviewReason.id == row.id).execute()
        audit("review.reason.delete", "review_reason", row.id, before={"name": row.name}, actor=actor)
    return ReasonRow(row.id, row.name)


# -- the public reply ----------------------------------------------------------------

@requires("reviews")
@retried
def set_review_reply(review_id: int, text: Any, *, actor: str | None = None) -> str | None:
    """Set the shop's public reply to a review ("" removes it).  Returns the reply kept."""
    reply = typed_text(text, "reply").replace("\r\n", "\n").replace("\r", "\n").strip() or None
    if reply is not None:
        if len(reply) > REPLY_MAX:
            raise ValidationError({"reply": f"A reply is at most {REPLY_MAX:,} characters"})
        if has_control_chars(reply, multiline=True):
            raise ValidationError({"reply": "A reply cannot contain control characters"})
    who, now = resolve_actor(actor), utcnow()
    with db.atomic():
        q = Review.select(Review.reply).where(Review.id == review_id)
        found = ((q.for_update() if is_postgres() or is_mysql() else q).tuples().first()
                 if possible_id(review_id) else None)
        if found is None:
            raise NotFoundError(f"No review with id {review_id}")
        Review.update(reply=reply, reply_at=now if reply else None, reply_by=who if reply else None).where(
            Review.id == review_id).execute()
        audit("review.reply", "review", review_id, before={"reply": found[0]}, after={"reply": reply}, actor=actor)
    return reply


# -- the auto-approve rule -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReviewRule:
    """Approve the pending reviews with at least ``min_rating`` stars (from a
    verified purchase only, with ``verified``)."""

    min_rating: int
    verified: bool = True

    def expression(self) -> pw.Expression:
        expr = (Review.status == "pending") & (Review.rating >= self.min_rating)
        return expr & verified_purchase() if self.verified else expr

    def describe(self) -> str:
        who = "verified purchases" if self.verified else "reviews"
        return f"pending {who} with at least {self.min_rating} star{'' if self.min_rating == 1 else 's'}"


def review_rule() -> ReviewRule | None:
    """The shop's auto-approve rule, or None."""
    row = SchemaMeta.get_or_none(SchemaMeta.key == RULE_KEY)
    if row is None:
        return None
    try:
        data = json.loads(row.value)
        return ReviewRule(min_rating=max(1, min(5, int(data["min_rating"]))), verified=bool(data["verified"]))
    except (ValueError, KeyError, TypeError):
        return None


@requires("reviews")
@retried
def set_review_rule(min_rating: Any, verified: bool = True, *, actor: str | None = None) -> ReviewRule | None:
    """Set the auto-approve rule (``min_rating`` None or "": no rule)."""
    rule = None
    if min_rating not in (None, ""):
        stars = parse_whole(min_rating, "min_rating", label="The least rating", minimum=1, maximum=5)
        rule = ReviewRule(min_rating=stars, verified=bool(verified))
    with db.atomic():
        before = review_rule()
        SchemaMeta.delete().where(SchemaMeta.key == RULE_KEY).execute()
        if rule is not None:
            SchemaMeta.create(key=RULE_KEY, value=json.dumps(dataclasses.asdict(rule), sort_keys=True))
        audit("review.rule", "setting", RULE_KEY, before=before and dataclasses.asdict(before),
              after=rule and dataclasses.asdict(rule), actor=actor)
    return rule


def preview_review_rule(rule: ReviewRule | None = None) -> int:
    """How many pending reviews the rule (the shop's, unless given) would
    approve now: counted, never read."""
    rule = rule or review_rule()
    return 0 if rule is None else Review.select().where(rule.expression()).count()


@requires("reviews")
@retried
def apply_review_rule(*, dry_run: bool = False, actor: str | None = None) -> int:
    """Approve every pending review the shop's rule matches: one set-based
    change and one history event per approved review (the whole queue is
    never read).  ``dry_run``: only count them.  Returns how many."""
    rule = review_rule()
    if rule is None:
        raise ValidationError({"rule": "The shop has no auto-approve rule: set one first"})
    if dry_run:
        return preview_review_rule(rule)
    who, now, batch = resolve_actor(actor), utcnow(), new_batch()
    bulk(True)
    with db.atomic():
        changed = change_status(rule.expression(), status_changes("approved", None, who, now),
                                ("approved", None, now, who, batch))
        audit("review.apply_rule", "review", None, after={"rule": dataclasses.asdict(rule), "changed": changed,
                                                           "status": "approved", "batch": batch}, actor=actor)
    return changed


# -- undo ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LastDecision:
    """An admin's last change of reviews' status, as undo would see it."""

    action: str
    status: str | None
    changed: int
    undone: bool


def last_decision(*, actor: str | None = None) -> LastDecision | None:
    """The admin's last change of reviews' status (or None): read through
    the audit log's (actor, at) index."""
    entry = _last_entry(resolve_actor(actor))
    if entry is None:
        return None
    after = entry.after_data() or {}
    return LastDecision(entry.action, after.get("status"), int(after.get("changed") or 0),
                        entry.action == "review.undo")


def _last_entry(who: str) -> AuditEntry | None:
    return (AuditEntry.select().where((AuditEntry.actor == who)
                                      & AuditEntry.action.in_((*UNDOABLE, "review.undo")))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).first())


@requires("reviews")
@retried
def undo_last_moderation(*, actor: str | None = None) -> int:
    """Undo the admin's last change of reviews' status (one review or many,
    or the auto-approve rule applied): each review gets back exactly what it
    had (status, reason, who moderated it and when) from its history, in one
    statement, with a history event each and an audit entry.  Refused, with
    nothing changed, if any of those reviews changed since.  Returns how
    many reviews were restored."""
    who, now, batch = resolve_actor(actor), utcnow(), new_batch()
    bulk(True)
    with db.atomic():
        entry = _last_entry(who)
        if entry is None:
            raise ValidationError({"undo": "You have no review decision to undo."})
        if entry.action == "review.undo":
            raise ValidationError({"undo": "Your last review decision is undone already."})
        undone = (entry.after_data() or {}).get("batch")
        if not undone:
            raise ValidationError({"undo": "Your last review decision was made before decisions could be undone."})
        done = ReviewEvent.alias("done")
        mine = (Review.select(Review.id).join(done, on=(done.review == Review.id)).where(done.batch == undone))
        if is_postgres() or is_mysql():
            with materialized(mine.order_by(Review.id).for_update()):
                pass  # the reviews are locked until the transaction ends
        later = ReviewEvent.alias("later")
        moved = (done.select(done.review).join(later, on=((later.review == done.review) & (later.id > done.id)))
                 .where(done.batch == undone))
        differs = mine.where(Review.status != done.status)
        stale = moved.count() + differs.count()
        if stale:
            raise ConflictError(f"{stale:,} of those reviews changed since: nothing was undone.")
        values = [pw.Value(v) for v in (now, who, batch)]
        ReviewEvent.insert_from(
            done.select(done.review, done.prev_status, done.prev_reason, *values, done.status, done.reason,
                        Review.moderated_at, Review.moderated_by)
            .join(Review, on=(Review.id == done.review)).where(done.batch == undone),
            [ReviewEvent.review, ReviewEvent.status, ReviewEvent.reason, ReviewEvent.at, ReviewEvent.actor,
             ReviewEvent.batch, ReviewEvent.prev_status, ReviewEvent.prev_reason, ReviewEvent.prev_at,
             ReviewEvent.prev_by]).as_rowcount().execute()
        restored = _restore(undone)
        audit("review.undo", "review", None, after={"undid": entry.id, "action": entry.action,
                                                     "changed": restored, "batch": batch}, actor=actor)
    return restored


def _restore(batch: str) -> int:
    """Give every review of ``batch`` back what its event there replaced:
    one UPDATE … FROM (a joined UPDATE on MySQL)."""
    r, e = Review._meta.table_name, ReviewEvent._meta.table_name
    sets = ("status = e.prev_status", "reject_reason = e.prev_reason", "moderated_at = e.prev_at",
            "moderated_by = e.prev_by")
    if is_mysql():
        sql = (f"UPDATE `{r}` JOIN `{e}` AS e ON e.review_id = `{r}`.id SET "
               + ", ".join(f"`{r}`.{s}" for s in sets) + " WHERE e.batch = %s")
    else:
        sql = f'UPDATE "{r}" SET {", ".join(sets)} FROM "{e}" AS e WHERE e.review_id = "{r}".id AND e.batch = ?'
        if is_postgres():
            sql = sql.replace("?", "%s")
    return db.execute_sql(sql, (batch,)).rowcount
