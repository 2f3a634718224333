"""Concurrent writers on a real PostgreSQL server (SAFETY.md "Evidence").

20 writer threads, each with its own Database (its own connections, as 20 workstations):
- stock: reserve/release cycling the same vials: no vial ever held twice, the movement
  history of every vial replays to its final state, successes match movements;
- one episode: update_nursing_note with expected_version: every conflict is StaleEdit,
  never a silent overwrite (successes + conflicts == attempts, final note = last success);
- one alert: 20 acknowledgements at the same version: exactly one recorded.
A control run of a naive read-modify-write counter shows the checks detect lost updates.

Suite: 20 × 20; CARWARD_RELIABILITY=full: 20 × 100.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.context import AppContext
from app.errors import StaleEdit, ValidationFailed
from app.services import alerts, patients, tocilizumab
from db.engine import Database
from db.models import AuditEvent, StockMovement, Vial
from tests.conftest import PostgresServer, _reset_pg
from tests.reliability.ward import (
    FULL,
    INFUSED_AT,
    NURSE,
    PHARM,
    Clock,
    observation,
    record_confirmed,
    seed_ward,
)

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(3600 if FULL else 300)]

WRITERS = 20
OPS = 100 if FULL else 20


@pytest.fixture
def pg_ward(postgres_server: PostgresServer, _pg_migrated: str) -> Iterator[str]:
    _reset_pg(postgres_server, _pg_migrated)
    yield _pg_migrated


def _run_threads(work: Callable[[int], None]) -> None:
    """Start WRITERS threads together; re-raise the first error any of them hit."""
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as error:  # collected and re-raised in the test thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _contexts(url: str) -> list[AppContext]:
    clock = Clock(INFUSED_AT + timedelta(days=1))
    return [AppContext(Database(url), clock=clock) for _ in range(WRITERS)]


def _dispose(contexts: list[AppContext]) -> None:
    for c in contexts:
        c.database.dispose()


def test_stock_reserve_release_loses_no_update(pg_ward: str) -> None:
    setup = Database(pg_ward)
    seeded = seed_ward(setup, episodes=WRITERS, vials=WRITERS // 2)  # fewer vials than writers
    contexts = _contexts(pg_ward)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        ctx, episode = contexts[n], seeded.episode_ids[n]
        for _ in range(OPS):
            try:
                tocilizumab.reserve_for_episode(ctx, PHARM, episode, doses=1)
            except ValidationFailed:
                with lock:
                    outcomes["refused"] += 1  # no free vial left, or lost the race: told so
                continue
            tocilizumab.release_reservation(ctx, PHARM, episode)
            with lock:
                outcomes["reserved"] += 1

    try:
        _run_threads(work)
        with setup.read() as s:
            vials = {v.id: v for v in s.execute(select(Vial)).scalars()}
            moves = list(s.execute(select(StockMovement).order_by(StockMovement.id)).scalars())
            reserve_audits = s.execute(
                text("SELECT count(*) FROM audit_event WHERE action = 'reserve_vials'")
            ).scalar_one()
    finally:
        _dispose(contexts)
        setup.dispose()
    assert outcomes["reserved"] + outcomes["refused"] == WRITERS * OPS
    assert outcomes["reserved"] > 0
    problems = _replay_stock(vials, moves)
    assert problems == []
    reserved_moves = sum(1 for m in moves if m.kind == "reserved")
    assert reserved_moves == outcomes["reserved"] == reserve_audits  # one 400 mg vial a dose
    from tests.reliability.conftest import report

    report(
        "PostgreSQL stock (reserve/release the same vials)",
        f"{WRITERS} writers × {OPS}: {outcomes['reserved']} reservations, "
        f"{outcomes['refused']} refused with a message; 0 vials held twice, 0 lost updates",
    )


def _replay_stock(vials: dict[int, Vial], moves: list[StockMovement]) -> list[str]:
    """Replay every vial's movements; a lost update shows as an impossible transition."""
    state: dict[int, tuple[str, int | None]] = {}
    problems = []
    for m in moves:
        status, holder = state.get(m.vial_id, ("none", None))
        if m.kind == "received" and status == "none":
            state[m.vial_id] = ("in_stock", None)
        elif m.kind == "reserved" and status == "in_stock":
            state[m.vial_id] = ("reserved", m.episode_id)
        elif m.kind == "released" and status == "reserved" and holder == m.episode_id:
            state[m.vial_id] = ("in_stock", None)
        else:
            problems.append(f"vial {m.vial_id}: {m.kind} while {status} ({holder})")
    for vial_id, vial in vials.items():
        if state.get(vial_id, ("none", None))[0] != vial.status:
            problems.append(f"vial {vial_id}: history says {state.get(vial_id)}, row {vial.status}")
    return problems


