"""The attendance list and the report of an event as CSV or Excel, for the organiser (the callers check who
asks)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheets import csv_bytes, xlsx_append
from matching.models import Agreement

from .models import Registration
from .outcomes import EventReport


def attendance_header() -> list[str]:
    return [_("Name"), _("Organisation"), _("E-mail"), _("Status"), _("Checked in at")]


def attendance_rows(registrations: Iterable[Registration]) -> list[list[object]]:
    """One row per registration: name, organisation, e-mail, status and the local check-in time (or None)."""
    return [
        [
            (registration.person_name),
            (registration.organization.name),
            (registration.person_email),
            str(registration.get_status_display()),
            timezone.localtime(registration.checked_in_at).replace(tzinfo=None) if registration.checked_in_at else None,
        ]
        for registration in registrations
    ]


def attendance_csv(registrations: Iterable[Registration]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel reads the Chinese names right; times as ``YYYY-MM-DD HH:MM``."""
    rows = [[f"{cell:%Y-%m-%d %H:%M}" if hasattr(cell, "strftime") else (cell or "") for cell in row]
            for row in attendance_rows(registrations)]  # fmt: skip
    return csv_bytes([attendance_header(), *rows])


def attendance_xlsx(registrations: Iterable[Registration], *, title: str = "") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Attendance")
    xlsx_append(sheet, attendance_header())
    for row in attendance_rows(registrations):
        xlsx_append(sheet, row)
        if row[4] is not None:
            sheet.cell(row=sheet.max_row, column=5).number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip("ABCDE", (18, 30, 30, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
    if title:
        workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The event report ------------------------------------------------------------------------------------------


CENTS = Decimal("0.01")


def report_figures(report: EventReport) -> list[tuple[str, int | Decimal]]:
    """The report's figures with their labels, in the order pages and exports show them."""
    return [
        (_("Registrations"), report.registrations),
        (_("Confirmed"), report.confirmed),
        (_("Waiting list"), report.waiting),
        (_("Cancelled"), report.cancelled),
        (_("Attended"), report.attended),
        (_("Meetings held"), report.meetings_held),
        (_("Agreements signed"), report.agreements),
        (_("Agreements total (10k CNY)"), report.agreements_total_wan.quantize(CENTS)),
    ]


def agreement_header() -> list[str]:
    return [
        _("Signed on"), _("Achievement"), _("Achievement's organisation"), _("Need"), _("Need's organisation"),
        _("Cooperation mode"), _("Amount (10k CNY)"), _("Note"),
    ]  # fmt: skip


def agreement_rows(agreements: Iterable[Agreement]) -> list[list[object]]:
    """One row per agreement: the date, both listings with their organisations, mode, amount (or None) and note."""
    return [
        [
            agreement.signed_on,
            (agreement.achievement.title),
            (agreement.achievement.organization.name),
            (agreement.need.title) if agreement.need_id else "",
            (agreement.need.organization.name) if agreement.need_id else "",
            str(agreement.get_mode_display()),
            agreement.amount_wan,
            (agreement.note),
        ]
        for agreement in agreements
    ]


def report_csv(report: EventReport, agreements: Iterable[Agreement]) -> bytes:
    """The figures (two columns), an empty line, then the agreements with their header; UTF-8 with a byte order
    mark, dates as ``YYYY-MM-DD``."""
    rows: list[list[object]] = [[_("Figure"), _("Value")]]
    rows += [[label, str(value)] for label, value in report_figures(report)]
    rows += [[], agreement_header()]
    rows += [[cell.isoformat() if hasattr(cell, "isoformat") else cell for cell in row]
             for row in agreement_rows(agreements)]  # fmt: skip
    return csv_bytes(rows)


def report_xlsx(report: EventReport, agreements: Iterable[Agreement], *, title: str = "") -> bytes:
    """Two sheets: the figures, and the agreements (dates as dates, amounts as numbers)."""
    workbook = Workbook()
    figures = workbook.active
    figures.title = _("Report")
    xlsx_append(figures, [_("Figure"), _("Value")])
    for label, value in report_figures(report):
        xlsx_append(figures, [label, value])
    figures.column_dimensions["A"].width = 28
    sheet = workbook.create_sheet(_("Agreements"))
    xlsx_append(sheet, agreement_header())
    for row in agreement_rows(agreements):
        xlsx_append(sheet, row)
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGH", (12, 30, 24, 30, 24, 16, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
    if title:
        workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
