"""The garbage collector held off while the TUI starts.

Starting Backroom makes a few hundred thousand objects that live as long
as the app (modules, classes, stylesheets, the first screen's widgets), and
almost no garbage: the collector went over them again and again (about 170
collections before the first screen, a full one among them), a tenth of
the time from start to the first screen, for a few hundred objects freed.
``main.py`` pauses it before importing the TUI (:func:`pause`); the app
resumes it once its first screen is drawn with its data, or after a moment
in any case (:func:`resume`).  What was made meanwhile is frozen first, out
of the collector's way for good: resumed without that, its first
collection went over all of it at once.

Imports only :mod:`gc`: it is imported before everything it speeds up.
"""

from __future__ import annotations

import gc

_paused = False  # paused by pause() and not resumed yet


def pause() -> None:
    """Hold the collector off (if it runs) until :func:`resume`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume(*, freeze: bool = True) -> None:
    """Let the collector run again, what was made while paused frozen
    first (``freeze``: the objects of an app that goes on living).
    Nothing if :func:`pause` did not pause it (a test's app, another
    caller's choice), or it was resumed already."""
    global _paused
    if _paused:
        _paused = False
        if freeze:
            gc.freeze()
        gc.enable()


def paused() -> bool:
    return _paused
