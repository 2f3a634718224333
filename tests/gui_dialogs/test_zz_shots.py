# scratch, not committed: screenshots of every dialog
from datetime import date
import pytest
from app.services import tocilizumab as t
from tests.gui_dialogs.conftest import HAEM, NURSE, PHARM, active_episode, planned_episode, show

pytestmark = pytest.mark.gui

def test_shots(qtbot, dctx):
    from widgets.register_dialog import RegisterDialog
    from widgets.infusion_dialog import InfusionDialog
    from widgets.administration_dialog import AdministrationDialog
    from widgets.outcome_dialog import OutcomeDialog
    from widgets.stock_panel import StockPanel
    planned = planned_episode(dctx)
    active = active_episode(dctx, nhs="9990000026", weight=29.9, family="Jones")
    t.receive_vials(dctx, PHARM, strength_mg=400, batch="B1", expiry_date=date(2026, 3, 30), location="pharmacy", count=3)
    t.receive_vials(dctx, PHARM, strength_mg=80, batch="C7", expiry_date=date(2027, 1, 31), location="ward", count=5)
    v = t.receive_vials(dctx, PHARM, strength_mg=200, batch="D2", expiry_date=date(2026, 9, 30), location="ward", count=2)
    t.reserve_for_episode(dctx, PHARM, planned, vial_ids=[1])
    d = RegisterDialog(dctx, NURSE); show(qtbot, d); d.nhs_number.setText("9990000019"); d.family_name.setText("X")
    d.accept(); d.grab().save("/tmp/register.png")
    d = InfusionDialog(dctx, NURSE, planned); show(qtbot, d); d.grab().save("/tmp/infusion_nurse.png")
    d = InfusionDialog(dctx, HAEM, planned); show(qtbot, d); d.grab().save("/tmp/infusion_haem.png")
    d = AdministrationDialog(dctx, NURSE, active); show(qtbot, d)
    d.drug.setCurrentIndex(0); d.grab().save("/tmp/admin.png")
    d = OutcomeDialog(dctx, NURSE, active, outcome="death"); show(qtbot, d); d.grab().save("/tmp/outcome.png")
    p = StockPanel(dctx, PHARM); show(qtbot, p); p.grab().save("/tmp/stock.png")
    from widgets.stock_panel import ReserveDialog, ReceiveDialog
    r = ReserveDialog(dctx, PHARM, episode_id=planned, vial_ids=[]); show(qtbot, r); r.grab().save("/tmp/reserve.png")
    r = ReceiveDialog(dctx, PHARM); show(qtbot, r); r.grab().save("/tmp/receive.png")
