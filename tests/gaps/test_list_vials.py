"""list_vials: the stock panel's list of individual vials (replaces a 100-year
`expiring_within` horizon). Runs on SQLite and PostgreSQL (`ctx`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.context import AppContext
from app.errors import PermissionDenied, ValidationFailed
from app.services import tocilizumab as toci
from tests.services.conftest import ADMIN, NURSE, PHARMACIST, make_episode


def test_list_vials(ctx: AppContext) -> None:
    received = {}
    for strength, batch, expiry in ((400, "B-LATE", date(2027, 1, 31)),
                                    (80, "B-SOON", date(2026, 4, 1)),
                                    (200, "B-SOON2", date(2026, 4, 1))):
        received[batch] = toci.receive_vials(
            ctx, PHARMACIST, strength_mg=strength, batch=batch, expiry_date=expiry,
            location="pharmacy", count=2)
    episode_id = make_episode(ctx)
    late = received["B-LATE"]
    toci.reserve_for_episode(ctx, PHARMACIST, episode_id, vial_ids=[late[0].id])
    toci.waste_vial(ctx, PHARMACIST, received["B-SOON"][1].id, reason="dropped")

    usable = toci.list_vials(ctx, PHARMACIST)
    # Soonest expiry first, then the order received; the wasted vial is not usable.
    assert [(v.batch, v.status) for v in usable] == [
        ("B-SOON", "in_stock"), ("B-SOON2", "in_stock"), ("B-SOON2", "in_stock"),
        ("B-LATE", "reserved"), ("B-LATE", "in_stock"),
    ]
    assert [v.id for v in usable][-2:] == [late[0].id, late[1].id]
    assert [v.status for v in toci.list_vials(ctx, PHARMACIST, statuses=("wasted",))] == [
        "wasted"]
    # A nurse may look at stock; an administrator may not.
    assert len(toci.list_vials(ctx, NURSE)) == 5
    with pytest.raises(PermissionDenied):
        toci.list_vials(ctx, ADMIN)
    with pytest.raises(ValidationFailed, match="unknown vial status 'used'"):
        toci.list_vials(ctx, PHARMACIST, statuses=("in_stock", "used"))


@pytest.mark.gui
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_stock_panel_lists_every_usable_vial(
    qtbot: Any, sqlite_database: Any, fake_clock: Any
) -> None:
    """A vial expiring in 2040 is listed (no horizon), soonest expiry first; a wasted one
    is not."""
    from widgets.models import ROW_ROLE
    from widgets.stock_panel import StockPanel

    ctx = AppContext(sqlite_database, clock=fake_clock)
    far = toci.receive_vials(ctx, PHARMACIST, strength_mg=400, batch="FAR", location="pharmacy",
                             expiry_date=date(2040, 1, 31), count=1)
    soon = toci.receive_vials(ctx, PHARMACIST, strength_mg=80, batch="SOON", location="ward",
                              expiry_date=date(2026, 3, 20), count=2)
    toci.waste_vial(ctx, PHARMACIST, soon[1].id, reason="dropped")
    panel = StockPanel(ctx, PHARMACIST)
    qtbot.addWidget(panel)
    model = panel.vial_model
    listed = [model.index(r, 0).data(ROW_ROLE) for r in range(model.rowCount())]
    assert [(v.id, v.batch) for v in listed] == [(soon[0].id, "SOON"), (far[0].id, "FAR")]
    assert model.index(1, 3).data() == "31 Jan 2040"
