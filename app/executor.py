"""One background worker for database work; results come back on the GUI thread (ARCHITECTURE
"Threads"). Widgets submit a plain callable and two callbacks; the callable never touches a
widget, the callbacks run on the thread that owns the executor (the GUI thread).

`SyncExecutor` runs the job at once on the caller's thread: tests and the screenshot and
smoke commands use it so behaviour is deterministic.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

T = TypeVar("T")
SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]

log = logging.getLogger("carward.executor")


def _log_failure(error: BaseException) -> None:
    log.error("background job failed: %s", error, exc_info=error)


class Executor(Protocol):
    def submit(
        self,
        job: Callable[[], Any],
        on_success: SuccessCallback,
        on_failure: FailureCallback | None = None,
    ) -> None: ...

    def shutdown(self) -> None: ...


class SyncExecutor:
    """Runs each job immediately; callbacks run before `submit` returns."""

    def submit(
        self,
        job: Callable[[], Any],
        on_success: SuccessCallback,
        on_failure: FailureCallback | None = None,
    ) -> None:
        try:
            result = job()
        except Exception as error:  # delivered to the caller's failure callback
            (on_failure or _log_failure)(error)
            return
        on_success(result)

    def shutdown(self) -> None:
        return None


class BackgroundExecutor(QObject):
    """A single worker thread (database work is serialised, like Anki's taskman).

    The worker emits `_finished` with a job id; the signal is connected with the default
    AutoConnection to this object, which lives on the GUI thread, so Qt queues the call
    and the callbacks run on the GUI thread.
    """

    _finished = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="carward-db")
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[SuccessCallback, FailureCallback]] = {}
        self._finished.connect(self._deliver)
        self._closed = False

    def submit(
        self,
        job: Callable[[], Any],
        on_success: SuccessCallback,
        on_failure: FailureCallback | None = None,
    ) -> None:
        if self._closed:
            return
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_success, on_failure or _log_failure)
        future = self._pool.submit(job)
        future.add_done_callback(functools.partial(self._done, job_id))

    def pending(self) -> int:
        return len(self._callbacks)

    def _done(self, job_id: int, future: Future[Any]) -> None:
        # Runs on the worker thread: only emit, never touch widgets here.
        error = future.exception()
        if error is None:
            self._finished.emit(job_id, True, future.result())
        else:
            self._finished.emit(job_id, False, error)

    def _deliver(self, job_id: int, ok: bool, payload: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks is None or self._closed:
            return
        on_success, on_failure = callbacks
        if ok:
            on_success(payload)
        else:
            assert isinstance(payload, BaseException)
            on_failure(payload)

    def shutdown(self) -> None:
        """Wait for the running job (a write must finish), drop pending callbacks."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._callbacks.clear()
