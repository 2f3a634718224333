"""The background executor runs jobs off the GUI thread and calls back on it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.executor import BackgroundExecutor, SyncExecutor

pytestmark = pytest.mark.gui


def test_results_and_errors_come_back_on_the_gui_thread(qtbot: Any) -> None:
    executor = BackgroundExecutor()
    gui_thread = threading.get_ident()
    seen: dict[str, Any] = {}

    def ok(worker_thread: int) -> None:
        seen["ok"] = (worker_thread, threading.get_ident())

    def failed(error: BaseException) -> None:
        seen["failed"] = (str(error), threading.get_ident())

    def boom() -> None:
        raise ValueError("disk full")

    executor.submit(threading.get_ident, ok)
    executor.submit(boom, lambda _r: None, failed)
    qtbot.waitUntil(lambda: "ok" in seen and "failed" in seen, timeout=5000)
    executor.shutdown()
    worker, callback = seen["ok"]
    assert worker != gui_thread and callback == gui_thread
    assert seen["failed"] == ("disk full", gui_thread)


def test_sync_executor_runs_at_once() -> None:
    results: list[int] = []
    errors: list[str] = []
    SyncExecutor().submit(lambda: 41 + 1, results.append)
    SyncExecutor().submit(lambda: 1 / 0, results.append, lambda e: errors.append(type(e).__name__))
    assert results == [42] and errors == ["ZeroDivisionError"]
