"""Role enablement, the pharmacist's and administrator's pages, printing and the audit trail
from the menu, on windows built for real accounts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.actor import Actor, Role
from app.context import AppContext
from app.permissions import Action, denial_message, is_allowed
from db.models import AuditEvent
from tests.gui.conftest import Ward
from tests.gui_integration.conftest import visible_text

pytestmark = pytest.mark.gui


@pytest.fixture
def open_window(qtbot: Any, gui_ctx: AppContext) -> Iterator[Any]:
    from app.gui import window_factory

    windows: list[Any] = []

    def make(actor: Actor) -> Any:
        window = window_factory(gui_ctx, synchronous=True, poll_ms=0)(actor)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.print_preview is not None:
            window.print_preview.close()
        window.close()


def audit_events(ctx: AppContext, action: str) -> list[AuditEvent]:
    with ctx.database.read() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        session.expunge_all()
        return list(rows)


@pytest.mark.parametrize("username", ["nurse", "haem", "pharm", "admin"])
def test_each_main_action_is_enabled_exactly_for_the_roles_that_may(
    open_window: Any, ward: Ward, accounts: dict[str, Actor], username: str,
) -> None:
    actor = accounts[username]
    window = open_window(actor)
    checked = 0
    for action, needed in window.permission_map().items():
        if is_allowed(actor, needed):
            if window.clinical:  # the stock "dialog" is the pharmacist's page itself
                assert action.isEnabled(), action.text()
        else:
            assert not action.isEnabled(), action.text()
            assert action.toolTip() == denial_message(actor, needed)
            checked += 1
    assert window.audit_action.isEnabled()
    assert window.switch_user_action.isEnabled()
    if actor.role is Role.NURSE:
        assert checked == 2  # resolve alert, registry export
        assert "may not identifiable registry export" in window.registry_action.toolTip()


def test_pharmacist_lands_on_the_stock_panel_and_sees_no_patient(
    open_window: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    window = open_window(accounts["pharm"])
    window.refresh()  # a poll must not load the ward for a pharmacist either
    assert window.centralWidget() is window.role_page
    assert window.role_page.receive_button.isEnabled()  # stock actions are theirs
    text = visible_text(window).lower()
    assert "tocilizumab stock" in window.role_page.windowTitle().lower()
    for identifier in ("smith", "jones", "999 000 0018", "9990000018"):
        assert identifier not in text
    assert window.board.model.rowCount() == 0 and window.ward_rows == []


def test_admin_adds_a_user_and_sees_no_clinical_data(
    open_window: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    window = open_window(accounts["admin"])
    panel = window.role_page

    def fill(dialog: Any) -> bool:
        dialog.username.setText("jsmith")
        dialog.display_name.setText("Jo Smith")
        dialog.role.setCurrentIndex(dialog.role.findData("haematologist"))
        dialog.password.setText("another good password")
        dialog.repeat.setText("another good password")
        dialog.create_button.click()
        return bool(dialog.result())

    panel.exec_dialog = fill
    assert panel.add_user()
    assert "jsmith" in [u.username for u in panel.model.rows()]
    assert "smith, anna" not in visible_text(window).lower()


def test_handover_preview_saves_and_prints_the_very_bytes_that_were_audited(
    open_window: Any, ward: Ward, accounts: dict[str, Actor], gui_ctx: AppContext,
    tmp_path: Path,
) -> None:
    from PySide6.QtPrintSupport import QPrinter

    window = open_window(accounts["nurse"])
    window.print_handover_action.trigger()
    preview = window.print_preview
    assert preview is not None and preview.document.pageCount() >= 1

    target = tmp_path / "handover.pdf"
    preview.ask_save_path = lambda: target
    preview.save_button.click()
    preview.save_button.click()  # saving twice re-writes, never re-builds
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    preview.ask_printer = lambda: printer
    preview.print_button.click()

    saved = target.read_bytes()
    assert saved == preview.data and saved.startswith(b"%PDF")
    events = audit_events(gui_ctx, "print_handover")
    assert len(events) == 1  # one build, one audit event, however often it is saved/printed
    assert (events[0].after or {}).get("sha256") == hashlib.sha256(saved).hexdigest()
    assert (tmp_path / "printed.pdf").stat().st_size > 0
    assert "Sent 1 page" in preview.message.text() or "pages to the printer" in (
        preview.message.text())


def test_patient_summary_is_for_the_open_patient(
    open_window: Any, ward: Ward, accounts: dict[str, Actor], gui_ctx: AppContext,
) -> None:
    window = open_window(accounts["haem"])
    window.open_episode(ward.child)
    window.summary_action.trigger()
    events = audit_events(gui_ctx, "print_patient_summary")
    assert [e.episode_id for e in events] == [ward.child]
    digest = hashlib.sha256(window.print_preview.data).hexdigest()
    assert digest == (events[0].after or {}).get("sha256")


def test_registry_export_is_for_haematologists_only(
    open_window: Any, ward: Ward, accounts: dict[str, Actor], gui_ctx: AppContext,
    tmp_path: Path,
) -> None:
    nurse_window = open_window(accounts["nurse"])
    assert not nurse_window.registry_action.isEnabled()
    assert nurse_window.registry_action.toolTip() == denial_message(
        accounts["nurse"], Action.REGISTRY_EXPORT)

    window = open_window(accounts["haem"])
    target = tmp_path / "registry.csv"
    window.ask_save_path = lambda *_args: target
    window.registry_action.trigger()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 2  # header and both infused episodes
    assert len(audit_events(gui_ctx, "export_registry")) == 1
    assert "2 episodes written" in window.statusBar().currentMessage()


def test_audit_trail_opens_from_the_menu_scoped_to_the_user(
    open_window: Any, ward: Ward, accounts: dict[str, Actor],
) -> None:
    window = open_window(accounts["nurse"])
    window.print_handover_action.trigger()  # one event of the nurse's own
    window.print_preview.close()
    window.audit_action.trigger()
    viewer = window.audit_window
    assert viewer is not None and viewer.isVisible()
    users = {viewer.model.row_at(r).username for r in range(viewer.model.rowCount())}
    assert users == {"nurse"}  # nurses see their own events (issue 7)


def test_extra_screenshots_show_the_print_preview_and_the_stock_page(
    gui_ctx: AppContext, ward: Ward, tmp_path: Path, qapp: Any,
) -> None:
    from app.gui import screenshots

    names = {p.name for p in screenshots(gui_ctx, tmp_path, extras=True)}
    assert {"print_preview.png", "stock_panel.png", "ward_board.png"} <= names
    assert (tmp_path / "print_preview.png").stat().st_size > 10_000
