"""Bulk entry from a JSON Lines file: `python -m app import FILE.jsonl` (issue 3).

For downtime paper charts and other e-obs systems. One JSON object per line, either an
assessment (RULES §6 keys) or a drug administration. Every line goes through the same
service call as the form (app.services.assessments.record_assessment /
app.services.administrations.record_administration), so it is validated exactly like the
form, in its own transaction: a bad line is reported as "line N: reason" and nothing from it
is stored; good lines are stored.

Re-importing a file never duplicates: each line carries an idempotency key made from its
line number and its exact bytes, so the same line at the same place is recognised as
already stored (and a corrected line, being different, is a new record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.actor import Actor
from app.context import AppContext
from app.errors import ConfirmationRequired, ServiceError
from app.nhs_number import normalise_nhs_number
from app.validation import KNOWN_FIELDS, parse_assessed_at, parse_number
from app.validation.parsing import Bad, shown

MAX_LINE_BYTES = 100_000  # a real line is under 2 kB; refuse megabyte lines early
KEY_PREFIX = "import-"

COMMON_KEYS = frozenset({"nhs_number", "kind"})
ASSESSMENT_KEYS = COMMON_KEYS | KNOWN_FIELDS | {"assessed_at", "baseline", "confirm"}
ADMINISTRATION_KEYS = COMMON_KEYS | {
    "drug",
    "drug_name",
    "dose",
    "dose_unit",
    "route",
    "given_at",
    "override_reason",
}
# RULES §6 keys the app derives from the episode and its history (never typed): named in
# the message so a line copied from the grading interface is easy to fix.
DERIVED_KEYS = frozenset(
    {
        "age_years",
        "developmental_delay",
        "spo2_scale",
        "crs_previously_diagnosed",
        "antipyretic_or_anticytokine_given",
        "case_id",
    }
)


class LineError(Exception):
    """A line that cannot be read: str(error) is the reason shown after "line N: "."""


@dataclass(frozen=True)
class AssessmentLine:
    nhs_number: str
    values: dict[str, Any]  # RULES §6 keys plus assessed_at, as given (the service checks)
    confirmations: dict[str, str]
    is_baseline: bool


@dataclass(frozen=True)
class AdministrationLine:
    nhs_number: str
    drug: str
    dose: float
    dose_unit: str
    route: str
    given_at: datetime
    override_reason: str | None
    drug_name: str | None = None  # the name of an "other" drug (the dialog's Drug name)


@dataclass(frozen=True)
class ImportSummary:
    stored: int  # records written by this import
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    total: int = 0  # non-blank lines read
    already_stored: int = 0  # lines recognised from an earlier import of the same file


def idempotency_key(line_no: int, line: bytes) -> str:
    """64 characters (the column's size), stable for this line at this line number."""
    digest = hashlib.sha256(f"{line_no}\n".encode() + line).hexdigest()
    return (KEY_PREFIX + digest)[:64]


def _text(obj: Mapping[str, Any], key: str, *, required: bool, default: str = "") -> str:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise LineError(f"{key} is missing")
        return default
    if not isinstance(value, str):
        raise LineError(f"{key} must be text, got {shown(value)}")
    return value.strip()


def _nhs_number(obj: Mapping[str, Any]) -> str:
    value = obj.get("nhs_number")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise LineError(
            f"nhs_number must be the patient's 10-digit NHS number as text, got {shown(value)}"
        )
    try:
        return normalise_nhs_number(value)
    except ValueError as error:
        raise LineError(str(error)) from None


def _check_keys(obj: Mapping[str, Any], allowed: frozenset[str], kind: str) -> None:
    for key in obj:
        if key in allowed:
            continue
        if key in DERIVED_KEYS:
            raise LineError(f"{key} is worked out by the app from the patient's record; remove it")
        raise LineError(
            f"unknown key {shown(key)} for an {kind} line; check the spelling "
            "(the keys are listed in the README, section 'Bulk import')"
        )


def _confirmations(obj: Mapping[str, Any]) -> dict[str, str]:
    value = obj.get("confirm")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LineError('confirm must be an object like {"temperature_c": "re-measured"}')
    out: dict[str, str] = {}
    for name, reason in value.items():
        if not isinstance(reason, str) or not reason.strip():
            raise LineError(f"confirm.{name} must be the reason, as text")
        out[name] = reason.strip()
    return out


def parse_line(text: str, tz: ZoneInfo) -> AssessmentLine | AdministrationLine:
    """One line of the file, checked for shape only; values are checked by the services."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise LineError("not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise LineError(f"not valid JSON ({error})") from None
    if not isinstance(obj, dict):
        raise LineError("each line must be one JSON object {...}")
    kind = obj.get("kind")
    if kind == "assessment":
        _check_keys(obj, ASSESSMENT_KEYS, "assessment")
        nhs = _nhs_number(obj)
        if obj.get("assessed_at") in (None, ""):
            raise LineError("assessed_at is missing: give the time the observations were taken")
        baseline = obj.get("baseline", False)
        if not isinstance(baseline, bool):
            raise LineError(f"baseline must be true or false, got {shown(baseline)}")
        values = {k: v for k, v in obj.items() if k in KNOWN_FIELDS or k == "assessed_at"}
        return AssessmentLine(nhs, values, _confirmations(obj), baseline)
    if kind == "administration":
        _check_keys(obj, ADMINISTRATION_KEYS, "administration")
        nhs = _nhs_number(obj)
        dose = parse_number(obj.get("dose"))
        if isinstance(dose, Bad) or dose is None:
            reason = dose.reason if isinstance(dose, Bad) else "missing"
            raise LineError(f"dose is {reason}; give the dose given as a number, e.g. 640")
        given_text = obj.get("given_at")
        if given_text in (None, ""):
            raise LineError("given_at is missing: give the time the drug was given")
        try:
            given_at = parse_assessed_at(given_text, tz)
        except ValueError as error:
            raise LineError(f"given_at: {error}") from None
        override = obj.get("override_reason")
        if override is not None and not isinstance(override, str):
            raise LineError(f"override_reason must be text, got {shown(override)}")
        return AdministrationLine(
            nhs_number=nhs,
            drug=_text(obj, "drug", required=True),
            dose=float(dose),
            # "drug": "other" needs the drug's name, as the dialog's Drug name field does
            drug_name=_text(obj, "drug_name", required=False, default="") or None,
            dose_unit=_text(obj, "dose_unit", required=False, default="mg"),
            route=_text(obj, "route", required=False, default="IV"),
            given_at=given_at,
            override_reason=(override.strip() or None) if override is not None else None,
        )
    raise LineError(f'kind must be "assessment" or "administration", got {shown(kind)}')


def _store(
    ctx: AppContext, actor: Actor, parsed: AssessmentLine | AdministrationLine, key: str
) -> bool:
    """Store one parsed line; True when it was already stored by an earlier import."""
    from app.services.administrations import record_administration
    from app.services.assessments import record_assessment
    from app.services.ward import find_episode_by_nhs

    episode_id = find_episode_by_nhs(ctx, actor, parsed.nhs_number).episode_id
    if isinstance(parsed, AssessmentLine):
        row: Any = record_assessment(
            ctx,
            actor,
            episode_id,
            parsed.values,
            confirmations=parsed.confirmations,
            idempotency_key=key,
            is_baseline=parsed.is_baseline,
        )
    else:
        row = record_administration(
            ctx,
            actor,
            episode_id,
            drug=parsed.drug,
            drug_name=parsed.drug_name,
            dose=parsed.dose,
            dose_unit=parsed.dose_unit,
            route=parsed.route,
            given_at=parsed.given_at,
            override_reason=parsed.override_reason,
            idempotency_key=key,
        )
    return bool(getattr(row, "already_stored", False))


def _reason(error: ServiceError, parsed: AssessmentLine | AdministrationLine | None) -> str:
    """The service's message, plus how to confirm an improbable value in this file format:
    an assessment line names each field under "confirm", a drug line gives one
    "override_reason" (as the drug dialog's reason field)."""
    if not isinstance(error, ConfirmationRequired):
        return str(error)
    if isinstance(parsed, AdministrationLine):
        return f'{error} — to store it, add "override_reason": "<reason>" to the line'
    fields = ", ".join(f'"{p.field}": "<reason>"' for p in error.problems)
    return f'{error} — to store it, add "confirm": {{{fields}}} to the line'


def import_lines(ctx: AppContext, actor: Actor, data: bytes) -> ImportSummary:
    """Import the bytes of a JSON Lines file; see the module docstring."""
    stored = already = total = 0
    rejected: list[tuple[int, str]] = []
    for line_no, raw_line in enumerate(data.split(b"\n"), start=1):
        line = raw_line.rstrip(b"\r")
        if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):  # a BOM from Windows editors
            line = line[3:]
        if not line.strip():
            continue
        total += 1
        parsed: AssessmentLine | AdministrationLine | None = None
        try:
            if len(line) > MAX_LINE_BYTES:
                raise LineError(f"longer than {MAX_LINE_BYTES:,} bytes; one record per line")
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                raise LineError("not UTF-8 text; save the file as UTF-8") from None
            parsed = parse_line(text, ctx.tz)
            if _store(ctx, actor, parsed, idempotency_key(line_no, line)):
                already += 1
            else:
                stored += 1
        except LineError as error:
            rejected.append((line_no, str(error)))
        except ServiceError as error:
            rejected.append((line_no, _reason(error, parsed)))
        except Exception as error:  # one faulty line must not stop the rest of the file
            rejected.append(
                (line_no, f"unexpected error, nothing stored ({type(error).__name__}: {error})")
            )
    return ImportSummary(stored=stored, rejected=rejected, total=total, already_stored=already)


def import_jsonl(ctx: AppContext, actor: Actor, path: str | Path) -> ImportSummary:
    """Import FILE.jsonl. OSError (missing or unreadable file) is left to the caller."""
    return import_lines(ctx, actor, Path(path).read_bytes())


def format_summary(summary: ImportSummary) -> str:
    """The report printed by the command line."""
    parts = [f"{summary.stored} stored"]
    if summary.already_stored:
        parts.append(f"{summary.already_stored} already imported earlier (not stored again)")
    parts.append(f"{len(summary.rejected)} rejected")
    noun = "line" if summary.total == 1 else "lines"
    lines = [f"{summary.total} {noun} read: " + ", ".join(parts) + "."]
    if summary.rejected:
        lines.append("Nothing from a rejected line was stored; fix these lines and import again:")
        lines.extend(f"line {no}: {reason}" for no, reason in summary.rejected)
    return "\n".join(lines)
