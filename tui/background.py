"""Running data operations off the event loop.

Counting or saving a million customers takes longer than a frame, so
screens run operations in a thread worker and get the result back on the
event loop.  A newer request for the same job makes older results stale:
they are dropped, so a slow query can never overwrite a fresh one.

A screen that needs data before it can be used (a form to fill in, a list
to pick from) is a :class:`LoadsInBackground`: it opens at once, shows that
it is loading, and holds the keys typed meanwhile until its data is in.
"""

from __future__ import annotations

import collections
import threading
from typing import Any, Callable, TypeVar

from textual import events
from textual.message import Message
from textual.worker import Worker

from backroom import models

T = TypeVar("T")


def error_message(exc: BaseException) -> str:
    """One line for the admin: the operation's own message, or the database's."""
    if isinstance(exc, models.BackroomError):
        return str(exc)
    if models.is_database_error(exc):
        return f"Database error: {models.first_line(exc)}"
    return f"Unexpected error: {exc.__class__.__name__}: {exc}"


def _release_connection() -> None:
    """Close this worker thread's connection to the database (the event
    loop's, in the main thread, stays open)."""
    if threading.current_thread() is not threading.main_thread():
        models.release_connection()


class Background:
    """Mixin for widgets and screens: ``run_job`` a data operation in a thread."""

    def run_job(self, job: Callable[[], T], done: Callable[[T], Any], *, name: str,
                failed: Callable[[BaseException], Any] | None = None) -> Worker:
        """Run ``job()`` in a thread and call ``done(result)`` (or ``failed(exc)``)
        on the event loop, unless a newer job of the same ``name`` was started.
        Either may be a coroutine function: the worker ends when it has run."""
        node: Any = self
        tokens: dict[str, int] = node.__dict__.setdefault("_job_tokens", {})
        token = tokens[name] = tokens.get(name, 0) + 1
        app = node.app
        on_error = failed or self.job_failed

        def deliver(callback: Callable[[Any], Any], value: Any) -> Any:
            if tokens.get(name) == token and node.is_attached:
                return callback(value)  # awaited if it is a coroutine
            return None

        def run() -> None:
            try:
                result = job()
            except Exception as exc:  # noqa: BLE001 - reported to the admin
                _release_connection()
                callback, value = on_error, exc
            else:
                _release_connection()
                callback, value = done, result
            try:
                app.call_from_thread(deliver, callback, value)
            except RuntimeError:  # the app has closed meanwhile
                pass

        return node.run_worker(run, thread=True, exclusive=True, group=name, name=name,
                               exit_on_error=False)

    def job_failed(self, exc: BaseException) -> None:
        """Default error handler: a notification naming what went wrong."""
        node: Any = self
        node.notify(error_message(exc), title="Could not complete", severity="error", markup=False)


class LoadsInBackground(Background):
    """Mixin for a screen whose data is read in a worker once it has opened,
    so that opening it never waits on the database.

    Until the screen calls :meth:`loaded`, the keys typed are held, neither
    lost nor sent to a half-filled form: the app asks :meth:`holds` about
    every key while the screen is in front.  Then they are replayed in
    order, one at a time, to whatever has focus, as if typed then: the next
    one only once the last has been handled (a Tab has moved the focus), which
    the app tells by a :class:`KeyHandled` message sent up behind the key.
    Keys the app binds with priority (F2-F4, Ctrl+P, Ctrl+Q) work meanwhile,
    and Escape is not held: a screen still loading closes on it.
    """

    # If a key's KeyHandled never comes back (its widget was removed on the
    # way), the next key is replayed anyway after this long.
    REPLAY_TIMEOUT = 0.5

    class KeyHandled(Message):
        """Sent to the widget a replayed key went to, right behind the key:
        it reaches the app once the key has been handled on the way up."""

        def __init__(self, screen: "LoadsInBackground", key: events.Key) -> None:
            super().__init__()
            self.screen = screen
            self.key = key

        @property
        def control(self) -> Any:
            return self.screen

    is_loaded = False

    def _held(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_held_keys", {"keys": collections.deque(), "replaying": None})

    def is_replay(self, event: events.Key) -> bool:
        """Whether ``event`` is the held key being replayed now."""
        return event is self._held()["replaying"]

    def holds(self, event: events.Key) -> bool:
        """Whether ``event`` must wait: the screen is loading, or replaying
        the keys held meanwhile."""
        state = self._held()
        if not self.is_loaded:
            return event.key != "escape"
        return bool(state["keys"]) or state["replaying"] is not None

    def hold(self, event: events.Key) -> None:
        self._held()["keys"].append((event.key, event.character))

    def loaded(self) -> None:
        """The screen has its data: replay the keys held meanwhile."""
        self.is_loaded = True
        screen: Any = self
        screen.refresh_bindings()  # actions refused while loading are offered now
        self._replay_next()

    def load_failed(self, exc: BaseException) -> None:
        """The screen's data could not be read: say why and close it (the
        keys held are dropped: what they were typed for is not there)."""
        self.job_failed(exc)
        self._held()["keys"].clear()
        screen: Any = self
        screen.dismiss(None)

    def key_handled(self, event: events.Key) -> None:
        """The replayed key ``event`` has been handled: on to the next."""
        if self.is_replay(event):
            self._replay_next()

    def _replay_next(self) -> None:
        screen: Any = self
        state = self._held()
        state["replaying"] = None
        if not state["keys"] or not screen.is_attached:
            return
        if screen.app.screen is not screen:
            return  # another screen is in front: go on when this one is back
        key, character = state["keys"].popleft()
        event = events.Key(key, character)
        event.set_sender(screen.app)
        state["replaying"] = event
        screen.app.post_message(event)
        screen.set_timer(self.REPLAY_TIMEOUT, lambda: self.key_handled(event))

    def _on_screen_resume(self) -> None:
        if self.is_loaded and self._held()["replaying"] is None:
            self._replay_next()
