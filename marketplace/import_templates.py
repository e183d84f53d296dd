"""The files organisations fill in to import: the import's columns, one example row written with the labels the
interface shows in the reader's language (the importer takes them back as they are), and in XLSX a sheet of the
allowed values with drop-down lists on the one-value coded columns."""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from core.spreadsheets import xlsx_append
from reference.models import Domain

from .models import Achievement, CooperationMode, Language, Need
from .records import CONTACT_COLUMNS, write_records

EXAMPLE_ROWS = 1000  # rows of the XLSX template that carry the drop-down lists


def _label(choice: Any) -> str:
    return str(choice.label)


def _example(kind: str, columns: list[str]) -> dict[str, Any]:
    """One example record in the active language, with labels, not codes, where the interface shows labels."""
    chinese = translation.get_language() != "en"
    battery = Domain.objects.filter(code="battery_materials").values_list("name_zh", "name_en").first() or ("", "")
    modes = [_label(CooperationMode.LICENSE), _label(CooperationMode.CO_DEVELOPMENT)]
    common = {
        "domains": battery[0] if chinese else battery[1],
        "keywords": "固态电池、硫化物电解质" if chinese else "solid-state battery; sulfide electrolyte",
        "modes": "、".join(modes) if chinese else "; ".join(modes),
        "province": "安徽省" if chinese else "Anhui",
        "city": "合肥市" if chinese else "Hefei",
        "lang": _label(Language.ZH if chinese else Language.EN),
        "contact_name": "张工" if chinese else "Zhang Wei",
        "contact_phone": "0551-12345678",
        "contact_email": "tech-transfer@example.edu.cn",
    }
    if kind == "achievements":
        record = {
            "ref": _("EXAMPLE-A1"),
            "title": "一种硫化物固态电解质及其制备方法" if chinese else "Sulfide solid electrolyte and how it is made",
            "summary": (
                "室温离子电导率达 10 mS/cm，对锂金属稳定，已完成百克级中试，适用于车用固态电池。"
                if chinese
                else "Room-temperature ionic conductivity of 10 mS/cm, stable against lithium metal, made at 100 g "
                "pilot scale; for automotive solid-state cells."
            ),
            "trl": 5,
            "ip": _label(Achievement.IPStatus.GRANTED_PATENT),
            "patent_numbers": "ZL202110000000.0",
            "price_wan": "50-100",
            "institution": _("Example University"),
        }
    else:
        record = {
            "ref": _("EXAMPLE-N1"),
            "title": "车用固态电池电解质量产工艺" if chinese else "Mass production of solid electrolytes for cars",
            "description": (
                "需要可放大的固态电解质制备工艺，年产百吨级，成本低于每公斤 500 元。"
                if chinese
                else "We need a scalable process for solid electrolytes, 100 t a year, under 500 yuan per kg."
            ),
            "min_trl": 5,
            "budget_wan": 200,
            "region_scope": _label(Need.RegionScope.NATIONAL),
            "enterprise": _("Example Battery Co., Ltd."),
            "deadline": "2027-12-31",
        }
    return {column: {**common, **record}.get(column) for column in columns}


def _allowed(kind: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(column, heading, [(label, code)]) for each coded column, labels in the active language."""
    chinese = translation.get_language() != "en"
    names = Domain.objects.values_list("code", "name_zh", "name_en")
    domains = [(zh if chinese else en, code) for code, zh, en in names]
    lists = [
        ("lang", _("language"), [(_label(c), c.value) for c in Language]),
        ("modes", _("cooperation modes"), [(_label(c), c.value) for c in CooperationMode]),
        ("domains", _("domains"), domains),
    ]
    if kind == "achievements":
        lists.insert(0, ("ip", _("IP status"), [(_label(c), c.value) for c in Achievement.IPStatus]))
    else:
        lists.insert(0, ("region_scope", _("region scope"), [(_label(c), c.value) for c in Need.RegionScope]))
    return lists


def template_file(*, kind: str, fmt: str, columns: list[str]) -> bytes:
    """The template in the active language: the columns, an example row, and for XLSX the allowed values."""
    columns = columns + CONTACT_COLUMNS
    example = _example(kind, columns)
    if fmt != "xlsx":
        return write_records([example], columns, fmt)
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "records"
    xlsx_append(sheet, columns)
    xlsx_append(sheet, [example[c] for c in columns])
    allowed = workbook.create_sheet(_("allowed values"))
    xlsx_append(allowed, [_("Delete the example row before importing. Coded columns take a label or a code; "
                            "columns of several values separate them with 、 or ;")])  # fmt: skip
    for index, (column, heading, values) in enumerate(_allowed(kind)):
        label_column = get_column_letter(2 * index + 1)
        xlsx_cells(allowed, 2, 2 * index + 1, [f"{column}: {heading}", _("code")])
        for row, (label, code) in enumerate(values, start=3):
            xlsx_cells(allowed, row, 2 * index + 1, [label, code])
        if column in ("ip", "region_scope", "lang"):  # one value each: a drop-down list
            source = f"{quote_sheetname(allowed.title)}!${label_column}$3:${label_column}${len(values) + 2}"
            validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False)
            target = get_column_letter(columns.index(column) + 1)
            validation.add(f"{target}2:{target}{EXAMPLE_ROWS}")
            sheet.add_data_validation(validation)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_cells(sheet: Any, row: int, column: int, values: list[Any]) -> None:
    """Write values from (row, column) rightwards, every text a string cell (never a formula)."""
    for offset, value in enumerate(values):
        cell = sheet.cell(row=row, column=column + offset, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
