"""CSV and XLSX files the product writes, inert: no cell is ever run as a formula (OWASP "CSV injection").

Spreadsheet programs run a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before
one) as a formula: ``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``. Text people typed (titles, names, notes) is therefore
written to CSV with a leading apostrophe when it starts so, which spreadsheets show as text and the importer strips
again (``csv_value``). XLSX cells have types: every text is written as a string cell, never a formula, so it reads
exactly as typed. Numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell for CSV: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_value(text: str) -> str:
    """A CSV cell as read back: the apostrophe ``csv_cell`` put before a formula-like text removed."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS) else text


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as CSV in UTF-8 with a byte order mark (so that Excel reads Chinese right), every cell inert."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell("" if cell is None else cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_append(sheet: Any, row: Sequence[Any]) -> None:
    """Append a row to an openpyxl sheet (ordinary or write-only) with every text as a string cell: openpyxl would
    otherwise store a text starting with ``=`` as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    if isinstance(sheet, WriteOnlyWorksheet):
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
            cells.append(value)
        sheet.append(cells)
        return
    sheet.append(list(row))
    for column, value in enumerate(row, start=1):
        if isinstance(value, str):
            cell = sheet.cell(row=sheet.max_row, column=column)
            cell.value, cell.data_type = value, "s"
