"""At most N gradings at once on this host, across every worker process.

Grading is the one CPU-heavy step (a sentence-embedding model). Left unbounded, a burst of answers takes every core and
every other request — reading a session, the history — queues behind it. With a gate of (cores - 1) slots, one core
stays free for the rest. The slots are lock files in the user dir, so separate `viva serve` workers share them.

Routes that grade run in threads of their own (`in_grading_threads`): answers waiting for a slot then never take the
threads that every other route runs in.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from viva.bank.schema import Question
from viva.grading.result import Grade
from viva.web.service import Grader

T = TypeVar("T")
GRADING_THREADS = CapacityLimiter(40)  # as many as Starlette's pool for the other routes


def default_slots() -> int:
    configured = os.environ.get("VIVA_GRADING_SLOTS")
    return max(1, int(configured)) if configured else max(1, (os.cpu_count() or 2) - 1)


@dataclass
class GatedGrader:
    inner: Grader
    folder: Path
    slots: int = field(default_factory=default_slots)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def name(self) -> str:
        return self.inner.name

    def grade(self, question: Question, answer: str) -> Grade:
        with self._lock:
            slot, self._next = self._next % self.slots, self._next + 1
        with (self.folder / f"grading-{slot}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
            return self.inner.grade(question, answer)


async def in_grading_threads(work: Callable[[], T]) -> T:
    """Run a request's work that grades (and may wait at the gate) in the grading threads."""
    return await anyio.to_thread.run_sync(work, limiter=GRADING_THREADS)
