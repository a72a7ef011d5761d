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

import asyncio
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from textual.worker import Worker

from backroom import models
from backroom.tui.keys import HoldsKeys
from backroom.tui.safetext import safe_line

T = TypeVar("T")


def error_message(exc: BaseException) -> str:
    """One line for the admin: the operation's own message, or the
    database's; inert, as it may quote what a customer stored."""
    if isinstance(exc, models.BackroomError):
        return safe_line(str(exc))
    if models.is_database_error(exc):
        return safe_line(f"Database error: {models.first_line(exc)}")
    return safe_line(f"Unexpected error: {exc.__class__.__name__}: {exc}")


def _release_connection() -> None:
    """Close this worker thread's connection to the database (the event
    loop's, in the main thread, stays open)."""
    if threading.current_thread() is not threading.main_thread():
        models.release_connection()


_count_lane: ThreadPoolExecutor | None = None


def count_lane() -> ThreadPoolExecutor:
    """The one thread the counts shown beside lists run in (see
    :meth:`Background.run_job`'s ``count``)."""
    global _count_lane
    if _count_lane is None:
        _count_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backroom-count")
    return _count_lane


def still_there(node: Any) -> bool:
    """True while ``node`` is in the app to stay: attached, neither it nor
    a container of it being removed, on a screen that is still in a screen
    stack (a dismissed screen stays attached while it is taken down)."""
    if not node.is_attached:
        return False
    part: Any = node
    while part is not None:
        if part._closing or part._closed or part._pruning:
            return False
        part = part._parent
    app = node.app
    try:
        screen = node.screen
    except Exception:  # noqa: BLE001 - no screen: not on one any more
        return False
    return app.is_screen_installed(screen) or any(screen in stack for stack in app._screen_stacks.values())


class Background:
    """Mixin for widgets and screens: ``run_job`` a data operation in a thread."""

    def run_job(self, job: Callable[[], T], done: Callable[[T], Any], *, name: str,
                failed: Callable[[BaseException], Any] | None = None, hold_keys: bool = False,
                count: bool = False) -> Worker:
        """Run ``job()`` in a thread and call ``done(result)`` (or ``failed(exc)``)
        on the event loop, unless a newer job of the same ``name`` was started.
        Either may be a coroutine function: the worker ends when it has run.
        An error in ``job()`` is the operation's, reported to the admin; one
        in ``done`` or ``failed`` is a bug and stops the app as any
        unexpected error does (see tui/app.py).  ``hold_keys``: the keys
        typed meanwhile wait until the callback has run (it opens what they
        were typed for: a picker, a question).

        ``count``: a count shown beside what a key showed (a list's total, the
        member counts, the review counts), which no key waits for.  Those run
        one at a time, in a thread of their own (:func:`count_lane`), and
        one whose result a newer job of its name has made stale by the time
        its turn comes is not run at all.  At a million customers a count
        takes a second of a server core (PostgreSQL's parallel workers: the
        other core too); run beside each other as areas were switched (the
        member counts on F3, the customers' on F2 back), they took both
        cores from the rows the next key read and from the event loop
        drawing them."""
        node: Any = self
        tokens: dict[str, int] = node.__dict__.setdefault("_job_tokens", {})
        token = tokens[name] = tokens.get(name, 0) + 1
        app = node.app
        on_error = failed or self.job_failed
        queue = getattr(app, "key_queue", None) if hold_keys else None
        hold = object()
        if queue is not None:
            queue.hold(hold)

        async def deliver(callback: Callable[[Any], Any], value: Any) -> None:
            try:
                if tokens.get(name) != token or not still_there(node):
                    return
                try:
                    result = callback(value)
                    if inspect.isawaitable(result):
                        await result
                except Exception as exc:  # noqa: BLE001 - a bug in the screen: stop, loudly and safely
                    if still_there(node):  # else it was closed meanwhile: the result is stale
                        # Raised back into the worker's thread it would only fail
                        # the worker, unseen, and leave the screen half-done.
                        app._handle_exception(exc)
            finally:
                if queue is not None:
                    queue.release(hold)

        def work() -> tuple[Callable[[Any], Any], Any]:
            """The job, in its thread: what to call back with what."""
            if count and tokens.get(name) != token:
                return done, None  # made stale while it waited for its turn: not run (and dropped)
            try:
                result = job()
            except Exception as exc:  # noqa: BLE001 - reported to the admin
                _release_connection()
                return on_error, exc
            _release_connection()
            return done, result

        def run() -> None:
            try:
                app.call_from_thread(deliver, *work())
            except RuntimeError:  # the app has closed meanwhile
                pass

        # Not exclusive: a thread cannot be stopped, so cancelling the older
        # worker would only mark it cancelled while it runs on (its result is
        # dropped by the token above all the same), and make anything waiting
        # for the app's workers (a test settling) fail with WorkerCancelled.
        if count:
            # Handed back by the worker itself, on the event loop: the lane's
            # thread outlives the app, and never waits on it.
            async def in_lane() -> None:
                await deliver(*await asyncio.get_running_loop().run_in_executor(count_lane(), work))

            return node.run_worker(in_lane, group=name, name=name, exit_on_error=False)
        return node.run_worker(run, thread=True, group=name, name=name, exit_on_error=False)

    def drop_job(self, name: str) -> None:
        """A ``name`` job still running is no longer wanted (what it was for
        was replaced): its result is dropped, as a newer job's would drop it."""
        tokens: dict[str, int] = self.__dict__.setdefault("_job_tokens", {})
        tokens[name] = tokens.get(name, 0) + 1

    def job_failed(self, exc: BaseException) -> None:
        """Default error handler: a notification naming what went wrong."""
        node: Any = self
        node.notify(error_message(exc), title="Could not complete", severity="error", markup=False)


class LoadsInBackground(Background, HoldsKeys):
    """Mixin for a screen whose data is read in a worker once it has opened,
    so that opening it never waits on the database.  Until it calls
    :meth:`loaded`, the keys typed are held for it (see :mod:`tui.keys`):
    neither lost nor sent to a half-filled form."""

    @property
    def is_loaded(self) -> bool:
        return self.keys_ready

    def loaded(self) -> None:
        """The screen has its data: the keys held meanwhile go on."""
        self.keys_ready = True
        screen: Any = self
        screen.refresh_bindings()  # actions refused while loading are offered now
        self.release_keys()

    def load_failed(self, exc: BaseException) -> None:
        """The screen's data could not be read: say why and close it (the
        keys held are dropped: what they were typed for is not there)."""
        self.job_failed(exc)
        self.drop_held_keys()
        screen: Any = self
        screen.dismiss(None)