def test_same_episode_note_conflicts_are_all_reported(pg_ward: str) -> None:
    setup = Database(pg_ward)
    episode = seed_ward(setup, episodes=1).episode_ids[0]
    contexts = _contexts(pg_ward)
    results: list[tuple[int, str]] = []  # (new version, note) of each successful write
    conflicts: list[StaleEdit] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        ctx = contexts[n]
        for i in range(OPS):
            seen = patients.get_episode(ctx, NURSE, episode)
            note = f"writer {n} edit {i}"
            try:
                row = patients.update_nursing_note(
                    ctx, NURSE, episode, note, expected_version=seen.version
                )
            except StaleEdit as conflict:
                with lock:
                    conflicts.append(conflict)
                continue
            with lock:
                results.append((row.version, note))

    try:
        _run_threads(work)
        final = patients.get_episode(contexts[0], NURSE, episode)
        with setup.read() as s:
            audited = s.execute(
                select(AuditEvent).where(AuditEvent.action == "update_nursing_note")
            ).all()
    finally:
        _dispose(contexts)
        setup.dispose()
    assert len(results) + len(conflicts) == WRITERS * OPS
    assert conflicts, "20 writers on one note must conflict"
    versions = [v for v, _note in results]
    assert len(set(versions)) == len(versions), "two writes produced the same version"
    assert final.version == 1 + len(results) + 1  # +1: record_infusion's own update
    assert final.nursing_note == max(results)[1]  # the last successful write, not another
    assert len(audited) == len(results)
    assert all(str(c) for c in conflicts)
    from tests.reliability.conftest import report

    report(
        "PostgreSQL one episode (nursing note, expected_version)",
        f"{WRITERS} writers × {OPS}: {len(results)} saved, {len(conflicts)} StaleEdit reported, "
        "0 silent overwrites",
    )


def test_one_acknowledgement_per_alert(pg_ward: str) -> None:
    rounds = OPS // 4 if not FULL else OPS
    setup = Database(pg_ward)
    episodes = seed_ward(setup, episodes=rounds).episode_ids
    ctx0 = AppContext(setup, clock=Clock(INFUSED_AT + timedelta(days=1)))
    contexts = _contexts(pg_ward)
    acked = 0
    try:
        for episode in episodes:
            values = {**observation(episode, icans2=True), "assessed_at": ctx0.clock()}
            alert = next(
                a for a in record_confirmed(ctx0, episode, values).alerts
                if a.kind == "critical_care"
            )  # fmt: skip
            outcome: Counter[str] = Counter()
            lock = threading.Lock()

            def work(
                n: int,
                alert_id: int = alert.id,
                version: int = alert.version,
                outcome: Counter[str] = outcome,
                lock: threading.Lock = lock,
            ) -> None:
                try:
                    alerts.acknowledge_alert(contexts[n], NURSE, alert_id, expected_version=version)
                    kind = "acknowledged"
                except StaleEdit:
                    kind = "stale"
                with lock:
                    outcome[kind] += 1

            _run_threads(work)
            assert outcome == Counter({"acknowledged": 1, "stale": WRITERS - 1})
            acked += 1
        with setup.read() as s:
            count = s.execute(
                text("SELECT count(*) FROM audit_event WHERE action = 'acknowledge_alert'")
            ).scalar_one()
        assert count == rounds
    finally:
        _dispose(contexts)
        setup.dispose()
    from tests.reliability.conftest import report

    report(
        "PostgreSQL one alert (20 acknowledgements at once)",
        f"{acked} alerts × {WRITERS} writers: exactly 1 acknowledgement each, the rest StaleEdit",
    )


# --- control: the machinery detects a lost update -------------------------------------------


def _counter_run(url: str, naive: bool) -> tuple[int, int]:
    """WRITERS threads add 1 OPS times each; returns (final value, increments done)."""
    databases = [Database(url) for _ in range(WRITERS)]
    done = [0] * WRITERS

    def work(n: int) -> None:
        for _ in range(OPS):
            with databases[n].transaction() as s:
                if naive:  # read, think, write back: the classic lost update
                    value = s.execute(text("SELECT value FROM rel_counter")).scalar_one()
                    time.sleep(0.001)
                    s.execute(text("UPDATE rel_counter SET value = :v"), {"v": value + 1})
                else:
                    s.execute(text("UPDATE rel_counter SET value = value + 1"))
            done[n] += 1

    try:
        with databases[0].transaction() as s:
            s.execute(text("UPDATE rel_counter SET value = 0"))
        _run_threads(work)
        with databases[0].read() as s:
            final = int(s.execute(text("SELECT value FROM rel_counter")).scalar_one())
    finally:
        for d in databases:
            d.dispose()
    return final, sum(done)


def test_control_naive_read_modify_write_is_caught(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("control")
    with postgres_server.admin(url.rsplit("/", 1)[1]) as conn:
        conn.execute("CREATE TABLE rel_counter (value integer NOT NULL)")
        conn.execute("INSERT INTO rel_counter VALUES (0)")
    final, done = _counter_run(url, naive=True)
    assert final < done, "the naive counter lost nothing: the check could not fail"
    atomic_final, atomic_done = _counter_run(url, naive=False)
    assert atomic_final == atomic_done
    from tests.reliability.conftest import report

    report(
        "Control: naive read-modify-write (PostgreSQL)",
        f"naive: {done - final} of {done} increments lost (detected); atomic UPDATE: 0 lost",
    )
