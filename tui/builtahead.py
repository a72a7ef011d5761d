"""An area's list screen that can be built ahead (tui/app.py, BUILT_AHEAD):
made behind the screen in front before the admin asks for it, it reads
nothing until it is first shown.  Then it reads what is there at that
moment, and the frames stay on the area left until its rows are in, so
that it arrives in one frame, complete."""

from __future__ import annotations

from typing import Any, Callable


class ReadsWhenShown:
    """Mixin for an area's screen whose ``table`` (a
    :class:`~backroom.tui.window.WindowedTable`) is made with
    ``read_now=not self.built_ahead``.  The screen calls
    :meth:`waits_until_shown` when mounted, :meth:`shown_first` when
    resumed (reading the rest of what it shows when that says so) and
    :meth:`rows_in` when its table tells where its cursor is."""

    # Built behind another screen before the admin asks for it: nothing is
    # read until it is first shown.
    built_ahead = False
    _unread = False  # built ahead and not shown yet
    _release_frames: Callable[[], None] | None = None  # shown first: frames held until the rows are in

    def waits_until_shown(self) -> bool:
        """Built ahead: nothing is read now (True); else read as usual."""
        if self.built_ahead:
            self._unread = True
        return self.built_ahead

    def warm_up(self) -> None:
        """Built ahead and not shown yet: read the first rows once, thrown
        away, so that the read on its key is a warm one (see
        :meth:`WindowedTable.warm_up`)."""
        if self._unread:
            self.table.warm_up()

    def shown_first(self) -> bool:
        """Shown for the first time after being built ahead (True): the
        table starts reading the rows as they are now, and the frames are
        held until they are in (:meth:`rows_in`)."""
        if not self._unread:
            return False
        self._unread = False
        hold = getattr(self.app, "hold_frames", None)  # type: ignore[attr-defined]
        if hold is not None:
            self._release_frames = hold()
        self.table.start_reading()
        return True

    def rows_in(self, current: Any, total: int) -> None:
        """The table tells where its cursor is: with a row under it (or none
        to show), the frames held since :meth:`shown_first` go on."""
        if self._release_frames is not None and (current is not None or total == 0):
            self._release_frames()
            self._release_frames = None

