"""The attendance list of an event as CSV or Excel, for the organiser (the callers check who asks)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import Registration

# A cell starting with one of these is a formula to spreadsheet programs: names and e-mails are text, kept so.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def attendance_header() -> list[str]:
    return [_("Name"), _("Organisation"), _("E-mail"), _("Status"), _("Checked in at")]


def attendance_rows(registrations: Iterable[Registration]) -> list[list[object]]:
    """One row per registration: name, organisation, e-mail, status and the local check-in time (or None)."""
    return [
        [
            _text(registration.person_name),
            _text(registration.organization.name),
            _text(registration.person_email),
            str(registration.get_status_display()),
            timezone.localtime(registration.checked_in_at).replace(tzinfo=None) if registration.checked_in_at else None,
        ]
        for registration in registrations
    ]


def attendance_csv(registrations: Iterable[Registration]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel reads the Chinese names right; times as ``YYYY-MM-DD HH:MM``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(attendance_header())
    for row in attendance_rows(registrations):
        writer.writerow([f"{cell:%Y-%m-%d %H:%M}" if hasattr(cell, "strftime") else (cell or "") for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def attendance_xlsx(registrations: Iterable[Registration], *, title: str = "") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Attendance")
    sheet.append(attendance_header())
    for row in attendance_rows(registrations):
        sheet.append(row)
        if row[4] is not None:
            sheet.cell(row=sheet.max_row, column=5).number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip("ABCDE", (18, 30, 30, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
    if title:
        workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
