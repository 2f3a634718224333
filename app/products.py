"""The CAR-T product table (resources/products.json): tocilizumab requirement per SmPC.

RULES E6: the requirement is data per product, not code, because SmPCs change. A trust can
edit the shipped file or point `CARWARD_PRODUCTS_FILE` at its own. The file is validated at
start; a malformed file is refused with `ProductTableError` naming the line and the reason,
so the pharmacist who edited it can fix it (we never run on a half-understood table).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

ENV_VAR = "CARWARD_PRODUCTS_FILE"
FORMAT_VERSION = 1
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")  # fits episode.product_code (40 chars)
_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_MAX_DOSES_ON_SITE = 10
_MAX_WINDOW_HOURS = 72.0


class ProductTableError(Exception):
    """The product file is malformed; str() names the file, the line and what to fix."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"Product table {where}: {reason}")


@dataclass(frozen=True)
class Product:
    code: str  # key stored on episode.product_code
    name: str  # international non-proprietary name
    brand: str
    indications: tuple[str, ...]
    tocilizumab_doses_on_site: int  # doses reserved for the patient before infusion (E6)
    resupply_window_hours: float  # a further dose obtainable within this time of each dose
    smpc_version: str
    smpc_date: str | None  # YYYY, YYYY-MM or YYYY-MM-DD as the source gives it; None unknown
    smpc_certainty: str  # confirmed | uncertain (REFERENCE §3.1 marks)
    smpc_note: str

    @property
    def label(self) -> str:
        return f"{self.brand} ({self.name})"

    @property
    def requirement_text(self) -> str:
        doses = "dose" if self.tocilizumab_doses_on_site == 1 else "doses"
        return (
            f"{self.tocilizumab_doses_on_site} {doses} of tocilizumab on site for the patient; "
            f"a further dose within {self.resupply_window_hours:g} h of each dose given "
            f"({self.smpc_version})"
        )


