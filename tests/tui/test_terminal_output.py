"""What really reaches the terminal, byte for byte.

The real ``backroom`` command runs in a pseudo-terminal (120x40,
TERM=xterm-256color) on a database where a storefront, bypassing every
check, stored names, emails, a group, a category, a product, an order,
reward points and a review full of terminal control sequences.  Keys typed
into the terminal walk through every screen that shows them; everything
the process writes is recorded and read back as a terminal would:

- every escape sequence in the output is one Textual itself writes (SGR,
  cursor moves, modes, its pointer-shape OSC 22): no OSC 0/1/2 title
  change, no OSC 8 link, no screen clear, nothing else;
- outside those sequences there is no control character at all (C0, DEL,
  C1, NUL), nor a bidi override or isolate;
- the payloads are there, shown escaped (so the screens did show the data),
  and emoji joined by a zero-width joiner come through whole.

An injected failure shows the other side: the process exits non-zero with
the terminal restored, and writes a report without the customer's data.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
import sys
import termios
from decimal import Decimal
from pathlib import Path

from backroom import models
from backroom.tui.safetext import safe_line
from real_terminal import (BACKROOM, CTRL_N, CTRL_P, CTRL_Q, DOWN, ENTER, ESCAPE, F2, F4, F7, F8, Terminal,
                           terminal_env)
from tui_helpers import make_db

TITLE = "\x1b]0;PWNED\x07"  # OSC 0: set the window title
TITLE2 = "\x1b]2;PWNED2\x1b\\"  # OSC 2, ended by ST
CLEAR = "\x1b[2J"  # erase the screen
LINK = "\x1b]8;;http://evil.example/\x07"  # OSC 8: a hyperlink
LINK_END = "\x1b]8;;\x07"
C1 = "\x9b31m"  # C1 CSI: a colour on terminals that take 8-bit controls
BIDI = "\u202eevil\u202c \u2066iso\u2069"  # right-to-left override, isolate
FAMILY = "👨\u200d👩\u200d👧"  # three emoji joined into one by ZWJ: shown as text

FIRST = f"Eve{TITLE}{CLEAR}"
LAST = f"Zed{LINK}link{LINK_END}\x00{C1}{BIDI} {FAMILY}"
EMAIL = f"eve{CLEAR}{TITLE2}@example.com"
GROUP = f"Grp{TITLE}{CLEAR}{BIDI}"
PRODUCT = f"Tea{CLEAR}{C1} {FAMILY}"
# The shop's reply, as another program stored it: lines, and what would split
# them (vertical tab, NEL, the line separator) or drive the terminal.
REPLY = f"Thanks{TITLE}\n\n{CLEAR}again\x0bvt{C1}\x85nel\u2028sep {BIDI}\r\n{FAMILY} bye"

# Every sequence Textual writes, as terminals parse them: CSI (ESC [ or the
# 8-bit CSI), OSC (ESC ] or 8-bit, to BEL or ST), and two-byte ESC sequences.
SEQUENCE_RE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
                         r"|\x1b[ -~]")
# What Textual writes: colours and styles, cursor moves, private modes (the
# alternate screen, mouse, paste, focus, line wrap), the kitty keyboard
# protocol and mode queries; and OSC 22 (the pointer's shape).
TEXTUAL_CSI_RE = re.compile(r"\x1b\[(?:[0-9;:]*[mHABCDG]|\?[0-9;]*[hl]|\?[0-9]+\$p|[<>=][0-9;]*u)$")
TEXTUAL_OSC_RE = re.compile(r"\x1b\]22;[a-z-]*\x07$")
# Between them Textual writes only text and "\r\n"; anything else moves the
# cursor, rings, or reorders what is shown.
UNSAFE_TEXT_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def store(model, row_id, **fields) -> None:
    """Write as a storefront might, past every check of Backroom's."""
    model.update(**fields).where(model._meta.primary_key == row_id).execute()


