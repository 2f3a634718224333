"""The product table (RULES E6): shipped data loads; a malformed file is refused with the
line and the reason, so a pharmacist editing it can fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.products import ENV_VAR, ProductTableError, load_products, parse_products

SHIPPED = Path(__file__).parents[2] / "resources" / "products.json"


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def test_shipped_table_has_the_five_products_with_the_current_requirement() -> None:
    table = load_products()
    assert {p.brand for p in table.values()} == {
        "Kymriah", "Yescarta", "Tecartus", "Breyanzi", "Aucatzyl",
    }  # fmt: skip
    for product in table.values():
        # Current EU/UK wording: 1 dose on site, a further dose within 8 h (REFERENCE §3.1).
        assert product.tocilizumab_doses_on_site == 1
        assert product.resupply_window_hours == 8
        assert product.smpc_version
        assert product.indications
    yescarta = table["axicabtagene_ciloleucel"]
    assert yescarta.smpc_certainty == "confirmed"
    assert "within 8 h" in yescarta.requirement_text


def test_a_trust_file_named_in_the_environment_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.loads(shipped_text())
    document["products"] = document["products"][:1]
    document["products"][0]["tocilizumab"]["doses_on_site"] = 2  # an older, stricter wording
    own = tmp_path / "trust-products.json"
    own.write_text(json.dumps(document, indent=2), encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(own))
    table = load_products()
    assert list(table) == ["tisagenlecleucel"]
    assert table["tisagenlecleucel"].tocilizumab_doses_on_site == 2


def product_line(text: str, code: str) -> int:
    """Line of the '{' opening the product with this code."""
    lines = text.splitlines()
    code_line = next(i for i, line in enumerate(lines) if f'"code": "{code}"' in line)
    return next(i for i in range(code_line, -1, -1) if lines[i].strip() == "{") + 1


@pytest.mark.parametrize(
    ("old", "new", "code", "reason"),
    [
        (
            '"tocilizumab": {"doses_on_site": 1, "resupply_window_hours": 8},\n'
            '      "smpc": {\n        "version": "EU SmPC 2024",\n        "date": "2024",',
            '"tocilizumab": {"doses_on_site": "one", "resupply_window_hours": 8},\n'
            '      "smpc": {\n        "version": "EU SmPC 2024",\n        "date": "2024",',
            "axicabtagene_ciloleucel",
            '"doses_on_site" must be a whole number',
        ),
        ('"brand": "Tecartus"', '"brand": ""', "brexucabtagene_autoleucel", '"brand" must be'),
        ('"date": "2025-05-08"', '"date": "8 May 2025"', "obecabtagene_autoleucel",
         '"date" must be YYYY'),
        ('"brand": "Breyanzi",', '"brand": "Breyanzi", "colour": "red",',
         "lisocabtagene_maraleucel", "unknown key 'colour'"),
        ('"brand": "Breyanzi"', '"brand": "yescarta"', "lisocabtagene_maraleucel",
         "brand 'yescarta' is used by both"),
    ],
)  # fmt: skip
def test_schema_error_names_the_line_where_the_product_starts(
    old: str, new: str, code: str, reason: str
) -> None:
    text = shipped_text()
    assert old in text
    bad = text.replace(old, new, 1)
    with pytest.raises(ProductTableError) as caught:
        parse_products(bad, "products.json")
    assert caught.value.line == product_line(bad, code)
    assert reason in caught.value.reason
    assert f"line {caught.value.line}" in str(caught.value)


def test_invalid_json_names_the_line_of_the_syntax_error() -> None:
    lines = shipped_text().splitlines()
    n = next(i for i, line in enumerate(lines) if '"brand": "Tecartus",' in line)
    lines[n] = lines[n].rstrip(",")  # a missing comma
    with pytest.raises(ProductTableError) as caught:
        parse_products("\n".join(lines), "products.json")
    assert caught.value.line == n + 2  # JSON notices at the next key
    assert "not valid JSON" in caught.value.reason


def test_duplicate_code_is_refused_at_the_second_product() -> None:
    text = shipped_text().replace(
        '"code": "brexucabtagene_autoleucel"', '"code": "axicabtagene_ciloleucel"'
    )
    with pytest.raises(ProductTableError, match="appears twice") as caught:
        parse_products(text)
    assert caught.value.line == product_line(text.replace(
        '"code": "axicabtagene_ciloleucel",\n      "name": "brexucabtagene',
        '"code": "SECOND",\n      "name": "brexucabtagene',
    ), "SECOND")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[]", "one object"),
        ('{"format": 2, "products": []}', '"format" must be 1'),
        ('{"format": 1, "products": []}', "non-empty list"),
        ('{"format": 1, "products": [{"code": "x1"}], "extra": 1}', "unknown top-level key"),
        ('{"format": 1,\n "products": [\n  42\n ]}', "must be an object"),
        ("", "not valid JSON"),
    ],
)
def test_whole_file_problems(text: str, reason: str) -> None:
    with pytest.raises(ProductTableError, match="line") as caught:
        parse_products(text)
    assert reason in caught.value.reason


def test_the_line_of_a_non_object_product() -> None:
    with pytest.raises(ProductTableError) as caught:
        parse_products('{"format": 1,\n "products": [\n  42\n ]}')
    assert caught.value.line == 3


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProductTableError, match="file not found"):
        load_products(tmp_path / "nope.json")
