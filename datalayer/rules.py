"""Automatic group membership: rules on a group, previewed and applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from decimal import Decimal
from typing import Any, Sequence

import peewee as pw

from .audit import audit
from .connection import db
from .customers import CustomerRow, customer_page
from .errors import DateParseError, ValidationError
from .groups import _insert_members_from, _remove_members_where
from .lookup import _check_unlocked, general_group, get_group
from .parsing import _RELATIVE_RE, clean_line, parse_date, parse_money
from .selection import _day_start, _IdsIn
from .tables import (
    CUSTOMER_STATUSES,
    Address,
    Customer,
    CustomerGroup,
    GroupRuleSet,
    Membership,
    utcnow,
)
from .transactions import bulk, lock_groups, read_snapshot, retried

RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "total_spent": (">=", "<="),
    "order_count": (">=", "<="),
    "registered": ("before", "after", "within"),
    "status": ("=",),
    "country": ("=",),
}


@dataclasses.dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: str

    def expression(self, today: dt.date) -> pw.Expression:
        f, op, v = self.field, self.op, self.value
        if f in ("total_spent", "order_count"):
            column = Customer.total_spent if f == "total_spent" else Customer.order_count
            number = Decimal(v.replace(",", "")) if f == "total_spent" else int(v)
            return column >= number if op == ">=" else column <= number
        if f == "registered":
            if op == "within":
                return Customer.registered_at >= _day_start(_period_start(v, today))
            day = _day_start(parse_date(v, today=today))
            return Customer.registered_at < day if op == "before" else Customer.registered_at >= day + dt.timedelta(days=1)
        if f == "status":
            return Customer.status == v
        return Customer.id.in_(Address.select(Address.customer).where(
            (Address.kind == "billing") & (Address.country == v.upper())))

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def _period_start(text: str, today: dt.date) -> dt.date:
    """The first day of "last 6 months", "6 months", "90 days"…"""
    t = " ".join(text.lower().split())
    if not t.startswith(("last ", "past ")):
        t = f"last {t}"
    m = _RELATIVE_RE.match(t)
    if not m:
        raise DateParseError(f"Cannot understand the period {text!r}: try 6 months, 90 days or 2 years.")
    return parse_date(t, today=today)


def _clean_rules(match: str, rules: Sequence[dict[str, Any]]) -> tuple[str, list[Rule]]:
    errors: dict[str, str] = {}
    if match not in ("all", "any"):
        errors["match"] = "Rules combine with all or any"
    out: list[Rule] = []
    for i, raw in enumerate(rules):
        key = f"rules[{i}]"
        field, op, value = (str(raw.get(k) or "").strip() for k in ("field", "op", "value"))
        if field not in RULE_FIELDS:
            errors[key] = f"Unknown rule field {clean_line(field)!r}: use one of {', '.join(RULE_FIELDS)}"
            continue
        if op not in RULE_FIELDS[field]:
            errors[key] = f"{field} takes {' or '.join(RULE_FIELDS[field])}, not {clean_line(op)!r}"
            continue
        try:
            if field == "total_spent":
                if parse_money(value, key) is None:
                    raise ValidationError({key: "An amount is required"})
            elif field == "order_count":
                if not value.isdigit():
                    raise ValidationError({key: f"Order count must be a whole number, not {clean_line(value)!r}"})
            elif field == "registered":
                (_period_start if op == "within" else parse_date)(value, today=dt.date.today())
            elif field == "status" and value not in CUSTOMER_STATUSES:
                raise ValidationError({key: f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"})
            elif field == "country" and not re.fullmatch(r"[A-Za-z]{2}", value):
                raise ValidationError({key: "Country must be a two-letter code such as GB"})
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        except DateParseError as exc:
            errors[key] = str(exc)
            continue
        out.append(Rule(field, op, value.upper() if field == "country" else value))
    if errors:
        raise ValidationError(errors)
    return match, out


def get_rules(group_id: int) -> tuple[str, list[Rule]]:
    row = GroupRuleSet.get_or_none(GroupRuleSet.group == group_id)
    if row is None:
        return "all", []
    return row.match, [Rule(**r) for r in json.loads(row.rules)]


@retried
def set_rules(group_id: int, match: str, rules: Sequence[dict[str, Any]], *, actor: str | None = None) -> list[Rule]:
    """Store a group's rules (an empty list removes them).  Nothing changes
    membership until the rules are applied."""
    match, clean = _clean_rules(match, rules)
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        before = get_rules(g.id)
        GroupRuleSet.delete().where(GroupRuleSet.group == g.id).execute()
        if clean:
            GroupRuleSet.create(group=g.id, match=match,
                                rules=json.dumps([dataclasses.asdict(r) for r in clean]), updated_at=utcnow())
        audit("group.rules", "group", g.id, before={"match": before[0], "rules": [r.describe() for r in before[1]]},
              after={"match": match, "rules": [r.describe() for r in clean]}, actor=actor)
    return clean


def _rules_expression(match: str, rules: Sequence[Rule], today: dt.date) -> pw.Expression:
    exprs = [r.expression(today) for r in rules]
    return functools.reduce((lambda a, b: a & b) if match == "all" else (lambda a, b: a | b), exprs)


@dataclasses.dataclass
class RulePreview:
    group_id: int
    code: str
    joining: int
    leaving: int
    sample_joining: list[CustomerRow]
    sample_leaving: list[CustomerRow]


def _rule_sets(g: CustomerGroup, today: dt.date) -> tuple[pw.ModelSelect, pw.Expression] | None:
    """Who would join (a customer query) and which memberships would go."""
    match, rules = get_rules(g.id)
    if not rules:
        return None
    matches = _rules_expression(match, rules, today)
    members = Membership.select(Membership.customer).where(Membership.group == g.id)
    joining = Customer.select(Customer.id).where(matches & Customer.id.not_in(members))
    # Only rule-made memberships leave: an admin's choice stands.
    leaving = (Membership.source == "rule") & Membership.customer.not_in(Customer.select(Customer.id).where(matches))
    return joining, leaving


@read_snapshot()
def preview_rules(group_id: int, *, today: dt.date | None = None, sample: int = 10) -> RulePreview:
    """How many customers applying the group's rules would add and remove, with samples."""
    today = today or dt.date.today()
    g = get_group(group_id)
    sets = _rule_sets(g, today)
    if sets is None:
        return RulePreview(g.id, g.code, 0, 0, [], [])
    joining, leaving = sets
    leaving_ids = Membership.select(Membership.customer).where((Membership.group == g.id) & leaving)
    join_flt = _IdsIn(joining)
    leave_flt = _IdsIn(leaving_ids)
    return RulePreview(g.id, g.code, joining.count(), leaving_ids.count(),
                       customer_page(join_flt, sort="name", limit=sample),  # type: ignore[arg-type]
                       customer_page(leave_flt, sort="name", limit=sample))  # type: ignore[arg-type]