def hostile_database(tmp_path: Path) -> str:
    make_db(tmp_path, 0)
    ada = models.create_customer({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    eve = models.create_customer({"first_name": "Eve", "last_name": "Zed", "email": "eve@example.com"},
                                 billing={"name": "Eve", "line1": "1 Road", "city": "Town", "country": "GB"})
    group, _ = models.create_group({"code": "hostile", "name": "Grp", "description": "Desc"})
    models.join_group(eve.id, group.id)
    models.join_group(ada.id, group.id)
    category = models.Category.create(name=f"Cat{TITLE}", slug="cat")
    product = models.Product.create(sku="T1", name=PRODUCT, category=category, price=Decimal("3"))
    models.Order.create(customer=eve.id, number=f"N{TITLE}", status=f"done{CLEAR}", total=Decimal("9"))
    models.RewardPointEntry.create(customer=eve.id, delta=5, reason=f"Gift{TITLE}{LINK}",
                                   created_by=f"shop{CLEAR}")
    review = models.Review.create(product=product, customer=eve.id, rating=1, title=f"Bad{TITLE}{LINK}",
                                  body=f"Body{CLEAR}\nline \x00{C1}{BIDI}\n{FAMILY}",
                                  created_at=dt.datetime(2024, 1, 1))

    store(models.Customer, eve.id, first_name=FIRST, last_name=LAST, email=EMAIL, email_key=EMAIL.lower(),
          name_key=f"{FIRST} {LAST}".lower(), last_key=LAST.lower(), phone=f"555{TITLE}",
          account_type=f"b2b{TITLE}")
    address = models.Address.get((models.Address.customer == eve.id) & (models.Address.kind == "billing"))
    store(models.Address, address.id, name=f"Eve{TITLE}", line1=f"1 {LINK}Road{LINK_END}", city=f"Town{C1}")
    store(models.CustomerGroup, group.id, name=GROUP, description=f"Desc{LINK}x{LINK_END}\x00")
    store(models.Review, review.id, reply=REPLY, reply_by=f"api{TITLE}", reply_at=dt.datetime(2024, 1, 2))
    models.Notification.update(group_name=GROUP).execute()
    models.db.close()
    return f"sqlite:///{tmp_path / 'tui.db'}"


def shown(text: str) -> str:
    """How the screens show ``text``: its control characters escaped."""
    return safe_line(text)


def sequences_and_text(output: bytes, *, strict: bool = True) -> tuple[list[str], str]:
    """The output as a terminal reads it: its escape sequences, and the text
    between them."""
    # Strictly: a stray byte would be a finding too (not so for output cut short).
    decoded = output.decode("utf-8", "strict" if strict else "replace")
    return SEQUENCE_RE.findall(decoded), SEQUENCE_RE.sub("", decoded)


def foreign_sequences(output: bytes, *, strict: bool = True) -> list[str]:
    """Escape sequences Textual does not write, and stray control characters."""
    found, text = sequences_and_text(output, strict=strict)
    bad = [s for s in found if not (TEXTUAL_CSI_RE.match(s) or TEXTUAL_OSC_RE.match(s))]
    return bad + UNSAFE_TEXT_RE.findall(text.replace("\r\n", ""))


def test_the_checks_see_what_the_data_would_do():
    """The checks below catch every payload written raw (so their passing
    means something).  A sequence of a kind Textual writes too (a cursor
    move) is not told apart by its shape: the payloads' own bytes are
    looked for as well."""
    for payload in (TITLE, TITLE2, CLEAR, LINK, C1, "\x00", BIDI, "\x07", "\n", "\r"):
        assert foreign_sequences(f"\x1b[1;1Hname {payload} more\x1b[0m".encode()), repr(payload)
    assert not foreign_sequences("\x1b[1;2H\x1b[38;5;253;48;5;17mok\x1b[0m\x1b]22;default\x07\r\n"
                                 "\x1b[?1049l\x1b[<u\x1b[?2026$p".encode() + shown(FIRST + LAST).encode())
    assert not foreign_sequences(FAMILY.encode())


def walk_every_screen(term: Terminal) -> None:
    """Keys through every screen that shows the stored data, waiting each time
    for the data to be shown (escaped)."""
    wait = term.wait_for
    # Customer groups: the list, the View screen, the Edit form's inputs,
    # the delete confirmation, Access, Rules.
    wait("Backroom · Customer groups")
    wait(shown(GROUP)[:20])
    term.send("/", "hostile", ENTER)
    wait("1 group")
    term.settle()
    term.send("v")
    wait(f"Group: {shown(GROUP)}")
    wait(shown(f"Desc{LINK}x")[:20])
    wait(shown(FIRST)[:12])  # a member
    term.send("e")
    wait(f"Edit group: {shown(GROUP)}")
    wait(shown(GROUP)[:20])  # in the Name input
    term.send(ESCAPE)
    wait("Backroom · Group:")
    term.send(ESCAPE)
    wait("Backroom · Customer groups")
    term.send("d")
    wait("Delete the group")
    wait(shown(GROUP)[:20])
    term.send(ESCAPE)  # no: the delete question is answered by typing the code
    term.send("c")
    wait(shown(f"Cat{TITLE}"))  # the Access tab's categories
    term.send(ESCAPE)
    wait("Backroom · Customer groups")
    term.send("u")
    wait(f"Rules: {shown(GROUP)}")
    term.send(ESCAPE)
    wait("Backroom · Customer groups")

    # Explain: the customer found by name, a product chosen.
    term.send("x")
    wait("Explain")
    term.send("Eve")
    wait(shown(FIRST)[:12])
    term.send(ENTER)
    wait("Explaining for")
    term.send(ENTER)  # open the product list
    wait(shown(PRODUCT)[:12])
    term.send(DOWN, ENTER)  # past the blank choice
    wait("Price")
    term.send(ESCAPE)
    wait("Backroom · Customer groups")

    # The outbox: names, emails and groups of the notifications.
    term.send("o")
    wait("pending")
    wait(shown(EMAIL)[:12])
    term.send(ESCAPE)
    wait("Backroom · Customer groups")

    # Reviews: the queue, the review, the reject dialog, the reply's box.
    term.send(F4)
    wait(shown(f"Bad{TITLE}")[:12])
    wait(shown(PRODUCT)[:12])
    term.send("r")
    wait("Reject review")
    term.send(ESCAPE)
    wait("Backroom · Reviews")
    # The reply's box (a text area): the stored reply in it, escaped.
    term.send("w")
    wait("Public reply to review")
    wait(shown(f"Thanks{TITLE}"))
    wait(shown(f"{CLEAR}again\x0bvt{C1}\x85nel\u2028sep")[:30])
    term.send(ESCAPE)
    wait("Backroom · Reviews")

    # Customers: the list, then the customer: header, summary and each tab.
    term.send(F2)
    wait("matching")
    term.send("/", "Eve", ENTER)
    wait("1 matching")
    term.settle()
    term.send(ENTER)
    wait(f"Customer: {shown(FIRST)}")
    wait(shown(f"555{TITLE}"))  # the Account tab's Phone input
    wait(shown(f"b2b{TITLE}"))  # an account type no choice has: offered as stored
    term.send(CTRL_N)
    wait(shown(f"1 {LINK}Road")[:16])  # Addresses
    term.send(CTRL_N)
    wait("2 groups · default")  # Groups: General and the hostile one
    wait(shown(GROUP)[:20])
    term.send(CTRL_N)
    wait(shown(f"N{TITLE}"))  # Orders
    term.send(CTRL_N)
    wait(shown(f"Gift{TITLE}")[:12])  # Reward points
    term.send(CTRL_N)
    wait(shown(f"Bad{TITLE}")[:12])  # Reviews
    term.send(CTRL_P)
    wait("Search for commands")
    term.send(ESCAPE)
    term.send(F7)
    wait("Disable the account of")
    term.send(ESCAPE)  # no
    term.send(F8)
    wait("Erase the name")
    wait(shown(EMAIL)[:12])
    term.send(ESCAPE)
    term.settle()
    term.send(CTRL_Q)


def test_hostile_data_never_reaches_the_terminal(tmp_path):
    url = hostile_database(tmp_path)
    term = Terminal([str(BACKROOM), "--db", url], terminal_env(tmp_path / "home"))
    try:
        try:
            walk_every_screen(term)
        except AssertionError as exc:  # say first what reached the terminal raw, if anything did
            found = foreign_sequences(term.snapshot(), strict=False)
            raise AssertionError(f"sequences that are not Textual's: {found[:10]}\n{exc}") from None
        status = term.finish()
        modes = term.modes()
    finally:
        term.close()
    output = term.snapshot()

    assert status == 0 and modes == term.initial_modes
    assert foreign_sequences(output) == []
    for raw in (TITLE, TITLE2, CLEAR, LINK, C1, "\x00", "\u202e", "\u2066"):
        assert raw.encode() not in output
    assert not re.search(rb"(\x1b\]|\xc2\x9d)[012];", output)  # the title never changes
    # Each "]0;PWNED" there is follows the text "\x1b", never the ESC byte.
    starts = [m.start() for m in re.finditer(rb"\]0;PWNED", output)]
    assert starts and all(output[i - 4:i] == b"\\x1b" for i in starts)
    for payload in (TITLE, TITLE2, CLEAR, LINK, C1, "\x00", "\u202e"):
        assert shown(payload).encode() in output  # shown, escaped
    assert FAMILY.encode() in output  # ZWJ emoji whole, not "\u200d"


CRASHING = """
import sys
from backroom.screens.customer import CustomerScreen

def show_customer(self, customer):
    private = f"{customer.first_name} {customer.email}"  # a local holding personal data
    raise RuntimeError(f"cannot show {private}")  # and a message holding it too

CustomerScreen.show_customer = show_customer
from backroom.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_crash_restores_the_terminal_and_leaves_a_report_without_personal_data(tmp_path):
    make_db(tmp_path, 0)
    models.create_customer({"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"})
    models.db.close()
    home = tmp_path / "home"
    term = Terminal([sys.executable, "-c", CRASHING, "--db", f"sqlite:///{tmp_path / 'tui.db'}"],
                    terminal_env(home))
    try:
        term.wait_for("Backroom · Customer groups")
        assert term.modes()[3] & termios.ICANON == 0  # raw while the TUI runs
        term.send(F2)
        term.wait_for("1 matching")
        term.send(ENTER)  # open Grace: the screen fails as it shows her
        status = term.finish()
        modes = term.modes()
    finally:
        term.close()
    output = term.snapshot()

    assert status == 70
    # The terminal is restored: out of the alternate screen, mouse, paste and
    # keyboard modes off, the cursor back, the line discipline as it was.
    last_screen = output.rindex(b"\x1b[?1049h")
    restore = output[output.rindex(b"\x1b[?1049l"):]
    assert output.rindex(b"\x1b[?1049l") > last_screen
    before_restore = output[last_screen:output.rindex(b"\x1b[?1049l")]
    for mode in (b"\x1b[?1000l", b"\x1b[?1003l", b"\x1b[?1006l", b"\x1b[?2004l", b"\x1b[<u"):
        assert mode in before_restore + restore
    assert b"\x1b[?25h" in restore
    assert modes == term.initial_modes

    # After it, one line naming the report: no traceback, no variables, no data.
    after = restore.decode().split("\x1b[?1006l")[-1].strip()
    match = re.fullmatch(r"backroom: the TUI stopped on an unexpected error \(RuntimeError\); "
                         r"a report \(no personal data\) is in (\S+)", after)
    assert match, after
    report = Path(match.group(1))
    assert report.parent == home / "state" / "backroom" / "crashes"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    text = report.read_text()
    assert "Error:    RuntimeError" in text and "in show_customer" in text and "in deliver" in text
    for private in ("Grace", "Hopper", "grace@example.com", "cannot show"):
        assert private not in text
        assert private.encode() not in restore
    assert b"Traceback" not in output and b"private" not in restore
