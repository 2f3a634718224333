"""Registry export: one CSV row per infused episode (issue 6; REFERENCE §5).

The fields are those the EBMT Cellular Therapy MED-A day-100 form and the CIBMTR 4100
toxicity section ask about (onset date, highest ASTCT grade, resolution date per
syndrome, tocilizumab / corticosteroid use, ICU admission) plus day-28 survival.
The column list below is also the data dictionary in README.md ("Reports"): change both.

Identifiable (NHS number, date of birth): haematologists only, audited, written atomically.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.actor import Actor
from app.context import AppContext
from app.permissions import Action, require
from app.reports.audit import audit_report
from app.reports.pdf_common import write_atomically
from app.rows import CourseSummary, EpisodeHeader, SyndromeCourse
from db.models import Episode


@dataclass(frozen=True)
class RegistryRecord:
    header: EpisodeHeader
    course: CourseSummary
    tz: ZoneInfo


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    values: str
    value: Callable[[RegistryRecord], str]


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _local_date(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(tz).date().isoformat()


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _syndrome_columns(prefix: str, pick: Callable[[CourseSummary], SyndromeCourse],
                      name: str) -> list[Column]:
    def get(r: RegistryRecord) -> SyndromeCourse:
        return pick(r.course)

    return [
        Column(f"{prefix}_occurred", f"{name} graded ≥ 1 on any day 0–28", "yes / no",
               lambda r: _yes_no(get(r).occurred)),
        Column(f"{prefix}_onset_date",
               "Date of the first day graded ≥ 1 (first symptom documented)",
               "ISO date; empty if it did not occur", lambda r: _iso(get(r).onset_date)),
        Column(f"{prefix}_max_grade", f"Highest ASTCT 2019 {name} grade, days 0–28 "
               f"(5 only from a death attributed to {name})",
               "0–5; empty if it did not occur",
               lambda r: "" if not get(r).occurred or get(r).max_grade is None
               else str(get(r).max_grade)),
        Column(f"{prefix}_max_grade_date", "Date the highest grade was first reached",
               "ISO date; empty if it did not occur", lambda r: _iso(get(r).max_date)),
        Column(f"{prefix}_resolution_date",
               f"Date {name} resolved (first day back to grade 0 after the last episode)",
               "ISO date; empty if it did not occur or is unresolved",
               lambda r: "" if unresolved(get(r)) else _iso(get(r).resolution_date)),
        Column(f"{prefix}_unresolved",
               f"{name} not resolved by the last assessment (or fatal)",
               "yes / no", lambda r: _yes_no(unresolved(get(r)))),
        Column(f"{prefix}_episodes",
               "Separate episodes (a recurrence after resolution counts again)",
               "integer ≥ 0", lambda r: str(get(r).episodes)),
    ]


def unresolved(s: SyndromeCourse) -> bool:
    """Occurred and no resolution day: still present, or the patient died of it."""
    return s.occurred and (s.ongoing or s.resolution_date is None)


def _nhs_digits(header: EpisodeHeader) -> str:
    return header.nhs_number.replace(" ", "")


def _product_name(code: str) -> str:
    from app.products import products

    try:
        product = products().get(code)
    except Exception:  # the export must not depend on a readable product file
        product = None
    return product.name if product is not None else ""


def _alive(course: CourseSummary) -> str:
    if course.alive_at_day_28 is None:
        return "unknown"
    return _yes_no(course.alive_at_day_28)


COLUMNS: tuple[Column, ...] = (
    Column("episode_id", "This app's episode number (one CAR-T infusion)", "integer",
           lambda r: str(r.header.episode_id)),
    Column("nhs_number", "NHS number", "10 digits, no spaces; empty if none recorded",
           lambda r: _nhs_digits(r.header)),
    Column("hospital_number", "Local hospital number", "text; may be empty",
           lambda r: r.header.hospital_number or ""),
    Column("date_of_birth", "Date of birth", "ISO date (YYYY-MM-DD)",
           lambda r: _iso(r.header.date_of_birth)),
    Column("sex", "Sex as recorded", "female / male / other / unknown",
           lambda r: r.header.sex),
    Column("product_code", "CAR-T product (resources/products.json code)", "text",
           lambda r: r.header.product_code),
    Column("product_name", "International non-proprietary name of the product", "text",
           lambda r: _product_name(r.header.product_code)),
    Column("infusion_date", "Date of CAR-T infusion = day 0 (ward local date, RULES T1)",
           "ISO date", lambda r: _local_date(r.header.infused_at, r.tz)),
    *_syndrome_columns("crs", lambda c: c.crs, "CRS"),
    *_syndrome_columns("icans", lambda c: c.icans, "ICANS"),
    Column("tocilizumab_doses", "Tocilizumab doses given (current records)", "integer ≥ 0",
           lambda r: str(r.course.tocilizumab_doses)),
    Column("corticosteroids_given", "Any corticosteroid dose given", "yes / no",
           lambda r: _yes_no(r.course.steroid_doses > 0)),
    Column("corticosteroid_doses", "Corticosteroid doses given", "integer ≥ 0",
           lambda r: str(r.course.steroid_doses)),
    Column("icu_transfer", "Transferred to intensive care", "yes / no",
           lambda r: _yes_no(r.course.icu_transfer)),
    Column("icu_transfer_date", "Date of ICU transfer", "ISO date; empty if none",
           lambda r: _local_date(r.course.icu_transfer_at, r.tz)),
    Column("alive_day_28", "Alive 28 days after infusion",
           "yes / no / unknown (day 28 not yet reached and no death recorded)",
           lambda r: _alive(r.course)),
    Column("date_of_death", "Date of death", "ISO date; empty if none recorded",
           lambda r: _iso(r.course.death_date) if r.course.death_date
           else _local_date(r.course.died_at, r.tz)),
    Column("death_cause", "Attributed cause of death as recorded",
           "crs / icans / disease_progression / infection / other; empty if none",
           lambda r: r.course.death_cause or ""),
)


def registry_row(record: RegistryRecord) -> dict[str, str]:
    return {c.name: c.value(record) for c in COLUMNS}


def infused_episode_ids(ctx: AppContext) -> list[int]:
    """Every episode with an infusion recorded, oldest infusion first."""
    with ctx.database.read() as session:
        ids = session.scalars(
            select(Episode.id)
            .where(Episode.infused_at.is_not(None))
            .order_by(Episode.infused_at, Episode.id)
        ).all()
    return list(ids)


def registry_csv(ctx: AppContext, actor: Actor) -> tuple[bytes, list[int]]:
    """The CSV bytes (UTF-8, header row, RFC 4180 quoting) and the episodes it holds.

    Checks the permission itself: identifiable data must never leave through a caller that
    forgot to (SAFETY.md, registry export is haematologists only).
    """
    from app.services.ward import course_summary, episode_header

    require(actor, Action.REGISTRY_EXPORT)

    ids = infused_episode_ids(ctx)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[c.name for c in COLUMNS])
    writer.writeheader()
    for episode_id in ids:
        record = RegistryRecord(
            header=episode_header(ctx, actor, episode_id),
            course=course_summary(ctx, actor, episode_id),
            tz=ctx.tz,
        )
        writer.writerow(registry_row(record))
    return buffer.getvalue().encode("utf-8"), ids


def export_registry_csv(ctx: AppContext, actor: Actor, path: str | os.PathLike[str]) -> int:
    """`python -m app export --out FILE.csv`: write the export atomically; rows written.

    Haematologists only (SAFETY.md: identifiable export); one audit event per export.
    """
    require(actor, Action.REGISTRY_EXPORT)
    exported_at = ctx.clock()
    data, ids = registry_csv(ctx, actor)
    # Audit before the data leaves the app: a failed write leaves an audited attempt,
    # never an unaudited file.
    audit_report(
        ctx, actor, exported_at, "export_registry",
        entity="registry", entity_id=None,
        details={"episodes": len(ids), "episode_ids": ids, "file": os.fspath(path)},
        data=data,
    )
    write_atomically(path, data)
    return len(ids)


def data_dictionary_markdown() -> str:
    """The data dictionary table for README.md ("Reports") (kept in step by a test)."""
    lines = ["| Column | Meaning | Values |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.meaning} | {c.values} |" for c in COLUMNS]
    return "\n".join(lines)
