"""A status line that changes in the same frame as what it describes.

A list's status ("1,000,000 matching · row 2") is a Label the screen
updates when the list posts its ``Status`` message.  Updated the usual way,
it reaches the terminal a frame (up to 33 ms) after the cursor line it
describes: Textual learns of a widget to repaint through a message of its
own, and the frame with the cursor line is often drawn before that message
is read.  :func:`show_status` puts the label among the screen's widgets to
repaint at once, so both go out in one frame; and, the line's size being
fixed (``.status``: one line, the width of the screen), it skips the
layout a Label update would ask for.

Text is shown as given, never as markup: callers pass computed text, and
the labels are created with ``markup=False``.

:class:`PendingReviews` counts the reviews waiting for moderation, for the
area bar at the top of every screen.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from textual.app import App
from textual.signal import Signal
from textual.widgets import Label

from backroom import models
from backroom.tui.background import count_lane


def show_status(label: Label, text: Any) -> None:
    """Show ``text`` on the one-line ``label``, in the frame being drawn."""
    if label.content == text:
        return
    label.update(text, layout=False)
    try:
        screen = label.screen
    except Exception:  # noqa: BLE001 - not on a screen (yet): the update message will do
        return
    # Textual 8: the widgets the screen's next frame repaints (what its
    # Update message would add, a message later).
    dirty = getattr(screen, "_dirty_widgets", None)
    if dirty is not None and label.is_mounted and screen.is_current:
        dirty.add(label)


# -- the reviews waiting, on every screen ---------------------------------------

PENDING_EVERY = 60.0  # seconds between two counts, besides those asked for


def pending_text(n: int | None) -> str:
    """" · 12 pending" for the Reviews area's key; short for large counts
    (" · 12k pending", " · 1.2M pending"), so the area bar fits 80 columns."""
    if n is None:
        return ""
    if n < 10_000:
        shown = f"{n:,}"
    elif n < 1_000_000:
        shown = f"{n // 1000}k"
    else:
        shown = f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    return f" · {shown} pending"


class PendingReviews:
    """How many reviews wait for moderation, for the area bar at the top of
    every screen (``tui.areas.AreaBar`` subscribes to :attr:`changed`).

    Counted in a thread worker, never on the event loop: an indexed count
    (reviews by status, then date), when Backroom starts, every
    :data:`PENDING_EVERY` seconds for what other admins did, and when
    :meth:`refresh` is called (after a moderation).  One count runs at a
    time; asked for meanwhile, it counts once more after it."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.count: int | None = None  # None: not counted yet (or it could not be)
        self.changed: Signal[int | None] = Signal(app, "pending-reviews")
        self._busy = False
        self._again = False

    def start(self) -> None:
        self.refresh()
        self.app.set_interval(PENDING_EVERY, self.refresh, name="pending-reviews")

    def refresh(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True

        async def in_lane() -> None:  # one count at a time, beside the keys' reads (see tui.background)
            self._counted(await asyncio.get_running_loop().run_in_executor(count_lane(), self._count))

        self.app.run_worker(in_lane, name="pending-reviews", group="pending-reviews", exit_on_error=False)

    def _count(self) -> int | None:
        """The count, in the lane's thread."""
        try:
            return models.count_reviews(models.ReviewFilter(status="pending"))
        except Exception:  # noqa: BLE001 - the database is unreachable: the count is left out, not an error
            return None
        finally:
            if threading.current_thread() is not threading.main_thread():
                models.release_connection()

    def _counted(self, n: int | None) -> None:
        self._busy = False
        if n != self.count:
            self.count = n
            self.changed.publish(n)
        if self._again:
            self._again = False
            self.refresh()


def refresh_pending_reviews(app: App) -> None:
    """Count the reviews waiting again (after a moderation), if the app counts them."""
    counter = getattr(app, "pending_reviews", None)
    if isinstance(counter, PendingReviews):
        counter.refresh()
