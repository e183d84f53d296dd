"""Bulk import and export of achievements and needs.

Every row is validated before anything is written; if any row is wrong, nothing is written and the result lists
one error per problem (row, field, reason). Otherwise all rows are written in one transaction: a reference the
organisation already has updates that posting, a new one creates it. The command line, the upload form and the
admin all call ``import_records``.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Organization, User
from accounts.names import name_key
from accounts.services import organization_create
from core.exceptions import ApplicationError
from core.limits import BODY_MAX, KEYWORD_MAX
from reference.locations import PlaceError, get_resolver
from reference.models import Domain

from . import bulk, import_templates
from .models import MAX_KEYWORDS, Achievement, CooperationMode, Language, Need
from .records import (
    ACHIEVEMENT_COLUMNS,
    CONTACT_COLUMNS,
    NEED_COLUMNS,
    Limits,
    RowError,
    TooLarge,
    detect_format,
    iter_records,
    write_records,
)
from .search_index import index_postings

KINDS = ("achievements", "needs")
_LIST_SPLIT = re.compile(r"[;；|、\n]")
_COMMA_SPLIT = re.compile(r"[,，]")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|~|～|—|–|to|至)\s*(\d+(?:\.\d+)?)\s*$")
_INSTITUTE = re.compile(r"研究院|研究所|科学院|实验室|研究中心|institute|academy|laborator", re.IGNORECASE)
_CODED_SPLIT = re.compile(r"[/／]")  # coded columns also take "许可/合作开发" (never split keywords on "/": TCP/IP)


def _key(text: str) -> str:
    """A value as the vocabulary compares it: NFKC (full-width forms), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class Vocabulary:
    """What each coded column accepts, read once per import: the code, the Chinese label or the English label, as
    the interface shows them ("许可", "licence" and "license" are one mode; "电池材料" is a domain at any level)."""

    domains: dict[str, str]
    modes: dict[str, str]
    ip: dict[str, str]
    scopes: dict[str, str]
    languages: dict[str, str]

    @classmethod
    def load(cls) -> Vocabulary:
        domains: dict[str, str] = {}
        for code, name_zh, name_en in Domain.objects.values_list("code", "name_zh", "name_en"):
            for word in (name_en, name_zh, code):  # a code wins over a name spelt like it
                domains[_key(word)] = code
        languages = _labels(Language.choices)
        other_names = {"中文": "zh", "汉语": "zh", "zh-cn": "zh", "zh-hans": "zh", "英文": "en", "英语": "en",
                       "en-us": "en", "en-gb": "en"}  # fmt: skip
        languages.update({_key(word): code for word, code in other_names.items()})
        return cls(domains=domains, modes=_labels(CooperationMode.choices), ip=_labels(Achievement.IPStatus.choices),
                   scopes=_labels(Need.RegionScope.choices), languages=languages)  # fmt: skip


def _labels(choices: list[tuple[str, Any]]) -> dict[str, str]:
    """A choice's label in each language of the product, and its code, to the code."""
    found: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            found.update({_key(str(label)): code for code, label in choices})
    found.update({_key(code): code for code, _label in choices})
    return found


@dataclass(frozen=True)
class KindSpec:
    model: type[Achievement] | type[Need]
    columns: list[str]
    body: str
    owner_column: str


