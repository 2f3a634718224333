"""Several processes writing one SQLite file at once never see "database is locked".

Each transaction reads and then writes (the pattern that fails under a deferred BEGIN,
whatever the busy timeout, because a reader cannot always be upgraded to a writer): with
BEGIN IMMEDIATE the writers queue on the busy timeout instead.
"""

from __future__ import annotations

import multiprocessing
import traceback
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.models import AuditEvent

PROCESSES = 4
TRANSACTIONS = 50


def _writer(url: str, worker: int, start: object, errors: object) -> None:
    database = Database(url)
    try:
        start.wait(30)  # type: ignore[attr-defined]
        for n in range(TRANSACTIONS):
            with database.transaction() as s:
                seen = s.scalar(select(func.count()).select_from(AuditEvent))
                s.add(
                    AuditEvent(
                        at=datetime.now(UTC),
                        username=f"worker{worker}",
                        role="nurse",
                        workstation=f"ws{worker}",
                        action="concurrency-test",
                        entity="none",
                        entity_id=n,
                        after={"seen": seen},
                    )
                )
    except Exception:
        errors.put(f"worker {worker}: {traceback.format_exc()}")  # type: ignore[attr-defined]
    finally:
        database.dispose()


def test_concurrent_writers_on_one_sqlite_file(sqlite_db_url: str):
    mp = multiprocessing.get_context("spawn")  # fresh interpreters, like separate app copies
    start = mp.Event()
    errors = mp.Queue()
    workers = [
        mp.Process(target=_writer, args=(sqlite_db_url, i, start, errors)) for i in range(PROCESSES)
    ]
    for proc in workers:
        proc.start()
    start.set()
    for proc in workers:
        proc.join(120)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    errors.close()
    errors.join_thread()
    assert not problems, "\n".join(problems)
    assert [proc.exitcode for proc in workers] == [0] * PROCESSES

    database = Database(sqlite_db_url)
    try:
        with database.read() as s:
            events = s.scalars(select(AuditEvent)).all()
        assert len(events) == PROCESSES * TRANSACTIONS
        # Serialised: every transaction saw exactly the rows committed before it.
        assert sorted(e.after["seen"] for e in events) == list(range(PROCESSES * TRANSACTIONS))
    finally:
        database.dispose()


def _opener(url: str, start: object, results: object) -> None:
    from db.migrate import open_database

    try:
        start.wait(30)  # type: ignore[attr-defined]
        database = open_database(url)
        results.put(("ok", database.migration.from_revision))  # type: ignore[attr-defined]
        database.dispose()
    except Exception:
        results.put(("error", traceback.format_exc()))  # type: ignore[attr-defined]


def _open_together(url: str, copies: int) -> list[tuple[str, object]]:
    mp = multiprocessing.get_context("spawn")
    start = mp.Event()
    results = mp.Queue()
    procs = [mp.Process(target=_opener, args=(url, start, results)) for _ in range(copies)]
    for proc in procs:
        proc.start()
    start.set()
    outcome = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(60)
    results.close()
    results.join_thread()
    return outcome


def test_several_copies_starting_on_a_new_sqlite_file_create_it_once(empty_sqlite_url: str):
    from db.migrate import current_revision, head_revision

    outcome = _open_together(empty_sqlite_url, 3)
    assert [status for status, _ in outcome] == ["ok"] * 3, outcome
    # Exactly one of them created the schema; the others found it at head.
    assert sorted(str(rev) for _, rev in outcome) == sorted(["None"] + [head_revision()] * 2)
    assert current_revision(empty_sqlite_url) == head_revision()


@pytest.mark.postgres
def test_several_copies_starting_on_a_new_postgresql_database_create_it_once(pg_url: str):
    from db.migrate import current_revision, head_revision

    outcome = _open_together(pg_url, 3)
    assert [status for status, _ in outcome] == ["ok"] * 3, outcome
    assert sorted(str(rev) for _, rev in outcome) == sorted(["None"] + [head_revision()] * 2)
    assert current_revision(pg_url) == head_revision()
