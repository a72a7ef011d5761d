"""``backroom audit``: the audit log newest first, filtered by date, admin,
kind of change, group and customer; lines of inert text or valid JSON.
(Its own module: main.py builds the parser with :func:`add_audit_command`.)"""

from __future__ import annotations

import argparse

from backroom import models


def _limit(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{models.clean_line(text)!r} is not a whole number") from None
    if not 1 <= value <= models.AUDIT_PAGE_MAX:
        raise argparse.ArgumentTypeError(f"must be from 1 to {models.AUDIT_PAGE_MAX:,}")
    return value


def add_audit_command(sub: argparse._SubParsersAction) -> None:
    """``backroom audit``: the audit log, newest first, filtered."""
    aud = sub.add_parser("audit", help="the audit log: who changed what, newest first",
                         description="Print the audit log newest first: who changed what, when, with the "
                                     "change. Dates as the screens read them: 2024-03-01, 1 March 2024, "
                                     "3 days ago, yesterday.")
    aud.add_argument("--since", metavar="DATE", help="entries from this day on")
    aud.add_argument("--until", metavar="DATE", help="entries up to the end of this day")
    aud.add_argument("--actor", metavar="NAME", help="entries by this admin")
    aud.add_argument("--kind", metavar="KIND", help="this kind of change (group.assign) or area (group)")
    aud.add_argument("--group", metavar="CODE", help="changes to the group with this code")
    aud.add_argument("--customer", metavar="EMAIL", help="changes to the customer with this email (or id)")
    aud.add_argument("--limit", metavar="N", type=_limit, default=100,
                     help=f"at most N entries (default 100, at most {models.AUDIT_PAGE_MAX:,})")
    aud.add_argument("--json", action="store_true", help="print JSON instead of lines")


def cmd_audit(args: argparse.Namespace) -> int:
    f = models.audit_filter(since=args.since, until=args.until, actor=args.actor, kind=args.kind,
                            group=args.group, customer=args.customer)
    rows = models.audit_page(f, limit=args.limit)
    if args.json:
        print(models.inert_json([{
            "id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "entity": r.entity,
            "entity_id": r.entity_id, "before": r.before, "after": r.after} for r in rows], indent=2))
        return 0
    line = models.clean_line
    for r in rows:
        target = f"{line(r.entity)} {line(r.entity_id)}".rstrip()
        print(f"{r.at:%Y-%m-%d %H:%M:%S}  {line(r.actor)}  {line(r.action)}  {target}  {r.summary()}".rstrip())
    if not rows:
        print("No audit entries match." if not f.is_empty() else "The audit log is empty.")
    return 0