SPECS = {
    "achievements": KindSpec(Achievement, ACHIEVEMENT_COLUMNS, "summary", "institution"),
    "needs": KindSpec(Need, NEED_COLUMNS, "description", "enterprise"),
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    published: int = 0
    held: int = 0  # edits of published postings that wait for staff review
    unindexed: list[int] = field(default_factory=list)  # new postings, indexed for search after the commit
    written_seconds: float = 0.0  # from the start to the commit of the rows (then the search index is written)
    organizations_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # How many errors the file had in all; ``errors`` lists the first IMPORT_MAX_ERRORS of them.
    errors_total: int = 0
    dry_run: bool = False

    @property
    def errors_unlisted(self) -> int:
        return max(self.errors_total - len(self.errors), 0)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    ref: str
    owner: str
    fields: dict[str, Any]
    domains: list[str]


class _RowChecker:
    """Turns one raw record into model field values, collecting errors instead of stopping at the first."""

    def __init__(self, spec: KindSpec, number: int, raw: dict[str, Any], words: Vocabulary) -> None:
        self.spec, self.number, self.raw, self.words = spec, number, raw, words
        self.errors: list[RowError] = []

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, reason))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw.get(column)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(column, "is required")
        elif max_length and len(text) > max_length:
            self.error(column, f"is {len(text)} characters long; at most {max_length}")
        return text

    def items(self, column: str) -> list[str]:
        value = self.raw.get(column)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        text = str(value).strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return [str(v).strip() for v in parsed if str(v).strip()]
        parts = _LIST_SPLIT.split(text) if _LIST_SPLIT.search(text) else _COMMA_SPLIT.split(text)
        return [part.strip() for part in parts if part.strip()]

    def level(self, column: str) -> int | None:
        value = self.raw.get(column)
        if value is None or str(value).strip() == "":
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.error(column, f'"{value}" is not a whole number from 1 to 9')
            return None
        if number != number.to_integral_value() or not 1 <= number <= 9:
            self.error(column, f"{value} is outside the readiness scale 1-9")
            return None
        return int(number)

    def amount(self, value: Any, column: str) -> Decimal | None:
        if value is None or str(value).strip() == "":
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.error(column, f'"{value}" is not a number (万元)')
            return None
        if number < 0 or not number.is_finite():
            self.error(column, f"{value} must be a positive amount (万元)")
            return None
        return number

    def price_range(self, column: str) -> tuple[Decimal | None, Decimal | None]:
        value = self.raw.get(column)
        if value is None or value == "" or value == []:
            return None, None
        if isinstance(value, str):
            text = value.strip()
            match = _RANGE.match(text)
            if match:
                value = [match.group(1), match.group(2)]
            elif text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    self.error(column, f'"{text}" is not a price range such as [50, 100] or 50-100')
                    return None, None
            else:
                value = [text, text]
        if isinstance(value, int | float | Decimal):
            value = [value, value]
        if not isinstance(value, list) or len(value) != 2:
            self.error(column, f"{value!r} is not a price range [min, max]")
            return None, None
        low, high = self.amount(value[0], column), self.amount(value[1], column)
        if low is not None and high is not None and low > high:
            self.error(column, f"the lowest price {value[0]} is above the highest {value[1]}")
        return low, high

    def choices(self, column: str, allowed: dict[str, str]) -> list[str]:
        """The codes of a coded column's values (codes or labels, separated by 、 , ; | / or new lines)."""
        values = [part.strip() for item in self.items(column) for part in _CODED_SPLIT.split(item) if part.strip()]
        wrong = [v for v in values if _key(v) not in allowed]
        if wrong:
            self.error(column, f"unknown value(s) {', '.join(wrong)}; use {', '.join(sorted(set(allowed.values())))}")
        return list(dict.fromkeys(allowed[_key(v)] for v in values if _key(v) in allowed))

    def choice(self, column: str, allowed: dict[str, str], default: str) -> str:
        """The code of a one-value coded column (its code or label), or ``default`` when it is empty."""
        text = self.text(column)
        if not text:
            return default
        code = allowed.get(_key(text))
        if code is None:
            self.error(column, f'"{text}" is not one of {", ".join(sorted(set(allowed.values())))}')
            return default
        return code

    def check(self) -> _Row | None:
        spec, body_model = self.spec, self.spec.body
        ref = self.text("ref", required=True, max_length=64)
        fields: dict[str, Any] = {
            "external_ref": ref,
            "title": self.text("title", required=True, max_length=200),
            body_model: self.text(body_model, required=True, max_length=BODY_MAX),
            "modes": self.choices("modes", self.words.modes),
        }
        keywords = self.items("keywords")
        if len(keywords) > MAX_KEYWORDS:
            self.error("keywords", f"{len(keywords)} keywords; at most {MAX_KEYWORDS}")
        long_words = [word for word in keywords if len(word) > KEYWORD_MAX]
        if long_words:
            self.error("keywords", f"a keyword has at most {KEYWORD_MAX} characters ({len(long_words[0])} given)")
        fields["keywords"] = keywords[:MAX_KEYWORDS]
        domain_words = [part.strip() for item in self.items("domains") for part in _CODED_SPLIT.split(item)
                        if part.strip()]  # fmt: skip
        unknown = [word for word in domain_words if _key(word) not in self.words.domains]
        if unknown:
            self.error("domains", f"unknown domain code(s) or name(s) {', '.join(unknown)}")
        known = self.words.domains
        domains = list(dict.fromkeys(known[_key(word)] for word in domain_words if _key(word) in known))
        try:
            place = get_resolver().resolve_parts(self.text("province"), self.text("city") or None)
        except PlaceError as error:
            self.error("province" if not self.text("city") else "province/city", str(error))
        else:
            fields["province_id"], fields["city_id"] = place.province_code, place.city_code
        fields["language"] = self.choice(
            "lang", self.words.languages, default=_guess_language(fields["title"] + fields[body_model])
        )
        for column in CONTACT_COLUMNS:
            if column in self.raw:
                fields[column] = self.text(column, max_length=100)
        if spec.model is Achievement:
            fields["trl"] = self.level("trl")
            fields["ip_status"] = self.choice("ip", self.words.ip, default=Achievement.IPStatus.NONE)
            fields["patent_numbers"] = self.items("patent_numbers")
            fields["price_min_wan"], fields["price_max_wan"] = self.price_range("price_wan")
        else:
            fields["min_trl"] = self.level("min_trl")
            fields["budget_wan"] = self.amount(self.raw.get("budget_wan"), "budget_wan")
            fields["region_scope"] = self.choice("region_scope", self.words.scopes, default=Need.RegionScope.NATIONAL)
            fields["deadline"] = self.deadline()
        owner = self.text(spec.owner_column, max_length=200)
        return None if self.errors else _Row(self.number, ref, owner, fields, domains)

    def deadline(self) -> date | None:
        value = self.raw.get("deadline")
        if value is None or str(value).strip() == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            self.error("deadline", f'"{value}" is not a date such as 2026-12-31')
            return None


