"""Backroom's command line: ``backroom [--db URL] [command]``.

With no command it opens the TUI on the chosen database.  Errors are one
line on standard error and a non-zero exit, never a traceback; whatever it
prints that came from the database passes through the one sanitiser
(``models.inert_line``, ``models.inert_json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Sequence

from backroom import models
from backroom.tui import collector
from backroom.tui.formatters import percent

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CRASH = 70  # EX_SOFTWARE: an unexpected error (a bug), reported to a file
DEMO_CUSTOMERS = 5_000


def version() -> str:
    # importlib.metadata, and the look-up, only for --version and the reports
    # that name it: together they were a twentieth of the TUI's start.
    from importlib import metadata

    try:
        return metadata.version("backroom")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _VersionAction(argparse.Action):
    """``--version``, whose version is looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        print(f"backroom {version()}")
        parser.exit()


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# Commands whose options name the data layer's formats and fields: their
# parsers import the import/export/audit modules, so they are built in full
# only when the command line names them (opening the TUI imports none).
DETAILED_COMMANDS = ("import", "export", "audit")


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line's parser.  ``argv``: the arguments it is for; the
    commands of DETAILED_COMMANDS it does not name get their name and help
    only (enough for ``backroom --help``).  None: every command in full."""
    detailed = set(DETAILED_COMMANDS) if argv is None else set(DETAILED_COMMANDS) & set(argv)
    parser = Parser(
        prog="backroom",
        description="The back office of an online shop, in a terminal: customers, customer groups "
                    "and review moderation. With no command, opens the TUI.",
        epilog="The database is chosen by --db, else $BACKROOM_DB, else a SQLite file in "
               f"{models.default_data_dir()}.")
    parser.add_argument("--db", metavar="URL",
                        help="database URL: sqlite:///path.db, postgresql://user@host/name or "
                             "mysql://user@host/name (default: $BACKROOM_DB)")
    parser.add_argument("--admin", metavar="NAME",
                        help="the admin you are (default: $BACKROOM_ADMIN, else your login name); "
                             "needed once the database has admins")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=Parser)

    demo = sub.add_parser("demo", help="open Backroom on a demo SQLite database (made on first use)",
                          description="Open Backroom on a demo SQLite database, seeding it with "
                                      f"{DEMO_CUSTOMERS:,} customers the first time. --db chooses "
                                      "another database.")
    demo.add_argument("--customers", type=_count, default=DEMO_CUSTOMERS, metavar="N",
                      help=f"customers to seed a new demo database with (default {DEMO_CUSTOMERS:,})")

    seed = sub.add_parser("seed", help="add deterministic, realistic demo data",
                          description="Add demo customers with addresses, orders, products in "
                                      "categories and reviews in every status. The same --seed "
                                      "gives the same data.")
    seed.add_argument("--customers", type=_count, required=True, metavar="N", help="how many customers")
    seed.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    seed.add_argument("--reviews", type=_count, default=0, metavar="N",
                      help="also add N reviews by random customers (a big moderation queue)")

    groups = sub.add_parser("groups", help="customer groups",
                            description="Work with customer groups.")
    gsub = groups.add_subparsers(dest="groups_command", metavar="command", parser_class=Parser,
                                 required=True)
    glist = gsub.add_parser("list", help="list the groups with member counts",
                            description="List every customer group with its member count.")
    glist.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rules = sub.add_parser("rules", help="automatic group membership by rules",
                           description="Apply the rules that keep group membership up to date "
                                       "(for cron: errors exit non-zero).")
    rsub = rules.add_subparsers(dest="rules_command", metavar="command", parser_class=Parser, required=True)
    apply = rsub.add_parser("apply", help="apply the rules of one group or of every group",
                            description="Customers matching a group's rules join it; rule-made members "
                                        "who no longer match leave it. Members added by hand stay.")
    apply.add_argument("--group", metavar="CODE", help="only this group (default: every group with rules)")
    apply.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")

    out = sub.add_parser("outbox", help="notifications of customers joining or leaving groups",
                         description="Nothing is ever sent: export the queued notifications to a file.")
    osub = out.add_subparsers(dest="outbox_command", metavar="command", parser_class=Parser, required=True)
    export = osub.add_parser("export", help="write the notifications not yet exported to a file",
                             description="Write the queued notifications to FILE and mark them exported.")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--format", choices=("csv", "mbox"), default="csv", help="csv (default) or mbox")
    add_admin_commands(sub)
    add_init_command(sub)
    add_tax_class_commands(sub)
    add_transfer_commands(sub, full="import" in detailed, full_export="export" in detailed)
    add_audit_command(sub, full="audit" in detailed)
    add_settings_commands(sub)
    add_review_commands(sub)
    return parser


def add_review_commands(sub: argparse._SubParsersAction) -> None:
    """``backroom reviews``: the canned rejection reasons and the auto-approve rule."""
    rsub = sub.add_parser("reviews", help="review moderation: rejection reasons, the auto-approve rule").add_subparsers(
        dest="reviews_command", metavar="command", parser_class=Parser, required=True)
    reasons = rsub.add_parser("reasons", help="the shop's canned rejection reasons: list, add, rename, delete")
    reasons.add_argument("action", choices=("list", "add", "rename", "delete"))
    reasons.add_argument("names", nargs="*", metavar="NAME", help="the reason (rename: the old name, then the new)")
    rule = rsub.add_parser("rule", help="show or set the auto-approve rule (verified purchases with N stars or more)")
    rule.add_argument("--min-stars", metavar="N", help="approve pending reviews with at least N stars; 'off': no rule")
    rule.add_argument("--any-buyer", action="store_true", help="not only verified purchases")
    rsub.add_parser("apply-rules", help="approve the pending reviews the rule matches").add_argument(
        "--dry-run", action="store_true", help="only say how many it would approve")


def cmd_reviews(args: argparse.Namespace) -> int:
    line, names, what = models.clean_line, getattr(args, "names", []), getattr(args, "action", "")
    if args.reviews_command == "reasons" and len(names) != {"list": 0, "rename": 2}.get(what, 1):
        raise models.BackroomError("usage: reviews reasons list | add NAME | rename OLD NEW | delete NAME")
    if what == "list":
        print("\n".join(f"{n}  {line(r.name)}" for n, r in enumerate(models.list_review_reasons(), 1)))
    elif what:
        done = getattr(models, f"{what}_review_reason")(*names)
        print(f"{ {'add': 'Added', 'rename': 'Renamed', 'delete': 'Deleted'}[what]} the reason {line(done.name)}.")
    elif args.reviews_command == "rule":
        if args.min_stars is not None:
            models.set_review_rule("" if args.min_stars == "off" else args.min_stars, not args.any_buyer)
        rule = models.review_rule()
        print(f"Auto-approve: {rule.describe()}." if rule else "No auto-approve rule.")
    else:
        n = models.apply_review_rule(dry_run=args.dry_run)
        print(f"{'Would approve' if args.dry_run else 'Approved'} {n:,} pending review{'' if n == 1 else 's'}.")
    return 0


def add_tax_class_commands(sub: argparse._SubParsersAction) -> None:
    """``backroom tax-classes list|add|rename|delete|set-default``."""
    tax = sub.add_parser("tax-classes", help="the tax classes groups are charged by",
                         description="List, add, rename and delete tax classes, and choose the shop's "
                                     "default: the class new groups get.")
    tsub = tax.add_subparsers(dest="tax_command", metavar="command", parser_class=Parser, required=True)
    tlist = tsub.add_parser("list", help="list the tax classes with how many groups use each",
                            description="List every tax class, its rate, how many groups use it and "
                                        "which is the default.")
    tlist.add_argument("--json", action="store_true", help="print JSON instead of a table")
    tadd = tsub.add_parser("add", help="add a tax class", description="Add a tax class (names are unique, "
                                                                       "whatever their case).")
    tadd.add_argument("name", metavar="NAME")
    tadd.add_argument("--rate", metavar="PERCENT", default=None, help="its rate, 0 to 100 (default 0)")
    tadd.add_argument("--default", action="store_true", help="also make it the shop's default")
    tren = tsub.add_parser("rename", help="rename a tax class", description="Give a tax class another name.")
    tren.add_argument("name", metavar="NAME")
    tren.add_argument("new_name", metavar="NEW_NAME")
    tdel = tsub.add_parser("delete", help="delete a tax class no group uses",
                           description="Delete a tax class. Refused while a group uses it or while it is "
                                       "the default.")
    tdel.add_argument("name", metavar="NAME")
    tdef = tsub.add_parser("set-default", help="make a tax class the shop's default",
                           description="New groups get the default tax class unless told otherwise.")
    tdef.add_argument("name", metavar="NAME")


def cmd_tax_classes(args: argparse.Namespace) -> int:
    line = models.clean_line
    if args.tax_command == "list":
        rows = models.list_tax_classes()
        if args.json:
            print(models.inert_json([{"name": r.name, "rate_percent": str(r.rate_percent), "default": r.is_default,
                                      "groups": r.group_count} for r in rows], indent=2))
            return 0
        table = [("NAME", "RATE", "GROUPS", "DEFAULT")] + [
            (line(r.name), percent(r.rate_percent), f"{r.group_count:,}", "default" if r.is_default else "")
            for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(4)]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        return 0
    if args.tax_command == "add":
        t = models.add_tax_class(args.name, args.rate, make_default=args.default)
        print(f"Added the tax class {line(t.name)}{' (the default)' if args.default else ''}.")
    elif args.tax_command == "rename":
        old = models.find_tax_class(args.name)
        t = models.rename_tax_class(old.id, args.new_name)
        print(f"Renamed {line(old.name)} to {line(t.name)}.")
    elif args.tax_command == "delete":
        t = models.find_tax_class(args.name)
        models.delete_tax_class(t.id)
        print(f"Deleted the tax class {line(t.name)}.")
    else:
        t = models.set_default_tax_class(models.find_tax_class(args.name).id)
        print(f"{line(t.name)} is now the default tax class.")
    return 0


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def database_url(args: argparse.Namespace) -> str:
    if args.db:
        return args.db
    if os.environ.get("BACKROOM_DB"):
        return os.environ["BACKROOM_DB"]
    if args.command == "demo":
        return f"sqlite:///{models.default_data_dir() / 'demo.db'}"
    return models.default_url()


class Progress:
    """A progress bar on standard error (a plain line when it is not a terminal)."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = done / total if total else 1.0
        if self.tty:
            width = 30
            bar = "#" * int(frac * width)
            self.stream.write(f"\r{self.label} [{bar:<{width}}] {done:,}/{total:,} "
                              f"{now - self.started:5.1f}s")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif done >= total:
            self.stream.write(f"{self.label}: {done:,}/{total:,} in {now - self.started:.1f}s\n")


