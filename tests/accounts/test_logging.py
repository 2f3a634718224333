"""Log files never hold NHS numbers: services log internal ids, the filter redacts the rest."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.actor import Actor, Role
from app.errors import ServiceError
from app.logging_setup import NHS_SHAPED, close_logging, configure_logging, redact
from app.services.users import LoginFailed, authenticate

# Anything of ten digits: 3-3-4 with spaces/dashes, or a plain run.
ANY_TEN_DIGITS = re.compile(r"(?<!\d)(?:\d[ \-]?){9}\d(?!\d)")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = configure_logging(tmp_path / "logs")
    try:
        yield path
    finally:
        close_logging()


@pytest.mark.parametrize(
    "text",
    ["9990001234", "999 000 1234", "999-000-1234", "nhs=9990001234,", "x 999 0001234 y"],
)
def test_redact_nhs_shaped_strings(text: str) -> None:
    assert not NHS_SHAPED.search(redact(text))
    assert "[redacted" in redact(text)


def test_dates_times_and_ids_are_left_alone() -> None:
    for text in ["2026-03-10 10:22:33,123", "user_id=12 episode_id=345", "99900012345"]:
        assert redact(text) == text


def test_filter_redacts_arguments_and_tracebacks(log_file: Path) -> None:
    log = logging.getLogger("carward.test")
    log.warning("lookup failed for %s", "999 000 1234")
    try:
        raise ValueError("bad NHS number 9990001234")
    except ValueError:
        log.exception("oops")
    text = log_file.read_text()
    assert "lookup failed for [redacted-10-digits]" in text
    assert "ValueError: bad NHS number [redacted-10-digits]" in text
    assert not NHS_SHAPED.search(text)


def test_logs_go_to_the_platform_log_folder_by_default(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:  # fmt: skip
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_log_dir", lambda *a, **k: str(tmp_path / "plat"))
    try:
        path = configure_logging()
        assert path == tmp_path / "plat" / "carward.log"
    finally:
        close_logging()


def test_realistic_flow_writes_no_nhs_number(
    ctx: Any, make_user: Any, log_file: Path, caplog: pytest.LogCaptureFixture,
    fake_clock: Any,
) -> None:  # fmt: skip
    """Register a patient with an NHS number, record an assessment, fail logins: neither
    the raw log records (before redaction) nor the log file hold a ten-digit string."""
    caplog.set_level(logging.DEBUG)
    nurse = make_user(Role.NURSE)
    for _ in range(3):
        with pytest.raises(LoginFailed):
            authenticate(ctx, "nurse1", "9990001234", "ws-1")  # typed the NHS number!
    with pytest.raises(LoginFailed):
        authenticate(ctx, "999 000 1234", "whatever it is", "ws-1")
    flow = _register_and_assess(ctx, nurse, fake_clock)
    raw = "\n".join(r.getMessage() for r in caplog.records)
    assert "user_id=" in raw  # the flow really logged
    assert not ANY_TEN_DIGITS.search(raw), ANY_TEN_DIGITS.findall(raw)
    # The file: skip each line's own timestamp ("2026-03-10 10:00:00,123" is not an NHS no.)
    lines = [TIMESTAMP.sub("", line) for line in log_file.read_text().splitlines()]
    assert lines and not any(ANY_TEN_DIGITS.search(line) for line in lines)
    logging.getLogger("carward.test").info("flow steps done: %s", flow)


TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def _register_and_assess(ctx: Any, nurse: Actor, clock: Any) -> list[str]:
    """As much of the clinical flow as the services written so far support."""
    done: list[str] = []
    try:
        from app.services.patients import register_episode, register_patient
    except ImportError:
        return done
    patient = register_patient(
        ctx, nurse, nhs_number="999 000 0018", hospital_number=None, family_name="Test",
        given_name="Pat", date_of_birth=date(1970, 1, 1), sex="female",
    )  # fmt: skip
    done.append("patient")
    episode = register_episode(
        ctx, nurse, patient.id, product_code="axicabtagene_ciloleucel",
        planned_infusion_date=clock().date() + timedelta(days=1), weight_kg=70.0,
        consultant="Dr Who", ward="Haematology", bed="1",
    )  # fmt: skip
    done.append("episode")
    try:
        from app.services.assessments import record_assessment
    except ImportError:
        return done
    values = {
        "assessed_at": clock(), "temperature_c": 38.4, "heart_rate": 96, "systolic_bp": 118,
        "diastolic_bp": 70, "respiratory_rate": 18, "spo2_percent": 97,
    }  # fmt: skip
    try:
        record_assessment(ctx, nurse, episode.id, values, is_baseline=True)
        done.append("assessment")
    except ServiceError as error:
        logging.getLogger("carward.test").info("assessment refused: %s", type(error).__name__)
    return done
