"""Kill -9 during real service writes on SQLite, then reopen (SAFETY.md "Evidence").

A forked child loops over the ward's write use cases (record an assessment, amend it,
acknowledge an alert, record the critical-care discussion, give tocilizumab which issues
a vial) and, after each commit returns, appends "kind id" to a journal file and fsyncs
it. The parent SIGKILLs the child at a seeded random moment, then reopens the database
and checks: integrity_check is ok, every journalled write is there, every assessment
has its audit event, every current ICANS ≥ 2 assessment its critical-care alert.

Suite: 200 kills; CARWARD_RELIABILITY=full: 1,000.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.context import AppContext
from app.services import administrations, alerts, ward
from app.services.assessments import amend_assessment
from db.engine import Database
from db.models import Administration, Alert, Assessment
from tests.reliability.ward import (
    FULL,
    HAEM,
    INFUSED_AT,
    NURSE,
    Clock,
    integrity_problems,
    observation,
    record_confirmed,
    seed_ward,
)

KILLS = 1000 if FULL else 200
EPISODES = 8
STEP = timedelta(seconds=20)  # clock advance per write (keeps all writes inside day 0-28)
WRITES_PER_ROUND = 60  # a child stops (and waits to be killed) after this many
ROUND = STEP * (WRITES_PER_ROUND + 2)

_fork = multiprocessing.get_context("fork")


def _write_loop(
    ctx: AppContext,
    clock: Clock,
    *,
    rng: random.Random,
    salt: int,
    writes: int,
    journal_write: Callable[[str, int], None],
) -> None:
    """Real writes of every kind, each journalled after its commit."""
    last: dict[int, int] = {}  # episode -> this loop's last assessment id
    for n in range(writes):
        clock.now += STEP
        episode_id = 1 + rng.randrange(EPISODES)
        action = rng.random()
        if action < 0.45 or episode_id not in last:
            values = {**observation(n + salt, icans2=rng.random() < 0.2), "assessed_at": clock.now}
            row = record_confirmed(ctx, episode_id, values)
            last[episode_id] = row.id
            journal_write("assessment", row.id)
        elif action < 0.6:
            row = amend_assessment(
                ctx, NURSE, last[episode_id], observation(n + salt + 3), reason="typo corrected"
            )
            last[episode_id] = row.id
            journal_write("assessment", row.id)
        elif action < 0.8:
            open_alerts = [
                a
                for a in alerts.list_open_alerts(ctx, NURSE, episode_id)
                if a.kind == "critical_care"
            ]
            if not open_alerts:
                continue
            alert = open_alerts[0]
            if alert.status == "raised":
                done = alerts.acknowledge_alert(
                    ctx, NURSE, alert.id, expected_version=alert.version
                )
            else:
                done = alerts.record_discussion(
                    ctx,
                    HAEM,
                    alert.id,
                    clinician="ICU registrar",
                    discussed_at=clock.now,
                    outcome="stay_with_plan",
                    detail="neuro obs 2-hourly",
                    expected_version=alert.version,
                )
            journal_write(f"alert-v{done.version}", done.id)
        else:
            dose = administrations.record_administration(
                ctx,
                NURSE,
                episode_id,
                drug="tocilizumab",
                dose=400.0,
                given_at=clock.now,
                override_reason="reliability test: repeated doses",
            )
            journal_write("administration", dose.id)


def _round_clock(round_no: int) -> Clock:
    return Clock(INFUSED_AT + timedelta(hours=2) + round_no * ROUND)


def _writer(database: Database, journal: Path, round_no: int, seed: int) -> None:
    """The child: real writes in a loop until it is killed."""
    # The pool's connections belong to the parent; the engine's compiled-statement cache
    # (warmed by the parent) is kept, so the child writes within milliseconds.
    database.engine.dispose(close=False)
    clock = _round_clock(round_no)
    ctx = AppContext(database, clock=clock)
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def journal_write(kind: str, row_id: int) -> None:
        os.write(fd, f"{kind} {row_id}\n".encode())
        os.fsync(fd)

    try:
        _write_loop(
            ctx,
            clock,
            rng=random.Random(seed),
            salt=round_no,
            writes=WRITES_PER_ROUND,
            journal_write=journal_write,
        )
        time.sleep(60)  # done: wait for the parent's kill
    except BaseException as error:  # reported to the parent through the journal
        os.write(fd, f"ERROR {type(error).__name__}: {error}\n".encode())
        os.fsync(fd)
        os._exit(3)
    os._exit(0)


def _journal(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    # The last line may be cut by the kill (no newline yet): only whole lines count.
    return [tuple(line.decode().split(" ", 1)) for line in lines[:-1]]  # type: ignore[misc]


def _missing(database: Database, entries: list[tuple[str, str]]) -> list[str]:
    missing = []
    with database.read() as session:
        for kind, value in entries:
            if kind == "ERROR":
                missing.append(f"the child failed: {value}")
            elif kind == "assessment":
                if session.get(Assessment, int(value)) is None:
                    missing.append(f"assessment {value}")
            elif kind == "administration":
                if session.get(Administration, int(value)) is None:
                    missing.append(f"administration {value}")
            else:
                version = int(kind.removeprefix("alert-v"))
                found = session.execute(select(Alert.version).where(Alert.id == int(value)))
                stored = found.scalar_one_or_none()
                if stored is None or stored < version:
                    missing.append(f"alert {value} at version {version} (stored {stored})")
    return missing


def _kill_rounds(database: Database, tmp_path: Path, rounds: int, seed: int) -> tuple[int, int]:
    """Fork, wait a random moment, SIGKILL, reopen and check; returns (kills, writes)."""
    url = database.url
    rng = random.Random(seed)
    total_writes = 0
    kills = 0
    for round_no in range(1, rounds + 1):
        journal = tmp_path / f"journal-{round_no}.txt"
        database.engine.dispose()  # no open connection crosses the fork
        child = _fork.Process(target=_writer, args=(database, journal, round_no, seed + round_no))
        child.start()
        time.sleep(rng.uniform(0.02, 0.35))  # the first write lands after ~0.1 s
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        entries = _journal(journal)
        assert child.exitcode == -signal.SIGKILL, (child.exitcode, entries[-3:])
        kills += 1
        total_writes += len(entries)
        reopened = Database(url)  # a fresh process's view: new engine, new connections
        try:
            assert _missing(reopened, entries) == []
            assert integrity_problems(reopened) == []
        finally:
            reopened.dispose()
    return kills, total_writes


def test_sigkill_during_writes_loses_nothing_committed(sqlite_db_url: str, tmp_path: Path) -> None:
    database = Database(sqlite_db_url)
    seed_ward(database, episodes=EPISODES, vials=400)
    # Round 0 runs in this process: it warms the engine's statement cache the children
    # inherit, and checks the loop itself works without any kill.
    clock = _round_clock(0)
    warm = AppContext(database, clock=clock)
    _write_loop(
        warm,
        clock,
        rng=random.Random(1),
        salt=0,
        writes=WRITES_PER_ROUND,
        journal_write=lambda _k, _i: None,
    )

    start = time.perf_counter()
    try:
        kills, writes = _kill_rounds(database, tmp_path, KILLS, seed=20260310)
    finally:
        database.dispose()
    elapsed = time.perf_counter() - start

    assert kills == KILLS
    # Not vacuous: the children really wrote, and the kills fell between and inside writes.
    assert writes > KILLS, f"only {writes} journalled writes over {kills} kills"
    reopened = Database(sqlite_db_url)
    try:
        with reopened.read() as session:
            acked = session.execute(select(Alert).where(Alert.acknowledged_at.is_not(None))).all()
            doses = session.execute(select(Administration)).all()
        assert acked and doses, "the loop must have acknowledged alerts and issued vials"
    finally:
        reopened.dispose()
    from tests.reliability.conftest import report

    report(
        "Crash consistency (SQLite, SIGKILL during real service writes)",
        f"{kills} kills, {writes} journalled commits, 0 lost, 0 integrity/audit/alert "
        f"failures ({elapsed:.0f} s)",
    )


# --- alerts survive a crash between commit and display -----------------------------------

REPEATS = 100 if FULL else 20


def _record_then_die(url: str, episode_id: int, journal: Path) -> None:
    database = Database(url)
    ctx = AppContext(database, clock=Clock(INFUSED_AT + timedelta(days=3)))
    row = record_confirmed(
        ctx,
        episode_id,
        {**observation(episode_id, icans2=True), "assessed_at": INFUSED_AT + timedelta(days=3)},
    )
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, f"{row.id}\n".encode())
    os.fsync(fd)
    os.kill(os.getpid(), signal.SIGKILL)  # before anything could "display" the alert


def test_an_icans2_alert_is_listed_after_a_kill_right_after_commit(
    sqlite_db_url: str, tmp_path: Path
) -> None:
    database = Database(sqlite_db_url)
    seeded = seed_ward(database, episodes=REPEATS)
    database.dispose()
    for n, episode_id in enumerate(seeded.episode_ids):
        journal = tmp_path / f"alert-{n}.txt"
        child = _fork.Process(target=_record_then_die, args=(sqlite_db_url, episode_id, journal))
        child.start()
        child.join()
        assert child.exitcode == -signal.SIGKILL
        assessment_id = int(journal.read_text().strip())
        reopened = Database(sqlite_db_url)
        try:
            ctx = AppContext(reopened, clock=Clock(INFUSED_AT + timedelta(days=3, minutes=5)))
            listed = [
                a
                for a in alerts.list_open_alerts(ctx, NURSE, episode_id)
                if a.kind == "critical_care"
            ]
            assert [a.raised_by_assessment_id for a in listed] == [assessment_id]
            board = {r.episode_id: r for r in ward.list_ward(ctx, NURSE)}
            assert "critical_care" in {a.kind for a in board[episode_id].open_alerts}
        finally:
            reopened.dispose()
    from tests.reliability.conftest import report

    report(
        "Alerts survive a crash",
        f"{REPEATS}/{REPEATS} ICANS 2 alerts listed by "
        "list_open_alerts and list_ward after SIGKILL right after commit",
    )


Runner = Callable[[], None]
pytestmark = pytest.mark.timeout(3600 if FULL else 300)
