"""Undo of a list's ticks, a step at a time (ctrl+z on the Customers tab of
the Add/Edit group form).

A list's ticks are a selection (:class:`backroom.tui.window.Ticks`): a
query built by the bulk steps (every customer matching a filter, none, an
inversion) and two small sets of single ticks folded in.  Each step the
admin takes is kept as what it takes to put the ticks back, never as the
customers it covers:

- a bulk step (all matching, none, invert, a draft's ticks) keeps the ticks
  before it whole: the selection it replaced, a small expression tree such
  as "every customer matching F except these", and the two sets of single
  ticks, handed over rather than copied (the step starts new ones);
- a tick or a range keeps, for each row it changed, where the row stood in
  those two sets and whether it showed ticked.

So a step costs as much with a million customers ticked as with one.  The
stack is bounded: past :attr:`TickHistory.LIMIT` steps the oldest go.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Iterator

from backroom import models


@dataclasses.dataclass(frozen=True)
class SingleTick:
    """A row a tick changed, as it stood before."""

    id: int
    added: bool  # among the single ticks added
    removed: bool  # among the single ticks removed
    ticked: bool  # shown ticked


@dataclasses.dataclass(frozen=True)
class TickStep:
    """One step of the admin's, and the ticks before it: ``singles`` for a
    tick or a range, else ``base``, ``added`` and ``removed`` (a bulk step).
    ``selected_count`` (None: it was being counted) and ``changed`` are the
    table's before the step."""

    what: str  # what the step did, for "Undid: …" ("selected all 1,000 matching")
    selected_count: int | None
    changed: bool
    singles: tuple[SingleTick, ...] = ()
    base: models.Selection | None = None
    added: set[int] = dataclasses.field(default_factory=set)
    removed: set[int] = dataclasses.field(default_factory=set)

    @property
    def bulk(self) -> bool:
        return self.base is not None


class TickHistory:
    """The steps that can be undone, newest last, at most :attr:`LIMIT`."""

    LIMIT = 50

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit or self.LIMIT
        self._steps: collections.deque[TickStep] = collections.deque(maxlen=self.limit)
        self.forgotten = 0  # steps dropped off the bottom of the stack

    def push(self, step: TickStep) -> None:
        if len(self._steps) == self.limit:
            self.forgotten += 1
        self._steps.append(step)

    def pop(self) -> TickStep | None:
        return self._steps.pop() if self._steps else None

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[TickStep]:  # oldest first
        return iter(self._steps)
