"""Real file work (virtual hard disks, saved states, export) off the caller's thread.

ARCHITECTURE: long file operations run in a small worker pool; the result is applied to
engine state by the engine's own thread on the next ``advance`` (or ``poll``).  The worker
reports progress as a fraction and checks a cancel flag between chunks, so jobs show percent
and Cancel works.  File work takes wall time; its completion is applied at the first
advance after it finishes, or, for a job given a simulated duration (export and import copy
at the host's storage rate), at the first advance after that duration has also passed.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

WORKERS = 2


@dataclass
class FileTask:
    job_id: int
    future: Future[Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0  # 0..1, written by the worker
    #: The submitter's context: its file confinement and grants hold for the work and
    #: for applying the result.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class FileWorker:
    """A lazily started thread pool plus the list of tasks still to be applied."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self.tasks: dict[int, FileTask] = {}

    def submit(self, job_id: int, work: Callable[[Callable[[float], None], Callable[[], bool]],
                                                 Any],
               on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
               ) -> FileTask:
        """Run ``work(progress, cancelled)`` on a worker thread."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hvlab-file")
        holder: dict[str, FileTask] = {}

        def progress(fraction: float) -> None:
            holder["task"].progress = max(0.0, min(1.0, fraction))

        def cancelled() -> bool:
            return holder["task"].cancel.is_set()

        task = FileTask(job_id, Future(), on_done, on_error)
        holder["task"] = task
        task.future = self._pool.submit(task.context.run, work, progress, cancelled)
        self.tasks[job_id] = task
        return task

    def poll(self, ready: Callable[[int], bool] | None = None) -> list[int]:
        """Apply every finished task on this (the engine's) thread; returns their job ids.
        A finished task whose job is not ``ready`` yet (a copy whose simulated time has not
        run out) waits for a later poll, unless it was cancelled."""
        done = [t for t in self.tasks.values() if t.future.done()
                and (ready is None or t.cancel.is_set() or ready(t.job_id))]
        for task in done:
            del self.tasks[task.job_id]
            error = task.future.exception()
            if error is None:
                task.context.run(task.on_done, task.future.result())
            else:
                task.context.run(task.on_error, error)
        return [t.job_id for t in done]

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        """Block until the task's work has finished (not yet applied: call poll)."""
        task = self.tasks.get(job_id)
        if task is not None:
            with contextlib.suppress(TimeoutError):
                task.future.exception(timeout=timeout)

    def cancel(self, job_id: int) -> bool:
        task = self.tasks.get(job_id)
        if task is None:
            return False
        task.cancel.set()
        return True

    def progress(self, job_id: int) -> float | None:
        task = self.tasks.get(job_id)
        return None if task is None else task.progress

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