@retried
def apply_rules(group_id: int | None = None, *, dry_run: bool = False, today: dt.date | None = None,
                actor: str | None = None) -> list[RulePreview]:
    """Apply the rules of one group (or of every group that has rules):
    matching customers join (marked as rule-made) and rule-made members who
    no longer match leave; members an admin added stay.  All groups in one
    transaction, set-based, audited, with notifications queued.  With
    ``dry_run`` nothing is written and the result is the preview."""
    today = today or dt.date.today()
    if group_id is not None:
        ids = [get_group(group_id).id]
    else:
        ids = [g for (g,) in GroupRuleSet.select(GroupRuleSet.group).order_by(GroupRuleSet.group).tuples()]
    if dry_run:
        return [preview_rules(i, today=today, sample=0) for i in ids]
    results = []
    bulk()
    with db.atomic():
        # Every group's membership lock up front (General's last: rule-made
        # members who leave their default group fall back to it).
        lock_groups(*ids, general_id=general_group().id if ids else None)
        for gid in ids:
            g = get_group(gid)
            _check_unlocked(g)
            sets = _rule_sets(g, today)
            if sets is None:
                results.append(RulePreview(g.id, g.code, 0, 0, [], []))
                continue
            joining, leaving = sets
            removed = _remove_members_where(g, leaving, actor=actor, source="rule")
            added = _insert_members_from(g, joining, actor=actor, source="rule")
            if added or removed:
                CustomerGroup.update(version=CustomerGroup.version + 1).where(CustomerGroup.id == g.id).execute()
            audit("group.rules_apply", "group", g.id, after={"joined": added, "left": removed,
                                                             "today": today}, actor=actor)
            results.append(RulePreview(g.id, g.code, added, removed, [], []))
    return results