def _guess_language(text: str) -> str:
    cjk = sum(1 for char in text if "\u4e00" <= char <= "\u9fff")
    return Language.ZH if cjk * 4 >= len(text.strip() or "x") * 0.3 or cjk > 10 else Language.EN


def _guess_owner_kind(kind: str, name: str) -> str:
    if kind == "needs":
        return Organization.Kind.ENTERPRISE
    return Organization.Kind.RESEARCH_INSTITUTE if _INSTITUTE.search(name) else Organization.Kind.UNIVERSITY


Progress = Callable[[str, int, int], None]  # phase ("checking" or "writing"), rows done, rows in all
BATCH = 1000  # rows written per batch (one transaction holds them all)


class _Errors:
    """The first ``limit`` errors by row and field, and how many there were in all (1M bad rows list 200)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.total, self.kept = limit, 0, []

    def add(self, error: RowError) -> None:
        self.total += 1
        self.kept.append(error)
        if len(self.kept) >= 2 * self.limit + 100:
            self._trim()

    def _trim(self) -> None:
        self.kept.sort(key=lambda e: (e.row, e.field))
        del self.kept[self.limit :]

    def sorted(self) -> list[RowError]:
        self._trim()
        return self.kept


class _Clock:
    """The time an import may take (``IMPORT_MAX_SECONDS``), checked between rows."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise TooLarge(
                gettext("the import took more than %(seconds)d seconds: split the file") % {"seconds": self.seconds}
            )


@dataclass
class _Seen:
    """What the first pass keeps of a file: each owner's first row, and each reference's first row."""

    owners: dict[str, _Row] = field(default_factory=dict)
    refs: dict[tuple[str, str], int] = field(default_factory=dict)
    rows: int = 0


