"""Automatic group membership: rules on a group, previewed and applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from typing import Any, Sequence

import peewee as pw

from .admins import requires
from .audit import audit, resolve_actor
from .connection import db
from .customers import CustomerRow, customer_page
from .errors import BackroomError, DateParseError, ValidationError
from .groups import _insert_members_from, _remove_members_where
from .lookup import _check_unlocked, as_id, general_group, get_group
from .parsing import _RELATIVE_RE, DATE_MAX, DATE_MIN, clean_line, parse_date, parse_money, parse_whole, quoted
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


ORDER_COUNT_MAX = 1_000_000
"""The largest order count a rule may name."""


@dataclasses.dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: str

    def expression(self, today: dt.date) -> pw.Expression:
        """The rule as a condition on customers; :class:`ValidationError`
        (never a Python error) if it cannot be evaluated."""
        f, op = self.field, self.op
        v = _rule_value(f, op, self.value, today, "rule")
        if f in ("total_spent", "order_count"):
            column = Customer.total_spent if f == "total_spent" else Customer.order_count
            return column >= v if op == ">=" else column <= v
        if f == "registered":
            day = _day_start(v)
            if op in ("within", "after"):
                return Customer.registered_at >= (day if op == "within" else day + dt.timedelta(days=1))
            return Customer.registered_at < day
        if f == "status":
            return Customer.status == v
        return Customer.id.in_(Address.select(Address.customer).where(
            (Address.kind == "billing") & (Address.country == v)))

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def _period_start(text: str, today: dt.date) -> dt.date:
    """The first day of "last 6 months", "6 months", "90 days"…"""
    t = " ".join(text.lower().split())
    if not t.startswith(("last ", "past ")):
        t = f"last {t}"
    m = _RELATIVE_RE.match(t)
    if not m:
        raise DateParseError(f"Cannot understand the period {quoted(text)}: try 6 months, 90 days or 2 years.")
    return parse_date(t, today=today)


def _rule_value(field: Any, op: Any, value: Any, today: dt.date, key: str) -> Any:
    """A rule's value checked and read, for saving it and for evaluating it
    (a rule stored by an older Backroom, or by hand, is read the same way):
    :class:`ValidationError` under ``key`` if it cannot be evaluated."""
    if not isinstance(field, str) or field not in RULE_FIELDS:
        raise ValidationError({key: f"Unknown rule field {quoted(field)}: use one of {', '.join(RULE_FIELDS)}"})
    if not isinstance(op, str) or op not in RULE_FIELDS[field]:
        raise ValidationError({key: f"{field} takes {' or '.join(RULE_FIELDS[field])}, not {quoted(op)}"})
    if not isinstance(value, str):
        raise ValidationError({key: f"A rule's value must be text, not {quoted(value)}"})
    value = value.strip()
    if field == "total_spent":
        amount = parse_money(value, key)
        if amount is None:
            raise ValidationError({key: "An amount is required"})
        return amount
    if field == "order_count":
        if not value:
            raise ValidationError({key: "A number of orders is required"})
        return parse_whole(value, key, label="Order count", minimum=0, maximum=ORDER_COUNT_MAX)
    if field == "registered":
        try:
            return _period_start(value, today) if op == "within" else parse_date(value, today=today)
        except DateParseError as exc:
            raise ValidationError({key: str(exc)}) from None
    if field == "status":
        if value not in CUSTOMER_STATUSES:
            raise ValidationError({key: f"Status must be one of {', '.join(CUSTOMER_STATUSES)}"})
        return value
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValidationError({key: "Country must be a two-letter code such as GB"})
    return value.upper()


def _clean_rules(match: Any, rules: Any) -> tuple[str, list[Rule]]:
    errors: dict[str, str] = {}
    if not isinstance(match, str) or match not in ("all", "any"):
        errors["match"] = "Rules combine with all or any"
    if isinstance(rules, (str, bytes, dict)) or not hasattr(rules, "__iter__"):
        raise ValidationError({**errors, "rules": "Rules must be a list of {field, op, value}"})
    rules = list(rules)
    if len(rules) > MAX_RULES:
        raise ValidationError({**errors, "rules": f"A group has at most {MAX_RULES} rules"})
    out: list[Rule] = []
    today = dt.date.today()
    for i, raw in enumerate(rules):
        key = f"rules[{i}]"
        if not isinstance(raw, dict):
            errors[key] = "A rule must be a mapping of field, op and value"
            continue
        field, op, value = (raw.get(k) for k in ("field", "op", "value"))
        field, op = (x.strip() if isinstance(x, str) else x for x in (field, op))
        try:
            _rule_value(field, op, value, today, key)
        except ValidationError as exc:
            errors.update(exc.errors)
            continue
        value = value.strip()
        out.append(Rule(field, op, value.upper() if field == "country" else value))
    if errors:
        raise ValidationError(errors)
    return match, out


MAX_RULES = 50


def get_rules(group_id: int) -> tuple[str, list[Rule]]:
    """A group's rules as stored ("all", [] when it has none).  A stored
    rule's parts are read as text whatever they hold, for an admin to see and
    fix; :class:`BackroomError` if what is stored is no list of rules at all."""
    row = GroupRuleSet.get_or_none(GroupRuleSet.group == as_id(group_id, "group_id", "A group's id"))
    if row is None:
        return "all", []
    try:
        stored = json.loads(row.rules)
        if not isinstance(stored, list) or not all(isinstance(r, dict) for r in stored):
            raise ValueError
    except (ValueError, TypeError):
        raise BackroomError(f"The rules stored for group #{row.group_id} cannot be read: "
                            "save its rules again to replace them.") from None
    return str(row.match), [Rule(*(r.get(k) if isinstance(r.get(k), str) else json.dumps(r.get(k))
                                    for k in ("field", "op", "value"))) for r in stored]


@requires("rules")
@retried
def set_rules(group_id: int, match: str, rules: Sequence[dict[str, Any]], *, actor: str | None = None) -> list[Rule]:
    """Store a group's rules (an empty list removes them).  Nothing changes
    membership until the rules are applied.  A rule that could not be
    evaluated is refused, naming it."""
    match, clean = _clean_rules(match, rules)
    if clean:
        _rules_expression(match, clean, dt.date.today())  # can be evaluated, or ValidationError
    actor = resolve_actor(actor)
    with db.atomic():
        g = get_group(group_id)
        _check_unlocked(g)
        try:
            before = get_rules(g.id)
        except BackroomError:  # unreadable: replaced now
            before = ("all", [])
        GroupRuleSet.delete().where(GroupRuleSet.group == g.id).execute()
        if clean:
            GroupRuleSet.create(group=g.id, match=match,
                                rules=json.dumps([dataclasses.asdict(r) for r in clean]), updated_at=utcnow())
        audit("group.rules", "group", g.id, before={"match": before[0], "rules": [r.describe() for r in before[1]]},
              after={"match": match, "rules": [r.describe() for r in clean]}, actor=actor)
    return clean


def _rules_expression(match: str, rules: Sequence[Rule], today: dt.date) -> pw.Expression:
    """The rules as one condition; :class:`ValidationError` if one of them
    (or how they combine) cannot be evaluated."""
    if match not in ("all", "any"):
        raise ValidationError({"match": f"Rules combine with all or any, not {quoted(match)}"})
    exprs = []
    errors: dict[str, str] = {}
    for i, r in enumerate(rules):
        try:
            exprs.append(r.expression(today))
        except ValidationError as exc:
            errors[f"rules[{i}]"] = "; ".join(exc.errors.values())
    if errors:
        raise ValidationError(errors)
    return functools.reduce((lambda a, b: a & b) if match == "all" else (lambda a, b: a | b), exprs)


def _group_rules(g: CustomerGroup, today: dt.date) -> pw.Expression | None:
    """The condition of ``g``'s stored rules, None when it has none;
    :class:`BackroomError` naming the group when they cannot be evaluated
    (stored by hand, or by an older Backroom that checked less)."""
    match, rules = get_rules(g.id)
    if not rules:
        return None
    try:
        return _rules_expression(match, rules, today)
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        raise BackroomError(f"The rules of group {clean_line(g.code)!r} cannot be evaluated ({problems}): "
                            "edit them to fix or remove the rule.") from None


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
    matches = _group_rules(g, today)
    if matches is None:
        return None
    members = Membership.select(Membership.customer).where(Membership.group == g.id)
    joining = Customer.select(Customer.id).where(matches & Customer.id.not_in(members))
    # Only rule-made memberships leave: an admin's choice stands.
    leaving = (Membership.source == "rule") & Membership.customer.not_in(Customer.select(Customer.id).where(matches))
    return joining, leaving


def _today(today: Any) -> dt.date:
    if today is None:
        return dt.date.today()
    if isinstance(today, dt.datetime):
        today = today.date()
    if not isinstance(today, dt.date) or not DATE_MIN <= today <= DATE_MAX:
        raise ValidationError({"today": f"Today must be a date between {DATE_MIN} and {DATE_MAX}"})
    return today


@read_snapshot()
def preview_rules(group_id: int, *, today: dt.date | None = None, sample: int = 10) -> RulePreview:
    """How many customers applying the group's rules would add and remove, with samples."""
    today = _today(today)
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


@requires("rules")
@retried
def apply_rules(group_id: int | None = None, *, dry_run: bool = False, today: dt.date | None = None,
                actor: str | None = None) -> list[RulePreview]:
    """Apply the rules of one group (or of every group that has rules):
    matching customers join (marked as rule-made) and rule-made members who
    no longer match leave; members an admin added stay.  All groups in one
    transaction, set-based, audited, with notifications queued.  With
    ``dry_run`` nothing is written and the result is the preview."""
    today = _today(today)
    actor = resolve_actor(actor)
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
