"""Values as admins read them: database text as plain Rich Text (never
markup), amounts, percentages, dates, yes/no."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rich.text import Text

from backroom import models


def plain(value: Any) -> Text:
    """Database text as a plain, single-line Rich Text: never markup."""
    return Text(models.clean_line("" if value is None else str(value)), no_wrap=True, overflow="ellipsis")


def money(value: Decimal | None) -> str:
    """An amount as the shop writes it (``backroom settings money``):
    ``R$ 2.999,99``, ``2 999,99 €``; ``2,999.99`` by default."""
    return models.format_money(value)


def money_extra_width() -> int:
    """How many cells wider than ``99,999.99`` the shop writes that amount
    (its currency: ``R$ 99.999,99`` is 3 wider): what a money column adds
    to its width, so the default leaves every layout as it was."""
    return max(0, len(models.format_money(Decimal("99999.99"))) - len("99,999.99"))


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def date_text(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # as SQLite returns what it cannot read as a date
        return models.clean_line(value[:10])
    return value.strftime("%Y-%m-%d")


def percent(value: Any) -> str:
    """12.50 -> "12.5%", 10.00 -> "10%"."""
    text = f"{Decimal(value or 0):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
