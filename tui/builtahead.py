"""An area's list screen that can be built ahead (tui/app.py, BUILT_AHEAD):
made behind the screen in front before the admin asks for it, it reads
nothing until it is first shown.  Then it reads what is there at that
moment, and the frames stay on the area left until its rows are in, so
that it arrives in one frame with them.  What it shows beside the rows
(counts, a chart, a filter's choices) is read once that frame is drawn:
read with the rows, those reads took the machine's two cores from the
rows' read and the event loop's drawing (at a million reviews the chart's
count alone took over ten times the rows' CPU), and what came back before
the frame was drawn into it, laid out again."""

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

    def shown_first(self, then: Callable[[], object] | None = None) -> bool:
        """Shown for the first time after being built ahead (True): the
        table starts reading the rows as they are now, and the frames are
        held until they are in (:meth:`rows_in`); ``then`` (the reads of the
        rest of the screen) is called once the frame they are drawn in is
        drawn (or the frames go on without them, after a moment)."""
        if not self._unread:
            return False
        self._unread = False
        screen: Any = self
        hold = getattr(screen.app, "hold_frames", None)
        after = None if then is None else (lambda: screen.call_after_refresh(then))
        if hold is not None:
            self._release_frames = hold(released=after)
        self.table.start_reading()
        if hold is None and then is not None:
            then()
        return True

    def rows_in(self, current: Any, total: int) -> None:
        """The table tells where its cursor is: with a row under it (or none
        to show), the frames held since :meth:`shown_first` go on."""
        if self._release_frames is not None and (current is not None or total == 0):
            self._release_frames()
            self._release_frames = None

