"""Contention on one SQLite file: 8 processes × 200 record_assessment transactions.

Every write takes the write lock up front (BEGIN IMMEDIATE) and waits for it (busy
timeout), so no "database is locked" may reach a caller (SAFETY.md "Evidence").
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta

from sqlalchemy import func, select

from app.context import AppContext
from db.engine import Database
from db.models import Assessment
from tests.reliability.ward import INFUSED_AT, Clock, observation, record_confirmed, seed_ward

PROCESSES = 8
WRITES = 200  # the same in the suite and the full run (it takes well under a minute)

_fork = multiprocessing.get_context("fork")


def _writer(database: Database, episode_id: int, start: object, errors: object) -> None:
    database.engine.dispose(close=False)  # the parent's pooled connections are not ours
    clock = Clock(INFUSED_AT + timedelta(hours=1))
    ctx = AppContext(database, clock=clock)
    start.wait()  # type: ignore[attr-defined]
    failures = []
    for n in range(WRITES):
        clock.now += timedelta(minutes=6)  # 200 × 6 min stays inside day 0-1
        try:
            record_confirmed(ctx, episode_id, {**observation(n), "assessed_at": clock.now})
        except Exception as error:  # every error is the finding
            failures.append(f"{type(error).__name__}: {error}")
    errors.put(failures)  # type: ignore[attr-defined]


def test_eight_processes_never_see_database_is_locked(sqlite_database: Database) -> None:
    seeded = seed_ward(sqlite_database, episodes=PROCESSES)
    ctx = AppContext(sqlite_database, clock=Clock(INFUSED_AT + timedelta(minutes=30)))
    record_confirmed(ctx, seeded.episode_ids[0], {**observation(0), "assessed_at": ctx.clock()})
    sqlite_database.engine.dispose()  # warm statement cache, no open connection at fork

    start, errors = _fork.Event(), _fork.Queue()
    workers = [
        _fork.Process(target=_writer, args=(sqlite_database, episode_id, start, errors))
        for episode_id in seeded.episode_ids
    ]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    start.set()
    failures = [f for _ in workers for f in errors.get(timeout=240)]
    for worker in workers:
        worker.join(timeout=60)
    elapsed = time.perf_counter() - began

    assert failures == []
    assert all(w.exitcode == 0 for w in workers)
    with sqlite_database.read() as session:
        stored = session.execute(select(func.count(Assessment.id))).scalar_one()
    assert stored == PROCESSES * WRITES + 1
    from tests.reliability.conftest import report

    report(
        "Contention (one SQLite file)",
        f"{PROCESSES} processes × {WRITES} record_assessment: {PROCESSES * WRITES} committed, "
        f"0 'database is locked' ({elapsed:.1f} s, {PROCESSES * WRITES / elapsed:.0f} writes/s)",
    )
