"""Rows → a real xlsx workbook (openpyxl, write-only: rows are streamed, not held as cells).

Each sheet has a header row: every key of every row, in the order first seen (as SheetJS's
``json_to_sheet``), then one line per row. ``None`` is an empty cell; numbers, booleans, dates
stay typed; dicts and lists are written as JSON; characters Excel cannot hold (control
characters) are dropped.

Example:
    >>> data = workbook_bytes({"SheetJS": [{"name": "Zoë", "age": 3}, {"name": "Baraka", "village": "Yala"}]})
    >>> data[:2]
    b'PK'
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from typing import Any, Iterable

__all__ = ["header_of", "workbook_bytes"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def header_of(rows: Iterable[dict]) -> list[str]:
    """Every key of ``rows``, in the order first seen."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(str(key), None)
    return list(seen)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, datetime, date)):
        return value
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return _ILLEGAL.sub("", str(value))


def workbook_bytes(sheets: dict[str, list[dict]]) -> bytes:
    """An xlsx file (bytes) with one sheet per key of ``sheets``, in order.

    Raises:
        TypeError: a sheet is not a list of dicts.
    """
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        if not isinstance(rows, (list, tuple)) or not all(isinstance(row, dict) for row in rows):
            raise TypeError(f"sheet {name!r} must be a list of row dicts")
        sheet = book.create_sheet(title=str(name)[:31])
        header = header_of(rows)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row.get(key)) for key in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
