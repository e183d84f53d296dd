"""Reading and writing posting records in the benchmark format (JSONL), and CSV and XLSX with the same columns.

Reading yields ``(row_number, dict)`` pairs: JSONL counts lines from 1; CSV and XLSX count spreadsheet rows as a
spreadsheet shows them, the header being row 1 (the first record is row 2). Undecodable or malformed input becomes a
``RowError`` naming the row, never an exception.

A ``RowError`` keeps its reason as a message to translate (a lazy gettext message with named placeholders, ours or a
Django validator's) and its parameters, not as text: an import runs in a Celery task where nobody's language is
active, and the people who read its errors (the uploader, staff) may read different languages. ``reason`` says it
in the active language, ``reasons()`` in every language the product speaks (what an import job stores).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import csv_bytes, csv_value, xlsx_append

FORMATS = ("jsonl", "csv", "xlsx")

ACHIEVEMENT_COLUMNS = [
    "ref", "title", "summary", "domains", "keywords", "trl", "ip", "patent_numbers", "modes", "price_wan",
    "province", "city", "institution", "lang",
]  # fmt: skip
NEED_COLUMNS = [
    "ref", "title", "description", "domains", "keywords", "min_trl", "budget_wan", "modes", "region_scope",
    "province", "city", "enterprise", "deadline", "lang",
]  # fmt: skip
CONTACT_COLUMNS = ["contact_name", "contact_phone", "contact_email"]
LIST_COLUMNS = {"domains", "keywords", "modes", "patent_numbers"}


def render(message: str | Promise, params: Mapping[str, Any] | None = None) -> str:
    """A message in the active language: a lazy message (ours or Django's, plural forms included) is translated, a
    plain string (a service's message, already translated) is what it says."""
    if params:
        return str(message % params)
    return str(message)


def in_every_language(message: str | Promise, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The message in each language of the product, keyed by language code."""
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            texts[language] = render(message, params)
    return texts


@dataclass(frozen=True)
class RowError:
    """A problem of one row (0: of the whole file) in one column (the column's key, as the file's header names it;
    "file", "json" and "csv" where no column is at fault)."""

    row: int
    field: str
    message: str | Promise
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    @property
    def reason(self) -> str:
        return render(self.message, self.params)

    def reasons(self) -> dict[str, str]:
        return in_every_language(self.message, self.params)

    def __str__(self) -> str:
        if self.row:
            return gettext("row %(row)d, %(column)s: %(reason)s") % {
                "row": self.row, "column": self.field, "reason": self.reason
            }  # fmt: skip
        return gettext("file, %(column)s: %(reason)s") % {"column": self.field, "reason": self.reason}


class UnknownFormat(ValueError):
    """A file name whose suffix is none of the formats."""

    message = _('Cannot tell the format of "%(name)s": use a .jsonl, .csv or .xlsx file.')

    def __init__(self, name: str) -> None:
        self.params = {"name": name}
        super().__init__(render(self.message, self.params))


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "json", "ndjson"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise UnknownFormat(name)


@dataclass(frozen=True)
class Limits:
    """How much a file may hold: records, and for XLSX how large its parts may inflate (a zip bomb is a small file
    whose sheet inflates to gigabytes) and how much larger than they are stored."""

    rows: int = 200_000
    xlsx_bytes: int = 200 * 1024 * 1024
    xlsx_ratio: int = 200


class TooLarge(Exception):
    """The file is over a limit: it is refused whole, before or while it is read."""

    def __init__(self, message: str | Promise, params: Mapping[str, Any] | None = None) -> None:
        self.message, self.params = message, dict(params or {})
        super().__init__(render(message, params))

    def row_error(self) -> RowError:
        return RowError(0, "file", self.message, self.params)


Record = tuple[int, dict[str, Any]]


def iter_records(data: bytes, fmt: str, limits: Limits = Limits()) -> Iterator[Record | RowError]:
    """The records of a file one by one, as ``(row number, dict)``, with a ``RowError`` where a row cannot be read;
    nothing but the current row is held. Raises ``TooLarge`` as soon as the file is known to be over ``limits``."""
    if fmt == "xlsx":
        _check_xlsx_size(data, limits)
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "xlsx": _read_xlsx}[fmt]
    count = 0
    for item in reader(data):
        if not isinstance(item, RowError):
            count += 1
            if count > limits.rows:
                raise _over(item[0], limits.rows)
        yield item


def read_records(data: bytes, fmt: str, limits: Limits = Limits()) -> tuple[list[Record], list[RowError]]:
    """All records of a file, with the errors met while reading it; a file over ``limits`` gives one error and no
    records (it is refused as soon as that is known, before the rest is read)."""
    rows: list[Record] = []
    errors: list[RowError] = []
    try:
        for item in iter_records(data, fmt, limits):
            if isinstance(item, RowError):
                errors.append(item)
            else:
                rows.append(item)
    except TooLarge as error:
        return [], [error.row_error()]
    if not rows and not errors:
        errors.append(RowError(0, "file", _("the file holds no records")))
    return rows, errors


def _check_xlsx_size(data: bytes, limits: Limits) -> None:
    """Refuse a workbook whose parts would inflate past the limit, from the sizes its zip directory declares
    (nothing is inflated to find out); the reader is bounded by rows too, should a part lie about its size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        return  # not a zip: the reader says the workbook is unreadable
    inflated = sum(part.file_size for part in parts)
    stored = max(sum(part.compress_size for part in parts), 1)
    if inflated > limits.xlsx_bytes:
        raise TooLarge(_("the workbook inflates to %(size)d MB, over the limit of %(limit)d MB: split it, or save "
                         "it as CSV"), {"size": inflated // 2**20, "limit": limits.xlsx_bytes // 2**20})  # fmt: skip
    if inflated > 10 * 2**20 and inflated / stored > limits.xlsx_ratio:
        raise TooLarge(_("the workbook inflates %(ratio)d times (over %(limit)d): it is not a spreadsheet of "
                         "records"), {"ratio": inflated // stored, "limit": limits.xlsx_ratio})  # fmt: skip


def _over(row: int, limit: int) -> TooLarge:
    return TooLarge(
        _("the file holds more than %(limit)d records (row %(row)d): split it into files of %(limit)d at most"),
        {"limit": limit, "row": row},
    )


def _read_jsonl(data: bytes) -> Iterator[Record | RowError]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield RowError(0, "file", _("not UTF-8 text (%(problem)s at byte %(byte)d)"),
                       {"problem": error.reason, "byte": error.start})  # fmt: skip
        return
    for number, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield RowError(number, "json", _("malformed JSON: %(problem)s at column %(column)d"),
                           {"problem": error.msg, "column": error.colno})  # fmt: skip
            continue
        if not isinstance(value, dict):
            yield RowError(number, "json", _("each line must be a JSON object"))
            continue
        yield number, value


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB18030 (a superset of GBK, what Excel in China saves). A UTF-8 byte
    order mark before GBK text (an editor's doing) is dropped, not read as two Chinese characters of the header."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.removeprefix(codecs.BOM_UTF8).decode("gb18030")


def _read_csv(data: bytes) -> Iterator[Record | RowError]:
    try:
        text = _decode_text(data)
    except UnicodeDecodeError as error:
        yield RowError(0, "file", _("neither UTF-8 nor GBK text (%(problem)s at byte %(byte)d)"),
                       {"problem": error.reason, "byte": error.start})  # fmt: skip
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for number, record in enumerate(reader, start=2):
            if None in record:
                yield RowError(number, "csv", _("more cells than the header has columns"))
                continue
            if any((value or "").strip() for value in record.values()):
                yield (
                    number,
                    {key.strip(): csv_value(value) if isinstance(value, str) else value for key, value in record.items()
                     if key},
                )  # fmt: skip
    except csv.Error as error:
        yield RowError(reader.line_num, "csv", _("unreadable CSV: %(problem)s"), {"problem": str(error)})


def _read_xlsx(data: bytes) -> Iterator[Record | RowError]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        yield RowError(0, "file", _("not a readable XLSX workbook (%(problem)s)"), {"problem": type(error).__name__})
        return
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            return
        names = [str(cell).strip() if cell is not None else "" for cell in header]
        for number, values in enumerate(iterator, start=2):
            if all(value is None or str(value).strip() == "" for value in values):
                continue
            yield number, {name: value for name, value in zip(names, values, strict=False) if name}
    finally:
        workbook.close()


def write_records(records: Sequence[dict[str, Any]], columns: list[str], fmt: str) -> bytes:
    if fmt == "jsonl":
        lines = [json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False) for r in records]
        return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    flat = [{c: _flat(r.get(c)) for c in columns} for r in records]
    if fmt == "csv":  # inert (text that looks like a formula gets an apostrophe), with a BOM for Excel
        return csv_bytes([columns, *([row[c] for c in columns] for row in flat)])
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("records")
        xlsx_append(sheet, columns)
        for row in flat:
            xlsx_append(sheet, [row[c] for c in columns])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def _flat(value: Any) -> Any:
    """A cell for CSV/XLSX: lists joined with '; ', a price range as 'min-max', nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, int | float) for v in value):
            return f"{_number(value[0])}-{_number(value[1])}"
        return "; ".join(str(v) for v in value)
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
