"""Record latency and read times at scale (issue 8, "Performance").

- record_assessment on SQLite (validate + grade + persist + alerts + audit, one
  transaction, WAL + synchronous=FULL): median of 200 calls, against a raw sqlite3
  INSERT + COMMIT of the same stored row with the same PRAGMAs, in the same run.
  Target ≤ 10 ms median.
- The same on PostgreSQL when a throwaway server can be started (the tests' server code:
  fsync off, so both numbers are CPU and round-trip bound), against a raw psycopg INSERT.
- Ward board (list_ward) and one patient's timeline (patient_timeline) on a database made by
  `app.generate.generate_history` with 10,000 patients (1.74 M assessments), cached under
  bench/.cache/ keyed by size and seed. Baselines: a raw sqlite3 read of the minimum the
  screen needs (board: every current assessment of the active episodes; timeline: every
  assessment row of the episode). Targets ≤ 50 ms.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.actor import Actor, Role
from app.context import AppContext
from bench.common import BenchResult, median_seconds
from db.engine import Database
from db.migrate import open_database
from db.url import sqlite_url

NURSE = Actor(user_id=None, username="bench", role=Role.NURSE, workstation="bench")
HAEM = Actor(user_id=None, username="bench-haem", role=Role.HAEMATOLOGIST, workstation="bench")
RECORDS = 200
TARGET_RECORD_MS = 10.0
TARGET_READ_MS = 50.0
OBSERVATION: dict[str, Any] = {
    "heart_rate": 82,
    "systolic_bp": 122,
    "diastolic_bp": 74,
    "respiratory_rate": 16,
    "spo2_percent": 97,
    "acvpu": "alert",
    "oxygen_device": "none",
    "vasopressors": [],
    "hypotension": False,
    "consciousness": "awakens_spontaneously",
    "seizure": "none",
    "motor_weakness": "none",
    "cerebral_edema": "none",
    "ice_items": {
        "orientation": 4,
        "naming": 3,
        "following_commands": 1,
        "writing": 1,
        "attention": 1,
    },
}


# --- the 10,000-patient history (shared with bench.memory) ---------------------------------

CACHE = Path(__file__).with_name(".cache")
HISTORY_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # the "now" the history ends at
PATIENTS = 10_000
SEED = 1


def fixed_clock() -> datetime:
    return HISTORY_NOW


def history_path(patients: int = PATIENTS, seed: int = SEED) -> Path:
    """The cached database file, generated first if missing (a few minutes at 10,000)."""
    path = CACHE / f"history-p{patients}-d29-pd6-s{seed}.sqlite3"
    if path.exists():
        return path
    from app.generate import generate_history

    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    database = open_database(sqlite_url(partial))
    start = time.perf_counter()
    print(f"generating {patients:,} patients into {path} ...", file=sys.stderr, flush=True)
    generate_history(AppContext(database, clock=fixed_clock), patients=patients, seed=seed)
    database.dispose()
    print(f"  done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    with closing(sqlite3.connect(partial)) as conn:  # one self-contained file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    return path


# --- record latency -----------------------------------------------------------------------


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _ward_with_one_episode(database: Database) -> tuple[AppContext, _Clock, int]:
    from app.services import patients, tocilizumab

    infused = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = _Clock(infused - timedelta(days=1))
    ctx = AppContext(database, clock=clock)
    patient = patients.register_patient(
        ctx,
        NURSE,
        nhs_number=None,
        hospital_number="BENCH-1",
        family_name="Bench",
        given_name="Mark",
        date_of_birth=date(1965, 4, 1),
        sex="male",
    )
    episode = patients.register_episode(
        ctx,
        NURSE,
        patient.id,
        product_code="axicabtagene_ciloleucel",
        planned_infusion_date=infused.date(),
        weight_kg=80.0,
        consultant="Dr Bench",
        ward=ctx.ward,
        bed="B1",
    )
    clock.now = infused + timedelta(minutes=5)
    tocilizumab.record_infusion(
        ctx, HAEM, episode.id, infused_at=infused, override_reason="benchmark"
    )
    return ctx, clock, episode.id


def _service_latencies(database: Database) -> list[float]:
    from app.services.assessments import record_assessment

    ctx, clock, episode_id = _ward_with_one_episode(database)
    samples = []
    for n in range(RECORDS + 10):  # the first 10 warm the statement cache
        clock.now += timedelta(minutes=7)
        values = {**OBSERVATION, "temperature_c": 36.5 + (n % 9) / 10, "assessed_at": clock.now}
        start = time.perf_counter()
        record_assessment(ctx, NURSE, episode_id, values)
        samples.append(time.perf_counter() - start)
    return samples[10:]


def _stored_row(database: Database) -> dict[str, Any]:
    from sqlalchemy import select

    from db.models import Assessment

    with database.read() as s:
        row = s.execute(select(Assessment).order_by(Assessment.id.desc()).limit(1)).scalar_one()
        return {c.key: getattr(row, c.key) for c in Assessment.__table__.columns}


def _raw_sqlite_latency(path: Path, row: dict[str, Any]) -> float:
    """INSERT + COMMIT of the same stored row through bare sqlite3, same PRAGMAs."""
    import json

    values = {
        k: (json.dumps(v) if isinstance(v, dict | list) else v)
        for k, v in row.items()
        if k not in ("id", "idempotency_key")
    }
    values = {
        k: (v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v)
        for k, v in values.items()
    }
    sql = f"INSERT INTO assessment ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})"
    params = list(values.values())
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for pragma in (
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
            "busy_timeout = 30000",
        ):
            conn.execute(f"PRAGMA {pragma}")

        def once() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, params)
            conn.execute("COMMIT")

        for _ in range(10):
            once()
        return median_seconds(once, RECORDS)


def _record_sqlite() -> BenchResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        database = open_database(sqlite_url(path))
        try:
            service = statistics.median(_service_latencies(database))
            row = _stored_row(database)
        finally:
            database.dispose()
        raw = _raw_sqlite_latency(path, row)
    ms = service * 1000
    return BenchResult(
        "record_assessment latency, SQLite (median)",
        ms,
        "ms",
        "raw sqlite3 INSERT+COMMIT, same row and PRAGMAs",
        raw * 1000,
        f"≤ {TARGET_RECORD_MS:g} ms",
        ms <= TARGET_RECORD_MS,
    )


def _record_postgres() -> list[BenchResult]:
    try:
        from tests.conftest import PostgresServer, find_pg_bin
    except ImportError:
        return []
    bin_dir = find_pg_bin()
    if bin_dir is None:
        print(
            "  PostgreSQL binaries not found: record latency on PostgreSQL skipped", file=sys.stderr
        )
        return []
    server = PostgresServer(bin_dir)
    try:
        server.start()
        url = server.create_database("bench")
        database = open_database(url)
        try:
            service = statistics.median(_service_latencies(database))
            row = _stored_row(database)
        finally:
            database.dispose()
        raw = _raw_psycopg_latency(server, url, row)
    except Exception as error:
        print(f"  PostgreSQL benchmark skipped: {error}", file=sys.stderr)
        return []
    finally:
        server.stop()
    ms = service * 1000
    return [
        BenchResult(
            "record_assessment latency, PostgreSQL (median; test server, fsync off)",
            ms,
            "ms",
            "raw psycopg INSERT+COMMIT, same row",
            raw * 1000,
            f"≤ {TARGET_RECORD_MS:g} ms",
            ms <= TARGET_RECORD_MS,
        )
    ]


def _raw_psycopg_latency(server: Any, url: str, row: dict[str, Any]) -> float:
    import psycopg
    from psycopg.types.json import Jsonb

    values = {
        k: (Jsonb(v) if isinstance(v, dict | list) else v)
        for k, v in row.items()
        if k not in ("id", "idempotency_key")
    }
    sql = f"INSERT INTO assessment ({', '.join(values)}) VALUES ({', '.join('%s' for _ in values)})"
    params = list(values.values())
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname=url.rsplit("/", 1)[1]
    ) as conn:

        def once() -> None:
            conn.execute(sql, params)
            conn.commit()

        for _ in range(10):
            once()
        return median_seconds(once, RECORDS)


# --- reads at 10,000 patients ------------------------------------------------------------


def _reads_at_scale() -> list[BenchResult]:
    from sqlalchemy import select

    from app.services import ward
    from db.models import Episode

    path = history_path()
    database = Database(sqlite_url(path))
    ctx = AppContext(database, clock=fixed_clock)
    try:
        with database.read() as s:
            active = list(s.execute(select(Episode.id).where(Episode.status == "active")).scalars())
        board_rows = len(ward.list_ward(ctx, NURSE))  # warm-up (statement cache, page cache)
        board = median_seconds(lambda: ward.list_ward(ctx, NURSE), 11)
        episode_id = active[len(active) // 2]
        ward.patient_timeline(ctx, NURSE, episode_id)
        timeline = median_seconds(lambda: ward.patient_timeline(ctx, NURSE, episode_id), 11)
    finally:
        database.dispose()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        marks = ",".join("?" for _ in active)

        def raw_board() -> object:
            return conn.execute(
                "SELECT episode_id, assessed_at, crs_grade, icans_grade, news2_total FROM "
                f"assessment WHERE status = 'current' AND episode_id IN ({marks})",
                active,
            ).fetchall()

        def raw_timeline() -> object:
            return conn.execute(
                "SELECT * FROM assessment WHERE episode_id = ? ORDER BY assessed_at", (episode_id,)
            ).fetchall()

        raw_board()
        board_base = median_seconds(raw_board, 11)
        timeline_base = median_seconds(raw_timeline, 11)
    return [
        BenchResult(
            f"ward board (list_ward), 10,000 patients, {board_rows} on the ward",
            board * 1000,
            "ms",
            "raw sqlite3 read of their current assessments",
            board_base * 1000,
            f"≤ {TARGET_READ_MS:g} ms",
            board * 1000 <= TARGET_READ_MS,
        ),
        BenchResult(
            "patient timeline (patient_timeline), 10,000-patient database",
            timeline * 1000,
            "ms",
            "raw sqlite3 read of the episode's assessment rows",
            timeline_base * 1000,
            f"≤ {TARGET_READ_MS:g} ms",
            timeline * 1000 <= TARGET_READ_MS,
        ),
    ]


def run() -> list[BenchResult]:
    results = [_record_sqlite()]
    results += _record_postgres()
    results += _reads_at_scale()
    return results


if __name__ == "__main__":
    for r in run():
        print(
            f"{r.name}: {r.value:.2f} {r.unit} (baseline {r.baseline_name}: "
            f"{r.baseline_value:.2f}; ratio {r.ratio:.1f}; target {r.target}; met {r.met})"
        )
