"""``backroom settings``: the shop settings on the command line (how
amounts are written).  Errors are raised as the data layer's and printed in
one line by ``main``."""

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
