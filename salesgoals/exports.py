"""Tabular exports (CSV and XLSX) shared by pages and the API.

Every text cell goes through `neutralise` (OWASP "CSV injection"): a string a spreadsheet
would read as a formula — it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return — is written with a leading single quote, so Excel, LibreOffice and WPS show it as
text. Numbers stay numbers: real ints/floats/Decimals are never touched, and a string that is
just a number (the API renders decimals as strings, e.g. ``"-12.50"``) is kept as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?%?")


def neutralise(value: Any) -> Any:
    """A string that would start a spreadsheet formula, prefixed with ``'``; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return neutralise(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return neutralise("; ".join(f"{k}={v}" for k, v in value.items()))
    return "" if value is None else neutralise(value)


def xlsx_safe(value: Any) -> Any:
    """XLSX cannot hold control characters (openpyxl refuses the cell): they are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def columns_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None) -> bytes:
    columns = list(columns) if columns is not None else columns_of(rows)
    buffer = io.StringIO()
    # A BOM so that Excel opens UTF-8 (Chinese names) correctly.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(
    rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None, title: str = "export"
) -> bytes:
    columns = list(columns) if columns is not None else columns_of(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "export")
    sheet.append([xlsx_safe(neutralise(c)) for c in columns])
    for row in rows:
        sheet.append([xlsx_safe(_cell(row.get(c))) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