def default_path() -> Path:
    """The trust's file from CARWARD_PRODUCTS_FILE if set, else the shipped table."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return _shipped_path()


@functools.cache
def _shipped_path() -> Path:
    # Resolved once: importlib.resources costs ~0.1 ms a call, and the board asks per row.
    return Path(str(resources.files("resources").joinpath("products.json")))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _product_offsets(text: str) -> list[int]:
    """Character offsets where each element of the top-level "products" array starts.

    `json` gives no positions for values, so walk the (already valid) document with
    raw_decode, which returns where each value ends.
    """
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 0)
    if not text.startswith("{", i):
        return []
    i = _skip_ws(text, i + 1)
    offsets: list[int] = []
    while i < len(text) and text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, _skip_ws(text, i) + 1)  # past ':'
        if key == "products" and text.startswith("[", i):
            found: list[int] = []
            i = _skip_ws(text, i + 1)
            while text[i] != "]":
                found.append(i)
                _, i = decoder.raw_decode(text, i)
                i = _skip_ws(text, i)
                if text[i] == ",":
                    i = _skip_ws(text, i + 1)
            offsets = found  # a duplicate key: json keeps the last, so do we
            i += 1
        else:
            _, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
    return offsets


class _Fields:
    """Typed access to one JSON object, with messages naming the product and field."""

    def __init__(self, obj: Mapping[str, Any], where: str) -> None:
        self.obj = obj
        self.where = where

    def problem(self, message: str) -> ValueError:
        return ValueError(f"{self.where}: {message}")

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.obj.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.problem(f'"{key}" must be a non-empty text, got {json.dumps(value)}')
        return value.strip()

    def sub(self, key: str) -> _Fields:
        value = self.obj.get(key)
        if not isinstance(value, dict):
            raise self.problem(f'"{key}" must be an object {{...}}, got {json.dumps(value)}')
        return _Fields(value, f'{self.where} "{key}"')

    def check_keys(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.obj) - allowed)
        if unknown:
            raise self.problem(
                f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )


def _parse_product(raw: object, index: int) -> Product:
    if not isinstance(raw, dict):
        raise ValueError(f"product {index + 1} must be an object {{...}}")
    code_value = raw.get("code")
    where = f"product {code_value!r}" if isinstance(code_value, str) else f"product {index + 1}"
    f = _Fields(raw, where)
    f.check_keys({"code", "name", "brand", "indications", "tocilizumab", "smpc"})
    code = f.text("code")
    if not _CODE.match(code):
        raise f.problem(
            f'"code" {code!r} must be lower-case letters, digits and _ (2-40 characters), '
            'e.g. "axicabtagene_ciloleucel"'
        )
    indications = raw.get("indications")
    if (
        not isinstance(indications, list)
        or not indications
        or not all(isinstance(x, str) and x.strip() for x in indications)
    ):
        raise f.problem('"indications" must be a non-empty list of texts')

    toci = f.sub("tocilizumab")
    toci.check_keys({"doses_on_site", "resupply_window_hours"})
    doses = toci.obj.get("doses_on_site")
    if (
        isinstance(doses, bool)
        or not isinstance(doses, int)
        or not 1 <= doses <= _MAX_DOSES_ON_SITE
    ):
        raise toci.problem(
            f'"doses_on_site" must be a whole number 1-{_MAX_DOSES_ON_SITE}, '
            f"got {json.dumps(doses)}"
        )
    window = toci.obj.get("resupply_window_hours")
    if (
        isinstance(window, bool)
        or not isinstance(window, int | float)
        or not 0 < window <= _MAX_WINDOW_HOURS
    ):
        raise toci.problem(
            f'"resupply_window_hours" must be a number of hours above 0 and at most '
            f"{_MAX_WINDOW_HOURS:g}, got {json.dumps(window)}"
        )

    smpc = f.sub("smpc")
    smpc.check_keys({"version", "date", "certainty", "note"})
    smpc_date = smpc.obj.get("date")
    if smpc_date is not None and (
        not isinstance(smpc_date, str) or not _PARTIAL_DATE.match(smpc_date)
    ):
        raise smpc.problem(
            f'"date" must be YYYY, YYYY-MM, YYYY-MM-DD or null, got {json.dumps(smpc_date)}'
        )
    certainty = smpc.text("certainty")
    if certainty not in {"confirmed", "uncertain"}:
        raise smpc.problem(f'"certainty" must be "confirmed" or "uncertain", got {certainty!r}')
    return Product(
        code=code,
        name=f.text("name"),
        brand=f.text("brand"),
        indications=tuple(x.strip() for x in indications),
        tocilizumab_doses_on_site=doses,
        resupply_window_hours=float(window),
        smpc_version=smpc.text("version"),
        smpc_date=smpc_date,
        smpc_certainty=certainty,
        smpc_note=smpc.text("note", optional=True),
    )


def parse_products(text: str, source: str = "<text>") -> Mapping[str, Product]:
    """Validate the table's text; ProductTableError(line, reason) on the first problem."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProductTableError(source, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(document, dict):
        raise ProductTableError(source, 1, 'the file must be one object {"format": 1, ...}')
    if document.get("format") != FORMAT_VERSION:
        raise ProductTableError(
            source,
            1,
            f'"format" must be {FORMAT_VERSION} (got {json.dumps(document.get("format"))})',
        )
    unknown = sorted(set(document) - {"format", "about", "products"})
    if unknown:
        raise ProductTableError(source, 1, f"unknown top-level key {unknown[0]!r}")
    raw_products = document.get("products")
    if not isinstance(raw_products, list) or not raw_products:
        raise ProductTableError(source, 1, '"products" must be a non-empty list [...]')
    offsets = _product_offsets(text)
    products: dict[str, Product] = {}
    brands: dict[str, str] = {}
    for index, raw in enumerate(raw_products):
        line = _line(text, offsets[index]) if index < len(offsets) else None
        try:
            product = _parse_product(raw, index)
        except ValueError as exc:
            raise ProductTableError(source, line, str(exc)) from None
        if product.code in products:
            raise ProductTableError(
                source, line, f"product code {product.code!r} appears twice; codes must be unique"
            )
        brand_key = product.brand.casefold()
        if brand_key in brands:
            raise ProductTableError(
                source,
                line,
                f"brand {product.brand!r} is used by both {brands[brand_key]!r} and "
                f"{product.code!r}",
            )
        products[product.code] = product
        brands[brand_key] = product.code
    return MappingProxyType(products)


def load_products(path: str | Path | None = None) -> Mapping[str, Product]:
    """code -> Product from `path`, else CARWARD_PRODUCTS_FILE, else the shipped table."""
    file = Path(path) if path is not None else default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProductTableError(str(file), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProductTableError(str(file), None, f"cannot be read: {exc}") from None
    return parse_products(text, str(file))


_cache: dict[str, Mapping[str, Product]] = {}


def products() -> Mapping[str, Product]:
    """The table in use, loaded once per process (per file path) and validated."""
    key = str(default_path())
    if key not in _cache:
        _cache[key] = load_products(key)
    return _cache[key]


def get_product(code: str) -> Product:
    """The product for an episode's product_code; KeyError names the codes that exist."""
    table = products()
    try:
        return table[code]
    except KeyError:
        raise KeyError(
            f"unknown CAR-T product {code!r}; the product table lists: {', '.join(table)}"
        ) from None


def iter_products() -> Iterator[Product]:
    return iter(products().values())


def _known(code: str) -> Product | None:
    try:
        return products().get(code)
    except ProductTableError:  # a name on screen or paper must not fail on a broken table
        return None


def display_name(code: str) -> str:
    """"Yescarta (axicabtagene ciloleucel)" for the identity header; the code itself when
    the product is not in the table (never hide what is stored)."""
    product = _known(code)
    return product.label if product is not None else code


def brand(code: str) -> str:
    """"Yescarta": the name nurses know the product by (ward board); else the code."""
    product = _known(code)
    return product.brand if product is not None else code
