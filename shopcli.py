"""Parts of the command line kept out of ``main``: ``backroom settings``
(the shop settings: how amounts are written), the import maps saved by name
(``--save-map``, ``--map-name``, ``import maps``) and ``import addresses``.
Errors are raised as the data layer's and printed in one line by ``main``."""

from __future__ import annotations

import argparse
import dataclasses

from backroom import models


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