def cmd_seed(args: argparse.Namespace) -> int:
    counts = models.seed(args.customers, rng_seed=args.seed, progress=Progress("Seeding customers"))
    if args.reviews:
        counts["reviews"] += models.seed_reviews(args.reviews, rng_seed=args.seed,
                                                 progress=Progress("Seeding reviews"))
    print(", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()))
    return 0


def cmd_groups_list(args: argparse.Namespace) -> int:
    rows = models.list_groups(sort="code")
    if args.json:
        # Valid JSON with the stored text as it is, but no raw control, C1 or
        # bidi character: those are \uXXXX escapes.
        print(models.inert_json([{
            "code": r.code, "name": r.name, "description": r.description, "tax_class": r.tax_class,
            "discount_percent": str(r.discount_percent), "free_shipping": r.free_shipping,
            "hidden": r.hidden, "system": r.is_system, "members": r.member_count,
        } for r in rows], indent=2))
        return 0
    header = ("CODE", "NAME", "MEMBERS", "TAX CLASS", "DISCOUNT", "FREE SHIP", "HIDDEN", "SYSTEM")
    table = [header] + [(
        models.clean_line(r.code), models.clean_line(r.name), f"{r.member_count:,}",
        models.clean_line(r.tax_class), percent(r.discount_percent), _yes(r.free_shipping), _yes(r.hidden),
        "locked" if r.is_system else "") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def cmd_rules_apply(args: argparse.Namespace) -> int:
    group_id = models.get_group_by_code(args.group).id if args.group else None
    if group_id is not None and not models.get_rules(group_id)[1]:
        raise models.BackroomError(f"The group {models.clean_line(args.group)!r} has no rules to apply.")
    results = models.apply_rules(group_id, dry_run=args.dry_run)
    if not results:
        print("No group has rules.")
    verb = ("would join", "would leave") if args.dry_run else ("joined", "left")
    for r in results:
        print(f"{models.clean_line(r.code)}: {r.joining:,} {verb[0]}, {r.leaving:,} {verb[1]}")
    return 0


def cmd_outbox_export(args: argparse.Namespace) -> int:
    n = models.export_outbox(args.file, fmt=args.format)
    print(f"Exported {n:,} notifications to {models.clean_line(args.file)}" if n
          else "The outbox is empty: nothing exported.")
    return 0


# -- import and export ---------------------------------------------------------

def add_transfer_commands(sub: argparse._SubParsersAction, full: bool = True, full_export: bool = True) -> None:
    """``import customers FILE`` and ``export customers|members FILE`` (with
    ``full`` / ``full_export`` false: the command's name and help only)."""
    imp = sub.add_parser("import", help="import customers from a CSV file (Shopify, Magento, PrestaShop…)",
                         description="Import a file other platforms export, or any CSV with --map. "
                                     "Check it first with --dry-run.")
    if full:
        add_import_commands(imp)
    exp = sub.add_parser("export", help="export customers or a group's members to a CSV file",
                         description="Write customers to FILE (mode 0600, written whole or not at all).")
    if full_export:
        add_export_commands(exp)


def add_import_commands(imp: argparse.ArgumentParser) -> None:
    isub = imp.add_subparsers(dest="import_what", metavar="what", parser_class=Parser, required=True)
    cust = isub.add_parser(
        "customers", help="customers, with their billing address and groups",
        description="Import customers. The format is recognised from the header (Shopify, its older "
                    "layout, Magento 2, PrestaShop, WooCommerce's customers report, Backroom's own). "
                    "Every valid row is imported in one transaction; rejected rows go to a "
                    "rejects file beside it (shop.csv: shop.rejects.csv), with their line and "
                    "problems. Customers are matched by the file's customer id, else by email: "
                    "importing a file again changes nothing.")
    cust.add_argument("file", metavar="FILE")
    cust.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    cust.add_argument("--format", choices=models.IMPORT_FORMATS, help="the file's format (default: from its header)")
    cust.add_argument("--map", metavar="'COLUMN=FIELD,…'",
                      help="import columns as these fields (COLUMN= leaves a column out); fields: "
                           + ", ".join(models.CUSTOMER_IMPORT_FIELDS))
    add_map_options(cust)
    cust.add_argument("--encoding", metavar="NAME", help="the file's encoding, e.g. latin-1 "
                                                          "(default: UTF-8, or UTF-16 by its BOM)")
    cust.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is bad")
    cust.add_argument("--create-groups", action="store_true", help="create the groups the file names "
                                                                    "that do not exist (else: rows rejected)")
    cust.add_argument("--quiet", action="store_true", help="queue no join notifications for the groups joined")
    cust.add_argument("--create", action="store_true", help="create the database if it does not exist")

    rev = isub.add_parser(
        "reviews", help="reviews, as `export reviews` writes them",
        description="Import reviews: each names its product by SKU and its customer by id or email (both "
                    "must exist). The same product, customer and date is the same review: importing a "
                    "file again changes nothing.")
    rev.add_argument("file", metavar="FILE")
    rev.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    rev.add_argument("--map", metavar="'COLUMN=FIELD,…'",
                     help="import columns as these fields; fields: " + ", ".join(models.REVIEW_IMPORT_FIELDS))
    add_map_options(rev)
    rev.add_argument("--encoding", metavar="NAME", help="the file's encoding, e.g. latin-1")
    rev.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is bad")

    orders = isub.add_parser(
        "orders", help="orders, from Shopify's order export or Backroom's",
        description="Import orders (one row per item line): each keeps its number, status, date, total "
                    "and its lines' prices; its customer must exist. A product whose SKU does not exist "
                    "is created in the category Imported. Cancelled and refunded orders count toward no "
                    "customer's total spent. Importing a file again changes nothing.")
    orders.add_argument("file", metavar="FILE")
    orders.add_argument("--dry-run", action="store_true", help="check every order and report; write nothing")
    orders.add_argument("--format", choices=("shopify-orders", "backroom-orders"),
                        help="the file's format (default: from its header)")
    orders.add_argument("--encoding", metavar="NAME", help="the file's encoding, e.g. latin-1")
    orders.add_argument("--all-or-nothing", action="store_true", help="import nothing if any order is bad")
    add_import_maps_command(isub)
    add_import_addresses_command(isub)


def add_export_commands(exp: argparse.ArgumentParser) -> None:
    esub = exp.add_subparsers(dest="export_what", metavar="what", parser_class=Parser, required=True)
    for what, text in (("customers", "every customer, or a group's with --group"),
                       ("members", "a group's members, with who added them and when")):
        e = esub.add_parser(what, help=text, description=f"Export {text}.")
        e.add_argument("file", metavar="FILE")
        e.add_argument("--format", choices=models.EXPORT_FORMATS, default="backroom",
                       help="backroom (default), shopify, magento (Magento 2's customer main file) or prestashop; "
                            "each re-imports to the same data")
        e.add_argument("--group", metavar="CODE", required=what == "members", help="only this group's members")
        e.add_argument("--bom", action="store_true", help="start with a byte-order mark (for spreadsheets)")
        for option, meta, text in (("--text", "WORDS", "name or email starts with"),
                                   ("--status", "STATUS", "active or disabled"),
                                   ("--registered-from", "DATE", "registered on or after (2024-01-01, "
                                                                 "'last 90 days')"),
                                   ("--registered-to", "DATE", "registered on or before"),
                                   ("--spent-min", "AMOUNT", "total spent at least"),
                                   ("--spent-max", "AMOUNT", "total spent at most")):
            e.add_argument(option, metavar=meta, default="", help=f"only customers whose {text}"
                           if option in ("--text", "--status") else f"only customers {text}")
    r = esub.add_parser("reviews", help="reviews, with their product and customer",
                        description="Export reviews (oldest first), filtered as on the Reviews screen.")
    r.add_argument("file", metavar="FILE")
    for option, meta, text in (("--status", "STATUS", "pending, approved or rejected"),
                               ("--rating", "N", "stars, 1 to 5"), ("--product", "SKU", "one product's"),
                               ("--customer", "EMAIL", "one customer's"),
                               ("--from", "DATE", "written on or after (2024-03-01, 'last 90 days')"),
                               ("--to", "DATE", "written on or before"), ("--text", "WORDS", "title or body holds")):
        r.add_argument(option, metavar=meta, default="", help=text)
    r.add_argument("--bom", action="store_true", help="start with a byte-order mark (for spreadsheets)")


def run_transfer(args: argparse.Namespace, url: str) -> int:
    if args.command == "export" and args.export_what == "reviews":
        flt = models.build_review_filter(status=args.status, rating=args.rating, product=args.product,
                                         customer=args.customer, created_from=getattr(args, "from"),
                                         created_to=args.to, text=args.text)
        n = models.export_reviews(args.file, flt=flt, bom=args.bom)
        print(f"Exported {n:,} reviews to {models.inert_line(args.file)}")
        return 0
    if args.command == "export":
        flt = models.build_filter(text=args.text, status=args.status, registered_from=args.registered_from,
                                  registered_to=args.registered_to, spent_min=args.spent_min,
                                  spent_max=args.spent_max)
        n = models.export_customers(args.file, fmt=args.format, group=args.group,
                                    members=args.export_what == "members", flt=flt, bom=args.bom,
                                    progress=Progress("Exporting"))
        print(f"Exported {n:,} customers to {models.inert_line(args.file)}")
        return 0
    if args.import_what == "orders":
        report = models.import_orders(args.file, dry_run=args.dry_run, fmt=args.format, encoding=args.encoding,
                                      all_or_nothing=args.all_or_nothing,
                                      progress=Progress("Checking" if args.dry_run else "Importing"))
        for line in models.import_report_lines(report):
            print(line)
        print(models.describe_import(report).replace(" rows:", " orders:", 1))
        return EXIT_ERROR if report.rejected or not (report.applied or args.dry_run) else 0
    if args.import_what == "maps":
        return cmd_import_maps(args)
    if args.import_what == "addresses":
        return cmd_import_addresses(args, Progress("Checking" if args.dry_run else "Importing"))
    text = chosen_map(args, args.import_what)
    if args.import_what == "reviews":
        mapping = models.parse_import_map(text or "", models.REVIEW_IMPORT_FIELDS)
        report = models.import_reviews(args.file, dry_run=args.dry_run, mapping=mapping, encoding=args.encoding,
                                       all_or_nothing=args.all_or_nothing,
                                       progress=Progress("Checking" if args.dry_run else "Importing"))
        for line in models.import_report_lines(report):
            print(line)
        print(models.describe_import(report))
        save_chosen_map(args, "reviews")
        return EXIT_ERROR if report.rejected or not (report.applied or args.dry_run) else 0
    report = models.import_customers(
        args.file, dry_run=args.dry_run, fmt=args.format, mapping=text, encoding=args.encoding,
        all_or_nothing=args.all_or_nothing, create_groups=args.create_groups, quiet=args.quiet,
        progress=Progress("Checking" if args.dry_run else "Importing"))
    for line in models.import_report_lines(report):
        print(line)
    print(models.describe_import(report))
    save_chosen_map(args, "customers")
    return EXIT_ERROR if report.rejected or not (report.applied or args.dry_run) else 0


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def cmd_tui(args: argparse.Namespace, url: str) -> int:
    """Run the TUI.  An unexpected error in it stops it with the terminal
    restored, a report without personal data written (tui/crash.py) and
    its path printed here: exit status EXIT_CRASH."""
    collector.pause()  # (paused already unless opened by ``demo``)
    try:
        from backroom.tui import crash
        from backroom.tui.app import BackroomApp
    except ImportError as exc:  # a broken install, not a user error
        raise models.BackroomError(f"The TUI cannot start: {exc}") from None
    app = BackroomApp(db_label=models.redact_url(url), admin=models.session_admin())
    try:
        app.run()
    except Exception as exc:  # noqa: BLE001 - one that escaped Textual (starting or stopping the terminal)
        app.crash = app.crash or exc
        app.crash_report = app.crash_report or crash.write_report(exc)
    if app.crash is not None:
        crash.print_crash(app.crash_report, app.crash)
        return EXIT_CRASH
    return app.return_code or 0


CREATING_COMMANDS = ("demo", "seed", "init")
"""Commands that make the database they are given if it does not exist yet
(and ``import --create``); every other command refuses a missing one."""


def creates_database(args: argparse.Namespace) -> bool:
    return args.command in CREATING_COMMANDS or bool(getattr(args, "create", False))


# -- backroom settings, saved import maps, import addresses --------------------------

def add_settings_commands(sub: argparse._SubParsersAction) -> None:
    settings = sub.add_parser("settings", help="shop settings: how amounts are written",
                              description="Shop settings (changing one needs the owner).")
    ssub = settings.add_subparsers(dest="settings_command", metavar="setting", parser_class=type(settings), required=True)
    money = ssub.add_parser(
        "money", help="the currency and number format amounts are shown and exported in",
        description="Show, or set, how the shop writes amounts: on every screen, in exports, and how "
                    "amounts in import files are read (in this format or plain). Give a sample "
                    "('R$ 1.234,56', '1 234,56 €', '$1,234.56'), or --currency and --format. "
                    "'1,234.56' is the default.")
    money.add_argument("sample", nargs="?", metavar="SAMPLE", help="a sample amount: R$ 1.234,56")
    money.add_argument("--currency", metavar="TEXT", help="the currency sign: R$, €, $, CHF ('' for none)")
    money.add_argument("--format", dest="number", metavar="NUMBER",
                       help="the number as the shop writes 1234.56: 1.234,56, '1 234,56', 1,234.56, 1234.56")
    money.add_argument("--after", action="store_true", help="the currency after the number (2 999,99 €)")


def cmd_settings(args: argparse.Namespace) -> int:
    fmt = models.money_format()
    if args.sample is None and args.currency is None and args.number is None and not args.after:
        print(f"Amounts are written {models.inert_line(fmt.sample)}"
              f"{' (the default)' if fmt.is_default else ''}.")
        return 0
    if args.sample is not None and (args.currency is not None or args.number is not None or args.after):
        raise models.ValidationError({"format": "Give a sample, or --currency and --format, not both"})
    sample = args.sample
    if sample is None:
        currency = fmt.currency if args.currency is None else args.currency.strip()
        number = args.number if args.number is not None else dataclasses.replace(fmt, currency="").sample
        if not currency:
            sample = number
        elif args.after or (args.currency is None and fmt.after):
            sample = f"{number} {currency}"
        else:
            sample = f"{currency} {number}" if len(currency) > 1 else f"{currency}{number}"
    fmt = models.set_money_format(sample)
    print(f"Amounts are now written {models.inert_line(fmt.sample)}.")
    return 0


# -- import maps saved by name ---------------------------------------------------

def add_map_options(parser: argparse.ArgumentParser) -> None:
    """``--save-map NAME`` and ``--map-name NAME`` on an import that takes ``--map``."""
    parser.add_argument("--save-map", metavar="NAME",
                        help="save --map as NAME for the next import (in the database)")
    parser.add_argument("--map-name", metavar="NAME", help="use the map saved as NAME (see `import maps`)")


def add_import_maps_command(isub: argparse._SubParsersAction) -> None:
    maps = isub.add_parser("maps", help="the column maps saved by name (--save-map)",
                           description="List the column maps saved with --save-map, or delete one.")
    maps.add_argument("--delete", metavar="NAME", help="delete the map saved as NAME")
    maps.add_argument("--kind", choices=tuple(models.IMPORT_MAP_KINDS), default="customers",
                      help="which import the map to delete is for (default: customers)")


def chosen_map(args: argparse.Namespace, kind: str) -> str | None:
    """The map an import uses: ``--map``, or the one saved as ``--map-name``."""
    if args.map_name and args.map:
        raise models.ValidationError({"map": "Give --map or --map-name, not both"})
    if args.save_map and not args.map:
        raise models.ValidationError({"map": "--save-map saves the --map given with it: give --map"})
    if args.map_name:
        return models.saved_map(kind, args.map_name)
    return args.map


def save_chosen_map(args: argparse.Namespace, kind: str) -> None:
    if args.save_map:
        saved = models.save_import_map(kind, args.save_map, args.map)
        print(f"Saved the map as {saved.name}: next time, --map-name {saved.name}.")


def cmd_import_maps(args: argparse.Namespace) -> int:
    if args.delete:
        models.delete_saved_map(args.kind, args.delete)
        print(f"Deleted the map {models.inert_line(args.delete.strip().lower())}.")
        return 0
    maps = models.list_saved_maps()
    if not maps:
        print("No map is saved: --save-map NAME with --map saves one.")
    for m in maps:
        print(f"{m.kind:<10} {models.inert_line(m.name):<32} {models.inert_line(m.text)}")
    return 0


# -- import addresses ------------------------------------------------------------

def add_import_addresses_command(isub: argparse._SubParsersAction) -> None:
    adr = isub.add_parser(
        "addresses", help="customers' addresses, from Magento 2's or PrestaShop's address file",
        description="Import addresses (Magento 2's customer address file, PrestaShop's address CSV), each "
                    "matched to its customer (who must exist) by customer id, else email. A Magento address "
                    "becomes the billing and/or shipping one as its default flags say; in a PrestaShop file "
                    "a customer's first address is the billing one and the second the shipping one. "
                    "Importing a file again changes nothing.")
    adr.add_argument("file", metavar="FILE")
    adr.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    adr.add_argument("--format", choices=models.ADDRESS_FORMAT_NAMES, help="the file's format (default: from its header)")
    adr.add_argument("--encoding", metavar="NAME", help="the file's encoding, e.g. latin-1")
    adr.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is bad")


def cmd_import_addresses(args: argparse.Namespace, progress) -> int:
    report = models.import_addresses(args.file, dry_run=args.dry_run, fmt=args.format, encoding=args.encoding,
                                     all_or_nothing=args.all_or_nothing, progress=progress)
    for line in models.import_report_lines(report):
        print(line)
    print(models.describe_import(report))
    return 1 if report.rejected or not (report.applied or args.dry_run) else 0


# -- backroom audit -----------------------------------------------------------

def _limit(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{models.clean_line(text)!r} is not a whole number") from None
    if not 1 <= value <= models.AUDIT_PAGE_MAX:
        raise argparse.ArgumentTypeError(f"must be from 1 to {models.AUDIT_PAGE_MAX:,}")
    return value


def add_audit_command(sub: argparse._SubParsersAction, full: bool = True) -> None:
    """``backroom audit``: the audit log, newest first, filtered (with
    ``full`` false: its name and help only); and ``backroom undo``."""
    aud = sub.add_parser("audit", help="the audit log: who changed what, newest first",
                         description="Print the audit log newest first: who changed what, when, with the "
                                     "change. Dates as the screens read them: 2024-03-01, 1 March 2024, "
                                     "3 days ago, yesterday.")
    if full:
        add_audit_options(aud)
    undo = sub.add_parser("undo", help="undo an assign, unassign or move (its change, as backroom audit shows)",
                          description="Undo an assign, unassign or move of customers, as one audited change: "
                                      "CHANGE_ID is the \"change\" its audit entry shows.")
    undo.add_argument("change_id", metavar="CHANGE_ID", help="the change to undo")


def add_audit_options(aud: argparse.ArgumentParser) -> None:
    aud.add_argument("--since", metavar="DATE", help="entries from this day on")
    aud.add_argument("--until", metavar="DATE", help="entries up to the end of this day")
    aud.add_argument("--actor", metavar="NAME", help="entries by this admin")
    aud.add_argument("--kind", metavar="KIND", help="this kind of change (group.assign) or area (group)")
    aud.add_argument("--group", metavar="CODE", help="changes to the group with this code")
    aud.add_argument("--customer", metavar="EMAIL", help="changes to the customer with this email (or id)")
    aud.add_argument("--limit", metavar="N", type=_limit, default=100,
                     help=f"at most N entries (default 100, at most {models.AUDIT_PAGE_MAX:,})")
    aud.add_argument("--json", action="store_true", help="print JSON instead of lines")


def cmd_undo(args: argparse.Namespace) -> int:
    done = models.membership_change(args.change_id)
    models.undo_membership_change(done.op)
    print(f"Undone: {done.describe()}.")
    return 0


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


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    if args.command is None and os.environ.get("SSH_ORIGINAL_COMMAND", "").strip():
        argv = argv + models.ssh_command(os.environ["SSH_ORIGINAL_COMMAND"])
        args = build_parser(argv).parse_args(argv)
    if args.command is None:
        collector.pause()  # the TUI starting: resumed once its first screen is drawn (tui/collector.py)
    url = database_url(args)
    existed = models.database_exists(url)
    models.connect(url, create=creates_database(args))
    if args.command == "init":
        return cmd_init(args, url, existed)
    name_admin(args)
    if args.command == "admins":
        return cmd_admins(args, url)
    if args.command in ("import", "export"):
        return run_transfer(args, url)
    if args.command == "seed":
        return cmd_seed(args)
    if args.command == "groups":
        return cmd_groups_list(args)
    if args.command == "rules":
        return cmd_rules_apply(args)
    if args.command == "outbox":
        return cmd_outbox_export(args)
    if args.command == "tax-classes":
        return cmd_tax_classes(args)
    if args.command == "audit":
        return cmd_audit(args)
    if args.command == "undo":
        return cmd_undo(args)
    if args.command == "settings":
        return cmd_settings(args)
    if args.command == "reviews":
        return cmd_reviews(args)
    if args.command == "demo" and args.customers and not models.has_customers():
        models.seed(args.customers, rng_seed=1, progress=Progress("Making the demo database"))
    return cmd_tui(args, url)


# -- admins, and serving Backroom over SSH --------------------------------------

def add_admin_commands(sub) -> None:
    admins = sub.add_parser("admins", help="the admins and their roles",
                            description="Name the people who run Backroom and what each may do. "
                                        "With none, Backroom is one local user's and everything is allowed.")
    asub = admins.add_subparsers(dest="admins_command", metavar="command", parser_class=Parser, required=True)
    add = asub.add_parser("add", help="add an admin (the first one is the owner)",
                          description="Add an admin. With --key, print the authorized_keys line that lets "
                                      "that key run Backroom as this admin and nothing else.")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=models.ROLES, help="owner, manager, support or moderator "
                                                          "(the first admin is the owner)")
    add.add_argument("--key", metavar="PUBKEY", help="the admin's SSH public key, 'ssh-ed25519 AAAA…'")
    add.add_argument("--install", metavar="FILE",
                     help="append the key's line to this authorized_keys file (atomically, mode 0600)")
    alist = asub.add_parser("list", help="list the admins", description="List the admins and their roles.")
    alist.add_argument("--json", action="store_true", help="print JSON instead of a table")
    role = asub.add_parser("set-role", help="change an admin's role", description="Change an admin's role.")
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", metavar="ROLE", choices=models.ROLES)
    remove = asub.add_parser("remove", help="remove an admin",
                             description="Remove an admin: their key no longer opens Backroom. Delete their "
                                         "line from authorized_keys too.")
    remove.add_argument("name", metavar="NAME")


def add_init_command(sub) -> None:
    init = sub.add_parser("init", help="create the database, or upgrade it (--shared: for a team of OS users)",
                          description="Create an empty Backroom database at --db (or $BACKROOM_DB, or the "
                                      "default path), or bring an existing one to the current schema. "
                                      "--shared GROUP makes a SQLite database and its "
                                      "folder readable and writable by that OS group, as are the journal "
                                      "files SQLite makes beside it.")
    init.add_argument("--shared", metavar="GROUP", help="the OS group whose members run Backroom")


def name_admin(args: argparse.Namespace) -> None:
    """Who this session is: --admin, else $BACKROOM_ADMIN, else the login
    name when it is an admin's.  Refused in one line when the database has
    admins and this is none of them."""
    name = args.admin if args.admin is not None else os.environ.get("BACKROOM_ADMIN")
    models.use_admin(name or None)
    if not (args.command == "admins" and args.admins_command == "add"):
        models.session_admin()  # a database with admins needs one of them


def backroom_executable() -> list[str]:
    """The absolute command that runs this Backroom (sshd's forced command
    runs with a bare PATH)."""
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name == "backroom" and argv0.exists():
        return [str(argv0.absolute())]
    found = shutil.which("backroom")
    if found:
        return [str(Path(found).absolute())]
    return [sys.executable, "-m", "backroom"]


def cmd_admins(args: argparse.Namespace, url: str) -> int:
    if args.admins_command == "list":
        rows = models.list_admins()
        if args.json:
            print(models.inert_json([{"name": r.name, "role": r.role, "key": models.key_fingerprint(r.ssh_key),
                                      "added_at": r.added_at.isoformat(), "added_by": r.added_by}
                                     for r in rows], indent=2))
        elif not rows:
            print("No admins: Backroom is one local user's, who may do everything.")
        else:
            table = [("NAME", "ROLE", "KEY", "ADDED", "BY")] + [
                (r.name, r.role, models.key_fingerprint(r.ssh_key) or "-", f"{r.added_at:%Y-%m-%d}",
                 models.clean_line(r.added_by)) for r in rows]
            widths = [max(len(row[i]) for row in table) for i in range(5)]
            for row in table:
                print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        return 0
    if args.admins_command == "set-role":
        row = models.set_admin_role(args.name, args.role)
        print(f"{row.name} is now {row.role}.")
        return 0
    if args.admins_command == "remove":
        models.remove_admin(args.name)
        print(f"Removed {models.check_name(args.name)}: remove their line from authorized_keys too.")
        return 0
    if args.install and not args.key:
        raise models.BackroomError("--install needs --key: the line it installs is for that key")
    line = None

    def install(row) -> None:
        nonlocal line
        if row.ssh_key:
            command = [*backroom_executable(), "--db", url, "--admin", row.name]
            line = models.authorized_keys_line(command, row.ssh_key, row.name)
            if args.install:
                models.install_authorized_key(args.install, line, row.ssh_key)

    row = models.add_admin(args.name, args.role, ssh_key=args.key, before_commit=install)
    print(f"Added {row.name}, {row.role}.", file=sys.stderr if line and not args.install else sys.stdout)
    if line and args.install:
        print(f"Their key runs Backroom as {row.name}: a line was added to {models.clean_line(args.install)}.")
    elif line:
        print(line)
    return 0


def cmd_init(args: argparse.Namespace, url: str, existed: bool) -> int:
    """Create (or upgrade) the database; with --shared GROUP, make it and its folder the group's."""
    if args.shared is None:
        state = "is ready" if existed else "was created"
        print(f"The database {models.inert_line(models.redact_url(url))} {state} "
              f"(schema version {models.schema_version()}).")
        return 0
    import grp

    try:
        gid = grp.getgrnam(args.shared).gr_gid
    except KeyError:
        raise models.BackroomError(f"There is no OS group named {models.clean_line(args.shared)!r}") from None
    path = models.share_with_group(url, gid)
    print(f"{models.clean_line(path)} is ready for the group {models.clean_line(args.shared)}: its members "
          "can run Backroom on it (each as the admin of their login name, once there are admins).")
    return 0


def _say(message: str) -> None:
    """One line on standard error, whatever the message quotes (a group's
    name, a stored value, the driver's words) made inert."""
    print(f"backroom: {models.inert_line(message)}", file=sys.stderr)


def _where(exc: BaseException) -> str:
    """Where an unexpected error was raised: file and line, nothing more."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(argv)
    except models.BackroomError as exc:
        _say(f"error: {exc}")
    except models.DATABASE_ERRORS as exc:
        _say(f"database error: {models.describe_database_error(exc)}")
    except BrokenPipeError:  # the reader went away (… | head)
        sys.stderr.close()
    except OSError as exc:  # a file the admin named cannot be written
        _say(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        _say("interrupted; nothing half-written was kept")
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, without its values
        # No message and no traceback: either may hold customer data.
        _say(f"unexpected error {type(exc).__name__} at {_where(exc)}: this is a bug in Backroom, "
             "please report it; nothing more is shown, as it could hold customer data")
    finally:
        collector.resume(freeze=False)  # (a TUI that stopped before its first screen, or never started)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
