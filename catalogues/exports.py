"""A collection as a spreadsheet: one row per posting in the curator's order, what its public page shows (never the
contact)."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.site import absolute_url
from core.spreadsheets import xlsx_append

from .models import Collection, CollectionItem


def _price(posting: object) -> str:
    low, high = getattr(posting, "price_min_wan", None), getattr(posting, "price_max_wan", None)
    if low is not None:
        return f"{low:g}–{high:g}" if high is not None and high != low else f"{low:g}"
    budget = getattr(posting, "budget_wan", None)
    return f"{budget:g}" if budget is not None else _("negotiable")


def collection_xlsx(collection: Collection, items: list[CollectionItem]) -> bytes:
    achievements = collection.kind == Collection.Kind.ACHIEVEMENTS
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Collection")[:31]
    header = [
        _("No."), _("Title"), _("Organisation"), _("Province"), _("City"), _("Domains"),
        _("Readiness level") if achievements else _("Lowest readiness"),
        _("Asking price (10k CNY)") if achievements else _("Budget (10k CNY)"),
        _("Cooperation modes"), _("Keywords"), _("Summary") if achievements else _("Description"), _("Link"),
    ]  # fmt: skip
    xlsx_append(sheet, header)
    for item in items:
        posting = item.posting
        xlsx_append(sheet, [
            item.position, posting.title, posting.organization.name, posting.province.name,
            posting.city.name if posting.city_id else "", ", ".join(d.name for d in posting.domains.all()),
            (posting.trl if achievements else posting.min_trl) or "", _price(posting),
            ", ".join(str(label) for label in posting.mode_labels), ", ".join(posting.keywords or []),
            posting.summary if achievements else posting.description,
            absolute_url(reverse("marketplace:detail", kwargs={"kind": collection.kind, "pk": posting.pk})),
        ])  # fmt: skip
    for column, width in zip("ABCDEFGHIJKL", (6, 40, 28, 12, 12, 24, 10, 16, 24, 30, 60, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "B2"
    workbook.properties.title = collection.title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