def import_records(
    *,
    kind: str,
    data: bytes,
    filename: str,
    organization: Organization | None = None,
    create_orgs: bool = False,
    publish: bool = False,
    dry_run: bool = False,
    by: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate every row of the file, then write all of them in one transaction, or none.

    The file is read twice and never held as records: the first pass checks every row and keeps only each
    reference and owner; when no row is wrong, the second pass checks each row again and writes it, in batches of
    ``BATCH`` through ``marketplace.bulk``. ``progress`` hears how far each pass is."""
    if kind not in SPECS:
        raise ValueError(f"Unknown kind {kind!r}; use achievements or needs.")
    spec = SPECS[kind]
    result = ImportResult(dry_run=dry_run)
    report = progress or (lambda phase, done, total: None)
    errors = _Errors(settings.IMPORT_MAX_ERRORS)
    try:
        fmt = detect_format(filename)
    except ValueError as error:
        result.errors = [RowError(0, "file", str(error))]
        result.errors_total = 1
        return result
    limits = Limits(rows=settings.IMPORT_MAX_ROWS, xlsx_bytes=settings.IMPORT_MAX_XLSX_MB * 2**20)
    clock = _Clock(settings.IMPORT_MAX_SECONDS)
    started = time.monotonic()
    words = Vocabulary.load()
    try:
        seen = _check_all(spec, data, fmt, limits, organization, words, errors, report, clock)
        owners = _resolve_owners(spec, seen, organization, create_orgs, errors)
        if errors.total:
            return _refused(result, errors)
        with transaction.atomic():
            _write(spec, data, fmt, limits, owners, words, seen.rows, publish, by, result, report, clock)
            if dry_run:
                transaction.set_rollback(True)
                result.unindexed = []
        result.written_seconds = time.monotonic() - started
    except TooLarge as error:
        errors.add(RowError(0, "file", str(error)))
        return _refused(result, errors)
    except ApplicationError as error:  # a rule the services check while writing (the transaction rolled back)
        errors.add(RowError(0, error.field or "file", error.message))
        return _refused(result, errors)
    # The new postings' search index rows, after the commit: derived data, like their matching (``index_sweep``
    # writes any that a crash here leaves out).
    total = len(result.unindexed)
    index_postings(spec.model, result.unindexed, progress=lambda done: report("indexing", done, total))
    return result


def _refused(result: ImportResult, errors: _Errors) -> ImportResult:
    result.created = result.updated = result.published = 0
    result.organizations_created = []
    result.errors, result.errors_total = errors.sorted(), errors.total
    return result


def _owner_key(organization: Organization | None, row: _Row) -> str:
    """The owner a row names, as organisations' names are compared (``accounts.names.name_key``: "清华 大学" is
    清华大学), or "" when every row belongs to the importing organisation."""
    return "" if organization is not None else name_key(row.owner)


def _check_all(
    spec: KindSpec,
    data: bytes,
    fmt: str,
    limits: Limits,
    organization: Organization | None,
    words: Vocabulary,
    errors: _Errors,
    report: Progress,
    clock: _Clock,
) -> _Seen:
    """The first pass: every row checked, nothing kept but what the second pass and the owners need."""
    seen = _Seen()
    for item in iter_records(data, fmt, limits):
        if isinstance(item, RowError):
            errors.add(item)
            continue
        number, raw = item
        seen.rows += 1
        if seen.rows % BATCH == 0:
            clock.check()
            report("checking", seen.rows, 0)
        checker = _RowChecker(spec, number, raw, words)
        row = checker.check()
        for error in checker.errors:
            errors.add(error)
        if row is None:
            continue
        key = (_owner_key(organization, row), row.ref)
        if key in seen.refs:
            errors.add(RowError(number, "ref", f'"{row.ref}" already appears on row {seen.refs[key]}'))
            continue
        seen.refs[key] = number
        if organization is None and not row.owner:
            errors.add(RowError(row.number, spec.owner_column, "is required (or import with --org)"))
        else:
            row.fields = {name: row.fields[name] for name in ("province_id", "city_id")}  # all an owner needs
            seen.owners.setdefault(_owner_key(organization, row), row)
    if not seen.rows and not errors.total:
        errors.add(RowError(0, "file", gettext("the file holds no records")))
    report("checking", seen.rows, seen.rows)
    return seen


def _resolve_owners(
    spec: KindSpec, seen: _Seen, organization: Organization | None, create_orgs: bool, errors: _Errors
) -> dict[str, Organization | _Row]:
    """Map each owner name to an organisation (or, with create_orgs, to the first row that names it)."""
    if organization is not None:
        return {"": organization}
    keys = list(seen.owners)
    existing: dict[str, Organization] = {}
    for start in range(0, len(keys), 1000):
        for found in Organization.objects.filter(name_key__in=keys[start : start + 1000]):
            existing.setdefault(found.name_key, found)
    owners: dict[str, Organization | _Row] = {}
    for key, row in seen.owners.items():
        if key in existing:
            owners[key] = existing[key]
        elif create_orgs:
            owners[key] = row
        else:
            errors.add(
                RowError(row.number, spec.owner_column, f'no organisation "{row.owner}"; use --create-orgs or --org')
            )
    return owners


def _write(
    spec: KindSpec,
    data: bytes,
    fmt: str,
    limits: Limits,
    owners: dict[str, Organization | _Row],
    words: Vocabulary,
    total: int,
    publish: bool,
    by: User | None,
    result: ImportResult,
    report: Progress,
    clock: _Clock,
) -> None:
    """The second pass, inside the import's transaction: each row checked again and written in batches."""
    for key, owner in list(owners.items()):
        if isinstance(owner, _Row):
            owners[key] = organization_create(
                name=owner.owner,
                kind=_guess_owner_kind("achievements" if spec.model is Achievement else "needs", owner.owner),
                province_id=owner.fields["province_id"],
                city_id=owner.fields["city_id"],
            )
            result.organizations_created.append(owner.owner)
    single = owners.get("") if len(owners) == 1 else None
    batch: list[bulk.Item] = []
    done = 0

    def flush() -> None:
        outcome = bulk.postings_save_many(model=spec.model, items=batch, by=by, publish=publish, index_new=False)
        result.unindexed += outcome.unindexed
        result.created += outcome.created
        result.updated += outcome.updated
        result.published += outcome.published
        result.held += outcome.held
        batch.clear()
        clock.check()
        report("writing", done, total)

    for item in iter_records(data, fmt, limits):
        if isinstance(item, RowError):  # the first pass found none; the file is the same bytes
            raise ApplicationError(str(item))
        row = _RowChecker(spec, item[0], item[1], words).check()
        if row is None:
            raise ApplicationError(gettext("Row %(row)d changed between the two passes.") % {"row": item[0]})
        organization = single if isinstance(single, Organization) else owners[name_key(row.owner)]
        assert isinstance(organization, Organization)  # noqa: S101 - created just above
        batch.append(bulk.Item(organization=organization, fields=row.fields, domain_codes=row.domains, row=row.number))
        done += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()


