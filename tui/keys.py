"""Keys handled one at a time, in the order they were typed.

Textual hands a key to the widget that has focus at once and looks at the
bindings only when the key has bubbled back up to the app.  So in a burst
of keys (type-ahead over a slow SSH link, a paste into the terminal) the
later ones go to whatever had focus *before* the earlier ones were acted
on: after ``a`` opens the Add form, the code typed next lands in the list
behind it and is lost.  :class:`KeyQueue` sends keys on one at a time: the
next only once the last has been handled, which it knows when the
:class:`KeyHandled` message sent right behind the key reaches the app.

A screen that is not ready for keys yet (its data is still being read) is a
:class:`HoldsKeys`: the keys meant for it wait until it is, then go on in
order as if typed then.
"""

from __future__ import annotations

import collections
from typing import Any, Awaitable, Callable

from textual import events
from textual.message import Message
from textual.timer import Timer


class KeyHandled(Message):
    """Sent to the widget a key went to, right behind the key: it reaches
    the app once the key has been handled all the way up."""

    def __init__(self, key: events.Key, target: Any) -> None:
        super().__init__()
        self.key = key
        self.target = target

    @property
    def control(self) -> Any:
        return self.target


class HoldsKeys:
    """Mixin for a screen that is not ready for keys yet.  While
    :meth:`holds_key` says so, the app's :class:`KeyQueue` hands the keys to
    :meth:`hold_key`; :meth:`release_keys` sends them on, in order, once the
    screen is ready and in front.  Escape is never held (a screen that is
    still loading closes on it), nor are keys the app binds with priority
    (F2-F4, Ctrl+P, Ctrl+Q)."""

    keys_ready = False

    def _held(self) -> collections.deque[tuple[str, str | None]]:
        return self.__dict__.setdefault("_held_keys", collections.deque())

    def holds_key(self, key: str) -> bool:
        return not self.keys_ready and key != "escape"

    def hold_key(self, key: str, character: str | None) -> None:
        self._held().append((key, character))

    def release_keys(self) -> None:
        """Send the held keys on, if the screen is ready and in front."""
        screen: Any = self
        held = self._held()
        if not (self.keys_ready and held and screen.is_attached and screen.app.screen is screen):
            return
        queue = getattr(screen.app, "key_queue", None)
        if queue is not None:
            queue.replay(list(held))
        held.clear()

    def drop_held_keys(self) -> None:
        self._held().clear()

    def _on_screen_resume(self) -> None:
        self.release_keys()  # ready while another screen was in front


class KeyQueue:
    """The app's keys, sent on one at a time (see the module's doc).  The
    app passes every key that is not yet forwarded to :meth:`route`, and
    every :class:`KeyHandled` to :meth:`handled`."""

    # A KeyHandled lost on the way (its widget was removed) holds the queue
    # up for this long at most.
    TIMEOUT = 0.5

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pending: collections.deque[tuple[str, str | None]] = collections.deque()
        self.in_flight: events.Key | None = None
        self._timer: Timer | None = None

    async def route(self, event: events.Key, dispatch: Callable[[events.Key], Awaitable[Any]]) -> None:
        """A key the driver sent is queued; the one this queue sent is
        dispatched (by Textual, ``dispatch``) and followed by a KeyHandled."""
        if event is self.in_flight:
            target = self.app.focused or self.app.screen
            await dispatch(event)
            target.post_message(KeyHandled(event, target))
            return
        self.pending.append((event.key, event.character))
        self._pump()

    def handled(self, event: events.Key) -> None:
        """``event`` has been handled: on to the next key."""
        if event is not self.in_flight:
            return
        self.in_flight = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._pump()

    def replay(self, keys: list[tuple[str, str | None]]) -> None:
        """Keys a screen held: they were typed before any still pending."""
        self.pending.extendleft(reversed(keys))
        self._pump()

    def _pump(self) -> None:
        while self.in_flight is None and self.pending:
            key, character = self.pending.popleft()
            screen = self.app.screen
            if isinstance(screen, HoldsKeys) and screen.holds_key(key) and not self._priority(screen, key):
                screen.hold_key(key, character)
                continue
            event = events.Key(key, character)
            event.set_sender(self.app)
            self.in_flight = event
            self.app.post_message(event)
            self._timer = self.app.set_timer(self.TIMEOUT, lambda: self.handled(event))

    @staticmethod
    def _priority(screen: Any, key: str) -> bool:
        active = screen.active_bindings.get(key)
        return bool(active and active.binding.priority)
