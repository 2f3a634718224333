"""Several workstations issuing the last vial at once on PostgreSQL (SAFETY.md: 0 lost stock
updates). The control shows that a naive read-modify-write does issue it twice, so the test
really detects the failure it guards against."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

import app.services.tocilizumab as toci
from app.context import AppContext
from app.services.patients import register_episode, register_patient
from db.engine import Database
from db.migrate import open_database
from db.models import StockMovement, Vial
from tests.fakes import FakeClock
from tests.tocilizumab.helpers import NURSE, PHARM, give_dose

pytestmark = pytest.mark.postgres

WRITERS = 20
# Every writer reads the vial as "in stock" before any of them writes: the worst case.
READ_WRITE_GAP_S = 0.3


@pytest.fixture
def pg_ctx(pg_url: str) -> Iterator[AppContext]:
    database = open_database(pg_url)
    try:
        yield AppContext(database, clock=FakeClock())
    finally:
        database.dispose()


def make_episodes(ctx: AppContext, n: int) -> list[int]:
    ids = []
    for i in range(n):
        patient = register_patient(
            ctx, NURSE, nhs_number=None, hospital_number=f"C{i:03d}", family_name="Race",
            given_name=f"P{i}", date_of_birth=date(1980, 1, 1), sex="male",
        )  # fmt: skip
        episode = register_episode(
            ctx, NURSE, patient.id, product_code="axicabtagene_ciloleucel",
            planned_infusion_date=None, weight_kg=50, consultant="Dr X", ward="Haematology",
        )  # fmt: skip
        ids.append(episode.id)
    return ids


def race(url: str, work: Callable[[Database, int], bool], n: int) -> list[bool]:
    """Run `work(own Database, i)` in n threads started together; its results in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        database = Database(url)  # one workstation: its own engine and connection
        try:
            barrier.wait(timeout=30)
            results[i] = work(database, i)
        except Exception as error:  # reported by the assertion below, with the error
            results[i] = error
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return [bool(r) for r in results]


def issued_movements(ctx: AppContext, vial_id: int) -> int:
    with ctx.database.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(StockMovement)
                .where(StockMovement.vial_id == vial_id, StockMovement.kind == "issued")
            )
            or 0
        )


def test_twenty_writers_issue_the_last_vial_exactly_once(
    pg_ctx: AppContext, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    episodes = make_episodes(pg_ctx, WRITERS)
    (vial,) = toci.receive_vials(
        pg_ctx, PHARM, strength_mg=400, batch="LAST", expiry_date=date(2026, 9, 1),
        location="ward", count=1,
    )  # fmt: skip
    read_candidates = toci._usable_candidates

    def slow_read(*args: Any, **kwargs: Any) -> Any:
        found = read_candidates(*args, **kwargs)
        time.sleep(READ_WRITE_GAP_S)  # widen the window between choosing and claiming
        return found

    monkeypatch.setattr(toci, "_usable_candidates", slow_read)

    def dose(database: Database, i: int) -> bool:
        ctx = AppContext(database, clock=pg_ctx.clock)
        _, warnings = give_dose(ctx, NURSE, episodes[i], 400, given_at=ctx.clock())
        return not any("no vials were issued" in w for w in warnings)

    successes = race(pg_url, dose, WRITERS)
    assert sum(successes) == 1
    assert issued_movements(pg_ctx, vial.id) == 1
    with pg_ctx.database.read() as session:
        row = session.get(Vial, vial.id)
        assert row is not None
        assert row.status == "issued" and row.version == 2  # one change, not twenty
        assert row.reserved_episode_id == episodes[successes.index(True)]


def test_control_naive_read_modify_write_issues_the_last_vial_many_times(
    pg_ctx: AppContext, pg_url: str
) -> None:
    (vial,) = toci.receive_vials(
        pg_ctx, PHARM, strength_mg=400, batch="LAST", expiry_date=date(2026, 9, 1),
        location="ward", count=1,
    )  # fmt: skip

    def naive_issue(database: Database, _i: int) -> bool:
        with database.transaction() as session:
            row = session.get(Vial, vial.id)
            assert row is not None
            if row.status != "in_stock":  # read...
                return False
            time.sleep(READ_WRITE_GAP_S)
            row.status = "issued"  # ...modify, write: the check above is already stale
            session.add(
                StockMovement(vial_id=vial.id, kind="issued", at=pg_ctx.clock(), by="naive")
            )
            return True

    successes = race(pg_url, naive_issue, WRITERS)
    assert sum(successes) > 1  # the bug the real code must not have
    assert issued_movements(pg_ctx, vial.id) == sum(successes)
