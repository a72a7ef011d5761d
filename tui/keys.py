"""Keys handled one at a time, in the order they were typed.

Textual hands a key to the widget that has focus at once and looks at the
bindings only when the key has bubbled back up to the app.  So in a burst
of keys (type-ahead over a slow SSH link, a paste into the terminal) the
later ones go to whatever had focus *before* the earlier ones were acted
on: after ``a`` opens the Add form, the code typed next lands in the list
behind it and is lost.  :class:`KeyQueue` sends keys on one at a time: the
next only once the last has been handled, which it knows when the
:class:`KeyHandled` message sent right behind the key reaches the app.

The next key also waits (briefly) until the messages the last one set off
are handled: Enter in a filter box moves focus to the list through a few of
them, and the key after Enter is for the list.

A screen that is not ready for keys yet (its data is still being read) is a
:class:`HoldsKeys`: the keys meant for it wait until it is, then go on in
order as if typed then.  A screen with lists read in workers is a
:class:`WaitsForLists`: keys for a list wait while its filter applies or its
rows are read, so they act on the rows the admin was waiting for.

A key that brings another screen to the front (a form, a dialog, another
area) is followed by a :class:`ScreenSettled` sent to that screen: it comes
back once the screen is mounted and has given a widget focus, and only then
does the next key go on, to that widget.  An action that opens a screen only
once a worker has answered (a picker, a question with counts in it) holds
the whole queue meanwhile (:meth:`KeyQueue.hold`, or
``run_job(..., hold_keys=True)``).

A terminal sends Alt+key as Esc, key, which is also what Esc then a key
typed fast looks like: Backroom binds no Alt key, so it is read as Esc, then
the key.

Every key keeps the time it arrived (the event's time, set when the driver
read it).  A screen that must not act on keys
typed before it was drawn (a dialog confirming something that cannot be
undone: the keys were meant for the screen behind it) is a
:class:`DropsEarlyKeys`: those keys are dropped.  All but one kind: a
dialog that opens on a box to write in (a reply, a name) takes the text
typed ahead of it, ``w`` then the reply's words in one burst.  Those keys
wait in the queue like any other until the dialog has settled (the same
wait as above: no second hold), then go to its box as if typed there, so
they pass through what the box does to every typed text (SafeInput,
SafeTextArea: inert).  Only keys that can do nothing but edit the text go:
printable characters, Backspace, and Enter in a box of several lines (a
new line there; in a one-line box it would submit).  Enter in a one-line
box, Tab, Esc, Ctrl+S, every other key and everything after the first key
dropped are dropped (what followed an action was typed for what it would
have done).

A paste (the terminal's bracketed paste) is one event, not keys, and
Textual hands it to whatever has focus when it arrives: pasted right behind
``w`` it went to the queue behind the reply dialog.  It waits in the same
line as the keys instead, and goes on in its turn to what has focus then.
Typed ahead of a dialog it is one more edit of the text: it goes to a box
that takes text typed ahead and is dropped by any other dialog.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Awaitable, Callable, NamedTuple

from textual import _time, events  # _time: the clock of events' time stamps
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import WorkerState

from backroom.tui.safetext import SafeInput


class TypedKey(NamedTuple):
    """A key as the queue keeps it: what it is and when it arrived.  A
    paste (the terminal's bracketed paste) is kept in the same line, as the
    key ``"paste"`` with its :attr:`text`."""

    key: str
    character: str | None
    arrived: float
    text: str | None = None

    @property
    def is_paste(self) -> bool:
        return self.key == PASTE


PASTE = "paste"  # the queue's name for a paste: no key Textual sends is named so


class KeyHandled(Message):
    """Sent to the widget a key went to, right behind the key: it reaches
    the app once the key has been handled all the way up."""

    def __init__(self, key: events.Key | events.Paste, target: Any) -> None:
        super().__init__()
        self.key = key
        self.target = target

    @property
    def control(self) -> Any:
        return self.target


class ScreenSettled(Message):
    """Sent to the screen that came to the front: it reaches the app once
    the screen is mounted and has handled what it was sent before (its
    focus is given), so the next key can go to it."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.screen = screen


class DropsEarlyKeys:
    """Mixin for a screen (a dialog) that ignores the keys that arrived
    before it was mounted: they were typed for the screen behind it, e.g. the
    ``y`` of ``/dyson`` must not confirm a delete that ``d`` asked for.
    Keys the app binds with priority (F2-F4, Ctrl+Q) still go through.

    Not "before it was drawn": the frame reaches the terminal from the
    driver's thread before the event loop gets round to noting that it was
    drawn, and on a busy machine the Esc the admin typed on seeing the dialog
    arrived in between and was dropped.  A dialog's yes still waits until it
    has been on screen a moment (:attr:`drawn_at`, see ConfirmModal.armed).

    A dialog whose first focus is a box to write in sets
    :attr:`TAKES_TEXT_TYPED_AHEAD`: of the keys typed before it was mounted,
    the ones that only edit text go to that box (see the module's doc).  A
    confirmation that asks for something to be typed (a code, a count, an
    email) does not: what it asks for is typed once it has been read."""

    TAKES_TEXT_TYPED_AHEAD = False
    mounted_at: float | None = None
    drawn_at: float | None = None
    _typed_ahead_cut = False  # a key typed ahead was dropped: so is every one after it

    def _on_mount(self, event: events.Mount) -> None:
        if self.mounted_at is None:
            self.mounted_at = _time.get_time()

    def note_drawn(self) -> None:
        """Called once the screen has been drawn (after its first refresh)."""
        if self.drawn_at is None:
            self.drawn_at = _time.get_time()

    def drops_key(self, key: TypedKey) -> bool:
        """Whether the queue drops ``key`` rather than send it on.  The queue
        asks once the dialog has settled (its first focus is given), once a
        key, in order: after one typed ahead is dropped, so are the rest."""
        if self.mounted_at is not None and key.arrived >= self.mounted_at:
            return False
        if self.mounted_at is not None and not self._typed_ahead_cut and self._only_edits_text(key):
            return False
        self._typed_ahead_cut = True
        return True

    def _only_edits_text(self, key: TypedKey) -> bool:
        """``key`` can do nothing but edit the text of the box with focus, a
        box of this dialog's that takes text typed ahead."""
        if not self.TAKES_TEXT_TYPED_AHEAD:
            return False
        # (Imported here: Textual's TextArea is not needed before a dialog
        # with one is up, and was a twentieth of the imports at start.)
        from backroom.tui.safetextarea import SafeTextArea

        box = getattr(self, "focused", None)
        if isinstance(box, SafeTextArea):
            if box.read_only:
                return False
            if key.key == "enter":
                return True  # a new line, as in the box once it is up
        elif not isinstance(box, SafeInput) or box.disabled:
            return False
        if key.is_paste:
            return True  # the box takes it as pasted there: a one-line box keeps the first line
        if key.key == "backspace":
            return True
        return key.character is not None and len(key.character) == 1 and key.character.isprintable()


class HoldsKeys:
    """Mixin for a screen that is not ready for keys yet.  While
    :meth:`holds_key` says so, the app's :class:`KeyQueue` hands the keys to
    :meth:`hold_key`; :meth:`release_keys` sends them on, in order, once the
    screen is ready and in front.  Escape is held only behind other keys
    (a screen that is still loading closes on it, or on a second one), and
    keys the app binds with priority (F2-F4, Ctrl+P, Ctrl+Q) never are."""

    keys_ready = False

    def _held(self) -> collections.deque[TypedKey]:
        return self.__dict__.setdefault("_held_keys", collections.deque())

    def ready_for_keys(self) -> bool:
        """Whether keys may go to the screen now (a subclass may add conditions)."""
        return self.keys_ready

    def holds_key(self, key: str) -> bool:
        held = self._held()
        if not held and self.ready_for_keys():
            return False
        if key != "escape":
            return True  # not ready, or keys wait already: this one waits behind them
        # Esc waits behind the keys typed before it (it may be the Esc that
        # asks to discard what they typed); with nothing waiting, or a second
        # time, it goes at once: the way out of a screen that is slow to load.
        return bool(held) and all(k.key != "escape" for k in held)

    def hold_key(self, key: TypedKey) -> None:
        self._held().append(key)

    def release_keys(self) -> None:
        """Send the held keys on, if the screen is ready and in front."""
        screen: Any = self
        held = self._held()
        if not (held and self.ready_for_keys() and screen.is_attached and screen.app.screen is screen):
            return
        keys = list(held)
        held.clear()  # first: what is replayed must not be held again
        queue = getattr(screen.app, "key_queue", None)
        if queue is not None:
            queue.replay(keys)

    def has_held_keys(self) -> bool:
        """Keys were typed for this screen that it has not had yet."""
        return bool(self._held())

    def drop_held_keys(self) -> None:
        self._held().clear()

    def _on_screen_resume(self) -> None:
        self.release_keys()  # ready while another screen was in front


class WaitsForLists(HoldsKeys):
    """Mixin for a screen with lists read in workers (the customers window,
    the groups list): the keys typed for a list wait while a filter is being
    applied or rows are being read, so Enter, ``e`` or ``d`` typed after a
    filter act on the rows it finds, not on the rows shown before.  Keys
    typed in a text box never wait.  Once the screen is quiet (no job of
    :attr:`LIST_JOBS` running for it, no filter waiting to apply, no message
    on its way), the keys go on.  A subclass sets ``keys_ready = True``
    unless something else (LoadsInBackground) does."""

    LIST_JOBS = frozenset({"filter", "rows", "groups", "show-review"})
    POLL = 0.02

    def ready_for_keys(self) -> bool:
        return super().ready_for_keys() and not self.list_settling()

    def list_settling(self) -> bool:
        screen: Any = self
        if not screen.is_attached:
            return False
        if isinstance(screen.focused, Input):
            return False  # typing in a text box: nothing to wait for
        for worker in screen.app.workers:
            if worker.group in self.LIST_JOBS and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
                node = worker.node
                if node is screen or getattr(node, "screen", None) is screen:
                    return True
        for node in (screen, *screen.walk_children()):
            queue = node.__dict__.get("_message_queue")
            if queue is not None and queue.qsize():
                return True
            if getattr(node, "applying_soon", False):
                return True  # a filter waits to apply what was typed
        return False

    def hold_key(self, key: TypedKey) -> None:
        super().hold_key(key)
        if super().ready_for_keys():  # held for a list: look again in a moment
            self._watch_lists()

    def release_keys(self) -> None:
        if self._held() and super().ready_for_keys() and self.list_settling():
            self._watch_lists()  # ready but for the lists: once they are
            return
        super().release_keys()

    def _watch_lists(self) -> None:
        screen: Any = self
        if screen.__dict__.get("_list_watch") is None:
            screen.__dict__["_list_watch"] = screen.set_timer(self.POLL, self._lists_watched, name="lists settling")

    def _on_screen_resume(self) -> None:  # (HoldsKeys' runs too: it releases what it can)
        if self._held():
            self._watch_lists()

    def _lists_watched(self) -> None:
        screen: Any = self
        screen.__dict__["_list_watch"] = None
        if not self._held():
            return
        if self.ready_for_keys():
            self.release_keys()
        if self._held() and screen.is_attached and screen.app.screen is screen:
            self._watch_lists()  # (not in front: looked at again when it is)


class KeyQueue:
    """The app's keys, sent on one at a time (see the module's doc).  The
    app passes every key that is not yet forwarded to :meth:`route`, every
    :class:`KeyHandled` to :meth:`handled` and every :class:`ScreenSettled`
    to :meth:`settled`."""

    # A KeyHandled or ScreenSettled lost on the way (its widget or screen was
    # removed) holds the queue up for this long at most.  Not shorter: a
    # heavy form takes over half a second to come up on a busy machine, and
    # a key let go early goes to the screen behind it.
    TIMEOUT = 2.0
    # What a key set off is waited for this long at most before the next key.
    QUIET_WAIT = 0.2
    # ...counting at most this much for one turn of the loop (see _after_quiet).
    QUIET_STEP = 0.01
    # A hold not released (a worker that never answers) ends after this long.
    HOLD_TIMEOUT = 5.0

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pending: collections.deque[TypedKey] = collections.deque()
        self.in_flight: events.Key | events.Paste | None = None
        self._timer: Timer | None = None
        self._ready_screen: Any = None  # the screen in front that has settled
        self._probe: ScreenSettled | None = None
        self._holds: dict[int, Timer] = {}
        self._quieting: asyncio.Future[None] | None = None
        self._last_key = float("-inf")  # when the last key arrived (the events' clock)

    @property
    def busy(self) -> bool:
        """A key is being handled, or keys wait (for a screen or a hold)."""
        return self.in_flight is not None or self._probe is not None or bool(self.pending)

    def recently_busy(self, seconds: float) -> bool:
        """:attr:`busy`, or the last key came less than ``seconds`` ago
        (what it set off may still be under way: rows read, a screen built)."""
        return self.busy or _time.get_time() - self._last_key < seconds

    async def route(self, event: events.Key | events.Paste,
                    dispatch: Callable[[events.Event], Awaitable[Any]]) -> None:
        """A key (or a paste) the driver sent is queued; the one this queue
        sent is dispatched (by Textual, ``dispatch``) and followed by a
        KeyHandled.  A paste goes in the same line as the keys: pasted right
        behind ``w``, it goes to the reply box, not to the queue behind it."""
        self._last_key = _time.get_time()
        if event is self.in_flight:
            target = self.app.focused or self.app.screen
            await dispatch(event)
            target.post_message(KeyHandled(event, target))
            return
        if isinstance(event, events.Paste):
            self.pending.append(TypedKey(PASTE, None, event.time, event.text))
        elif event.key.startswith("alt+"):
            # A terminal sends Alt+S as Esc, S: so is Esc then S typed fast
            # or delivered in one packet.  Backroom binds no Alt key: it is
            # the Esc the admin typed (leave the box), then the key.
            self.pending.append(TypedKey("escape", None, event.time))
            key = event.key.removeprefix("alt+")
            self.pending.append(TypedKey(key, event.character if len(key) == 1 else None, event.time))
        else:
            self.pending.append(TypedKey(event.key, event.character, event.time))
        self._pump()

    def handled(self, event: events.Key | events.Paste) -> None:
        """``event`` has been handled: on to the next key once what it set
        off has been (see :meth:`_after_quiet`)."""
        if event is not self.in_flight or self._quieting is not None:
            return
        self._stop_timer()
        # Mostly there is nothing to wait for; and when the key brought
        # another screen to the front, the next key waits for that screen
        # to settle instead (see _pump).
        if self.app.screen is not self._ready_screen or self._quiet():
            self.in_flight = None
            self._pump()
            return
        self._quieting = asyncio.ensure_future(self._after_quiet(event))

    async def _after_quiet(self, event: events.Key | events.Paste) -> None:
        """The messages a key set off travel on after the key itself: Enter
        in a filter box is an Input.Submitted that the screen turns into a
        focus change on its list a few widgets later.  The next key waits
        until every widget's messages are handled (at most :attr:`QUIET_WAIT`
        seconds), so it goes where that focus change put it.

        Only the time the loop was free to handle them counts: a turn that
        something held up (a garbage collection, a heavy frame on a busy
        machine) counts as :attr:`QUIET_STEP` at most.  Counted on the
        clock, one stall of 0.2 s let the key after Enter go before the
        focus move it was typed for, into the box."""
        try:
            waited = 0.0
            turns = 0
            last = _time.get_time()
            while not self._quiet() and waited < self.QUIET_WAIT:
                turns += 1
                await asyncio.sleep(0 if turns < 20 else 0.002)
                now = _time.get_time()
                waited += min(now - last, self.QUIET_STEP)
                last = now
        finally:
            self._quieting = None
            if self.in_flight is event:
                self.in_flight = None
                self._pump()

    def _quiet(self) -> bool:
        for node in list(self.app._registry):
            queue = node.__dict__.get("_message_queue")
            if queue is not None and queue.qsize():
                return False
        return True

    def settled(self, message: ScreenSettled) -> None:
        """The screen that came to the front is ready for keys."""
        if message is not self._probe:
            return
        self._probe = None
        self._stop_timer()
        self._ready_screen = message.screen
        self._pump()

    def replay(self, keys: list[TypedKey]) -> None:
        """Keys a screen held: they were typed before any still pending."""
        self.pending.extendleft(reversed(keys))
        self._pump()

    def hold(self, owner: object) -> None:
        """Send no key on until :meth:`release` (``owner`` is anything that
        identifies the hold): an action is setting up what the next keys are
        for.  Ends by itself after :attr:`HOLD_TIMEOUT` seconds."""
        self.release(owner, pump=False)
        self._holds[id(owner)] = self.app.set_timer(self.HOLD_TIMEOUT, lambda: self.release(owner),
                                                    name="key hold")

    def release(self, owner: object, *, pump: bool = True) -> None:
        timer = self._holds.pop(id(owner), None)
        if timer is not None:
            timer.stop()
        if pump:
            self._pump()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _wait_for(self, what: Callable[[], None]) -> None:
        self._timer = self.app.set_timer(self.TIMEOUT, what, name="key queue")

    def _pump(self) -> None:
        while self.in_flight is None and self._probe is None and not self._holds and self.pending:
            screen = self.app.screen
            if screen is not self._ready_screen:
                # Another screen came to the front: the next key waits until
                # it is mounted and has given focus.
                probe = self._probe = ScreenSettled(screen)
                screen.post_message(probe)
                self._wait_for(lambda: self.settled(probe))
                return
            typed = self.pending.popleft()
            key = typed.key
            if not self._priority(screen, key):
                if isinstance(screen, DropsEarlyKeys) and screen.drops_key(typed):
                    continue
                if isinstance(screen, HoldsKeys) and screen.holds_key(key):
                    screen.hold_key(typed)
                    continue
            event: events.Key | events.Paste = (events.Paste(typed.text or "") if typed.is_paste
                                                else events.Key(key, typed.character))
            event.time = typed.arrived
            event.set_sender(self.app)
            self.in_flight = event
            self.app.post_message(event)
            self._wait_for(lambda: self.handled(event))

    @staticmethod
    def _priority(screen: Any, key: str) -> bool:
        active = screen.active_bindings.get(key)
        return bool(active and active.binding.priority)
