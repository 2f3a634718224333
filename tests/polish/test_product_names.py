"""Products by the brand nurses know: "Yescarta" on the board (generic name in the
tooltip), "Yescarta (axicabtagene ciloleucel)" in the identity header of every patient
screen and dialog. An unknown code is shown as stored, never hidden."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.products import brand, display_name
from tests.gui.conftest import Ward
from tests.polish.board_rows import BASE
from widgets.ward_board import COL_PRODUCT, WardBoardModel


def test_brand_and_display_name_fall_back_to_the_code() -> None:
    assert brand("axicabtagene_ciloleucel") == "Yescarta"
    assert display_name("axicabtagene_ciloleucel") == "Yescarta (axicabtagene ciloleucel)"
    assert brand("some_new_product") == "some_new_product"
    assert display_name("some_new_product") == "some_new_product"


@pytest.mark.gui
def test_board_shows_the_brand_with_the_generic_name_as_tooltip(qtbot: Any) -> None:
    model = WardBoardModel()
    model.set_rows([BASE, replace(BASE, episode_id=2, product_code="axicabtagene_ciloleucel")])
    assert model.index(0, COL_PRODUCT).data() == "Breyanzi"
    assert model.index(1, COL_PRODUCT).data() == "Yescarta"
    tooltip = model.index(1, COL_PRODUCT).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "Yescarta (axicabtagene ciloleucel)"


@pytest.mark.gui
def test_identity_header_names_the_product_by_brand(window: Any, ward: Ward) -> None:
    window.open_episode(ward.adult)
    header = window.patient_view.identity
    assert "Product: Yescarta (axicabtagene ciloleucel)" in header.plain_text()
    assert "axicabtagene_ciloleucel" not in header.label.text()


def test_names_fall_back_to_the_code_when_the_table_is_broken(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "products.json"
    broken.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("CARWARD_PRODUCTS_FILE", str(broken))
    assert brand("axicabtagene_ciloleucel") == "axicabtagene_ciloleucel"
    assert display_name("axicabtagene_ciloleucel") == "axicabtagene_ciloleucel"
