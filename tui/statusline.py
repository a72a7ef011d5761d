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
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Label


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
