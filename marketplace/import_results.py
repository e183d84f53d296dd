"""How an import job's outcome is shown to whoever reads it, in their language (the active one): the errors by row,
column and reason, and a dry run's preview of the rows as they would be written.

A job keeps each error's reason in every language the product speaks (``import_jobs`` says why); the reader's is
shown, else the default language's. The row is the file's row as a spreadsheet shows it (the header is row 1; in
JSONL, the line); the column is its key, as the template's header (and the reader's file) spells it, the file itself
or the line where no column is at fault. A preview keeps codes (domains, province, city, modes, status), named here
with the names of the reader's language, in a few queries for all its lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reference.models import City, Domain, Province

from .models import Achievement, CooperationMode, ImportJob, Need, Status


@dataclass(frozen=True)
class ErrorLine:
    row: int  # 0: the whole file
    column: str
    reason: str


@dataclass(frozen=True)
class PreviewLine:
    row: int
    created: bool  # else an existing posting of the same reference is updated
    kind: str
    ref: str
    title: str
    organization: str
    domains: str
    region: str
    modes: str
    status: str


def _pseudo_columns() -> dict[str, str]:
    return {"file": _("the whole file"), "json": _("the line"), "csv": _("the row")}


def column_name(column: str) -> str:
    """A column as the reader knows it: its key (the header of the template and of their file), or what is at fault
    when no column is."""
    return _pseudo_columns().get(column, column)


def reason_in(texts: Any, language: str | None = None) -> str:
    """A reason kept in several languages, in ``language`` (the active one), else the default's; a job stored before
    reasons were kept per language holds one text."""
    if not isinstance(texts, dict):
        return str(texts)
    language = language or get_language() or settings.LANGUAGE_CODE
    for candidate in (language, language.split("-")[0], settings.LANGUAGE_CODE):
        for code, text in texts.items():
            if code == candidate or code.split("-")[0] == candidate:
                return text
    return next(iter(texts.values()), "")


def job_errors(job: ImportJob) -> list[ErrorLine]:
    return [
        ErrorLine(row=row, column=column_name(column), reason=reason_in(texts)) for row, column, texts in job.errors
    ]


def _region(province: str, city: str) -> str:
    return province if not city or city == province else f"{province} {city}"


def job_preview(job: ImportJob) -> list[PreviewLine]:
    """The dry run's first rows, named in the active language."""
    lines = job.preview or []
    domain_codes = {code for line in lines for code in line.get("domains", [])}
    domains = {d.code: d.name for d in Domain.objects.filter(code__in=domain_codes)}
    provinces = {p.code: p.name for p in Province.objects.filter(code__in={line.get("province") for line in lines})}
    cities = {c.code: c.name for c in City.objects.filter(code__in={line.get("city") for line in lines} - {None})}
    modes = dict(CooperationMode.choices)
    statuses = {**dict(Status.choices), "held": _("published; the edit waits for review by platform staff")}
    kinds = {"achievements": Achievement._meta.verbose_name, "needs": Need._meta.verbose_name}
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return [
        PreviewLine(
            row=line["row"],
            created=line["action"] == "create",
            kind=str(kinds.get(line["kind"], line["kind"])),
            ref=line["ref"],
            title=line["title"],
            organization=line.get("organization", ""),
            domains=separator.join(domains.get(code, code) for code in line.get("domains", [])),
            region=_region(provinces.get(line.get("province"), ""), cities.get(line.get("city"), "")),
            modes=separator.join(str(modes.get(code, code)) for code in line.get("modes", [])),
            status=str(statuses.get(line["status"], line["status"])),
        )
        for line in lines
    ]