def export_rows(queryset: QuerySet, *, kind: str, include_contacts: bool = False) -> list[dict[str, Any]]:
    """Postings as records in the import format (contacts only when the caller may see them)."""
    spec = SPECS[kind]
    rows = []
    for posting in queryset.select_related("organization", "province", "city").prefetch_related("domains"):
        row: dict[str, Any] = {
            "ref": posting.external_ref or f"{kind[0].upper()}{posting.pk}",
            "title": posting.title,
            spec.body: getattr(posting, spec.body),
            "domains": [d.code for d in posting.domains.all()],
            "keywords": posting.keywords,
            "modes": posting.modes,
            "province": posting.province.name_zh,
            "city": posting.city.name_zh if posting.city else None,
            spec.owner_column: posting.organization.name,
            "lang": posting.language,
        }
        if isinstance(posting, Achievement):
            row.update(
                trl=posting.trl,
                ip=posting.ip_status,
                patent_numbers=posting.patent_numbers,
                price_wan=None
                if posting.price_min_wan is None and posting.price_max_wan is None
                else [_plain(posting.price_min_wan), _plain(posting.price_max_wan)],
            )
        else:
            row.update(
                min_trl=posting.min_trl,
                budget_wan=_plain(posting.budget_wan),
                region_scope=posting.region_scope,
                deadline=posting.deadline.isoformat() if posting.deadline else None,
            )
        if include_contacts:
            row.update({column: getattr(posting, column) for column in CONTACT_COLUMNS})
        rows.append(row)
    return rows


def export_records(queryset: QuerySet, *, kind: str, fmt: str, include_contacts: bool = False) -> bytes:
    columns = SPECS[kind].columns + (CONTACT_COLUMNS if include_contacts else [])
    return write_records(export_rows(queryset, kind=kind, include_contacts=include_contacts), columns, fmt)


def template_file(*, kind: str, fmt: str) -> bytes:
    """The file organisations fill in, in the active language (``import_templates``)."""
    return import_templates.template_file(kind=kind, fmt=fmt, columns=SPECS[kind].columns)


def _plain(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
