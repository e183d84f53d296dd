"""Bulk import and export of achievements and needs.

Every row is validated before anything is written; if any row is wrong, nothing is written and the result lists
one error per problem (row, field, reason). Otherwise all rows are written in one transaction: a reference the
organisation already has updates that posting, a new one creates it. The command line, the upload form and the
admin all call ``import_records``.

Errors are in the reader's words: each names the row as a spreadsheet shows it (the header is row 1; in JSONL the
line) and the column by its key, as the template's header and the file's header spell it (the templates do not
translate headers, so a key is what the reader sees); each reason is a gettext message with named placeholders
(``records.RowError``), Django's own validators' messages included (``_RowChecker.validate`` runs the model fields'
validators in the first pass, so that a bad e-mail is row 7's ``contact_email``, not a failure of the write). Lists
of allowed values are said with the labels of the reader's language (``_Labels``, rendered when the message is).

With ``preview``, the result also describes the first rows as they would be written (``ImportResult.preview``):
create or update, status; codes, not names, so that the page says them in its reader's language.
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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.models import Organization, User
from accounts.names import name_key
from accounts.services import organization_create
from core.exceptions import ApplicationError
from core.limits import BODY_MAX, KEYWORD_MAX
from reference.locations import AmbiguousPlace, PlaceConflict, PlaceError, UnknownPlace, get_resolver
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
    UnknownFormat,
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
    preview: list[dict[str, Any]] = field(default_factory=list)  # the first rows as written (``preview=`` of them)

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

    def error(self, column: str, message: Any, params: dict[str, Any] | None = None) -> None:
        self.errors.append(RowError(self.number, column, message, params or {}))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw.get(column)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.error(column, REQUIRED)
        elif max_length and len(text) > max_length:
            self.error(column, TOO_LONG, {"limit_value": max_length, "show_value": len(text)})
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
            self.error(column, _('"%(value)s" is not a whole number from 1 to 9'), {"value": value})
            return None
        if number != number.to_integral_value() or not 1 <= number <= 9:
            self.error(column, _("%(value)s is outside the readiness scale 1-9"), {"value": value})
            return None
        return int(number)

    def amount(self, value: Any, column: str) -> Decimal | None:
        if value is None or str(value).strip() == "":
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.error(column, _('"%(value)s" is not a number (in 10k CNY)'), {"value": value})
            return None
        if number < 0 or not number.is_finite():
            self.error(column, _("%(value)s must be a positive amount (in 10k CNY)"), {"value": value})
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
                    self.error(column, _('"%(value)s" is not a price range such as [50, 100] or 50-100'),
                               {"value": text})  # fmt: skip
                    return None, None
            else:
                value = [text, text]
        if isinstance(value, int | float | Decimal):
            value = [value, value]
        if not isinstance(value, list) or len(value) != 2:
            self.error(column, _("%(value)s is not a price range [min, max]"), {"value": value})
            return None, None
        low, high = self.amount(value[0], column), self.amount(value[1], column)
        if low is not None and high is not None and low > high:
            self.error(column, _("the lowest price %(low)s is above the highest %(high)s"),
                       {"low": value[0], "high": value[1]})  # fmt: skip
        return low, high

    def choices(self, column: str, allowed: dict[str, str], labels: _Labels) -> list[str]:
        """The codes of a coded column's values (codes or labels, separated by 、 , ; | / or new lines)."""
        values = [part.strip() for item in self.items(column) for part in _CODED_SPLIT.split(item) if part.strip()]
        wrong = [v for v in values if _key(v) not in allowed]
        if wrong:
            self.error(column, ngettext_lazy("unknown value %(values)s; use %(allowed)s",
                                             "unknown values %(values)s; use %(allowed)s", "count"),
                       {"values": ", ".join(wrong), "count": len(wrong), "allowed": labels})  # fmt: skip
        return list(dict.fromkeys(allowed[_key(v)] for v in values if _key(v) in allowed))

    def choice(self, column: str, allowed: dict[str, str], labels: _Labels, default: str) -> str:
        """The code of a one-value coded column (its code or label), or ``default`` when it is empty."""
        text = self.text(column)
        if not text:
            return default
        code = allowed.get(_key(text))
        if code is None:
            self.error(column, _('"%(value)s" is not one of %(allowed)s'), {"value": text, "allowed": labels})
            return default
        return code

    def place(self, fields: dict[str, Any]) -> None:
        """The province and city, through the resolver every typed place goes through."""
        province, city = self.text("province"), self.text("city")
        try:
            place = get_resolver().resolve_parts(province, city or None)
        except PlaceError as error:
            column, message, params = _place_problem(error, province, city)
            self.error(column, message, params)
        else:
            fields["province_id"], fields["city_id"] = place.province_code, place.city_code

    def validate(self, fields: dict[str, Any]) -> None:
        """The model fields' own checks (lengths, e-mail, choices, ranges) on the columns that passed ours, with
        Django's messages."""
        wrong = {error.field for error in self.errors}
        for name, value in fields.items():
            column = _COLUMN_OF.get(name, name)
            if column in wrong or name in ("province_id", "city_id"):
                continue
            try:
                self.spec.model._meta.get_field(name).clean(value, None)
            except ValidationError as error:
                for problem in error.error_list:
                    self.error(column, problem.message, problem.params)
                wrong.add(column)

    def check(self, *, validate: bool = True) -> _Row | None:
        """The row's field values, or None when it is wrong (``self.errors`` says why). ``validate``: run the model
        fields' validators too (the first pass does; the second, over the same bytes, leaves them to the write)."""
        spec, body_model = self.spec, self.spec.body
        ref = self.text("ref", required=True, max_length=64)
        fields: dict[str, Any] = {
            "external_ref": ref,
            "title": self.text("title", required=True, max_length=200),
            body_model: self.text(body_model, required=True, max_length=BODY_MAX),
            "modes": self.choices("modes", self.words.modes, _Labels(CooperationMode.choices)),
        }
        keywords = self.items("keywords")
        if len(keywords) > MAX_KEYWORDS:
            self.error("keywords", _("%(count)d keywords; at most %(max)d"), {"count": len(keywords),
                                                                              "max": MAX_KEYWORDS})  # fmt: skip
        long_words = [word for word in keywords if len(word) > KEYWORD_MAX]
        if long_words:
            self.error("keywords", _("a keyword has at most %(max)d characters (%(length)d given)"),
                       {"max": KEYWORD_MAX, "length": len(long_words[0])})  # fmt: skip
        fields["keywords"] = keywords[:MAX_KEYWORDS]
        domain_words = [part.strip() for item in self.items("domains") for part in _CODED_SPLIT.split(item)
                        if part.strip()]  # fmt: skip
        unknown = [word for word in domain_words if _key(word) not in self.words.domains]
        if unknown:
            self.error("domains", ngettext_lazy(
                "%(values)s is no domain's code or name (in Chinese or English, at any level)",
                "%(values)s are no domains' codes or names (in Chinese or English, at any level)", "count",
            ), {"values": ", ".join(unknown), "count": len(unknown)})  # fmt: skip
        known = self.words.domains
        domains = list(dict.fromkeys(known[_key(word)] for word in domain_words if _key(word) in known))
        self.place(fields)
        fields["language"] = self.choice(
            "lang", self.words.languages, _Labels(Language.choices),
            default=_guess_language(fields["title"] + fields[body_model]),
        )  # fmt: skip
        for column in CONTACT_COLUMNS:
            if column in self.raw:
                fields[column] = self.text(column, max_length=100)
        if spec.model is Achievement:
            fields["trl"] = self.level("trl")
            fields["ip_status"] = self.choice("ip", self.words.ip, _Labels(Achievement.IPStatus.choices),
                                              default=Achievement.IPStatus.NONE)  # fmt: skip
            fields["patent_numbers"] = self.items("patent_numbers")
            fields["price_min_wan"], fields["price_max_wan"] = self.price_range("price_wan")
        else:
            fields["min_trl"] = self.level("min_trl")
            fields["budget_wan"] = self.amount(self.raw.get("budget_wan"), "budget_wan")
            fields["region_scope"] = self.choice("region_scope", self.words.scopes, _Labels(Need.RegionScope.choices),
                                                 default=Need.RegionScope.NATIONAL)  # fmt: skip
            fields["deadline"] = self.deadline()
        owner = self.text(spec.owner_column, max_length=200)
        if validate:
            self.validate(fields)
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
            self.error("deadline", _('"%(value)s" is not a date such as 2026-12-31'), {"value": value})
            return None


REQUIRED = _("This field is required.")  # Django's own words (and translation)
TOO_LONG = ngettext_lazy(
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)  # Django's MaxLengthValidator's words, so that ours and the model's say a length alike
# The column of a model field whose name differs (the model's validators name fields, the reader knows columns).
_COLUMN_OF = {"external_ref": "ref", "ip_status": "ip", "language": "lang", "price_min_wan": "price_wan",
              "price_max_wan": "price_wan"}  # fmt: skip


class _Labels:
    """The labels of a set of choices, said in the active language when the message that holds them is rendered
    (a parameter of a ``RowError``)."""

    def __init__(self, choices: list[tuple[str, Any]]) -> None:
        self.labels = [label for _code, label in choices]

    def __str__(self) -> str:
        return ", ".join(str(label) for label in self.labels)


def _place_problem(error: PlaceError, province: str, city: str) -> tuple[str, Any, dict[str, Any]]:
    """The column and the reason of a place the resolver refused (its own messages are English only)."""
    if isinstance(error, PlaceConflict):
        return "city", _('"%(city)s" is not in "%(province)s" (it is %(where)s)'), {
            "city": city, "province": province, "where": ", ".join(error.candidates)
        }  # fmt: skip
    column = "city" if city and error.text == city else "province"
    if isinstance(error, AmbiguousPlace):
        return column, _('"%(place)s" could be %(where)s: add the province or the city'), {
            "place": error.text, "where": ", ".join(error.candidates)
        }  # fmt: skip
    if isinstance(error, UnknownPlace) and error.reason == "empty":
        return "province", _("Give a province or a city."), {}
    if column == "city" and province:
        return column, _('"%(city)s" is not a known city, county or district of "%(province)s"'), {
            "city": city, "province": province
        }  # fmt: skip
    return column, _('"%(place)s" is not a province, city or county of China'), {"place": error.text}


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
                _("the import took more than %(seconds)d seconds: split the file"), {"seconds": self.seconds}
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
    preview: int = 0,
) -> ImportResult:
    """Validate every row of the file, then write all of them in one transaction, or none.

    The file is read twice and never held as records: the first pass checks every row and keeps only each
    reference and owner; when no row is wrong, the second pass checks each row again and writes it, in batches of
    ``BATCH`` through ``marketplace.bulk``. ``progress`` hears how far each pass is. ``preview`` rows at most are
    described in ``result.preview`` as they were (or, in a dry run, would be) written."""
    if kind not in SPECS:
        raise ValueError(f"Unknown kind {kind!r}; use achievements or needs.")
    spec = SPECS[kind]
    result = ImportResult(dry_run=dry_run)
    report = progress or (lambda phase, done, total: None)
    errors = _Errors(settings.IMPORT_MAX_ERRORS)
    try:
        fmt = detect_format(filename)
    except UnknownFormat as error:
        result.errors = [RowError(0, "file", error.message, error.params)]
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
            _write(spec, data, fmt, limits, owners, words, seen.rows, publish, by, result, report, clock, preview)
            if dry_run:
                transaction.set_rollback(True)
                result.unindexed = []
        result.written_seconds = time.monotonic() - started
    except TooLarge as error:
        errors.add(error.row_error())
        return _refused(result, errors)
    except ApplicationError as error:  # a rule the services check while writing (the transaction rolled back)
        errors.add(RowError(0, error.field or "file", error.message))  # said in the language active while writing
        return _refused(result, errors)
    except _Changed as error:
        errors.add(RowError(error.row, "file", _("the row changed while the file was read; import it again")))
        return _refused(result, errors)
    # The new postings' search index rows, after the commit: derived data, like their matching (``index_sweep``
    # writes any that a crash here leaves out).
    total = len(result.unindexed)
    index_postings(spec.model, result.unindexed, progress=lambda done: report("indexing", done, total))
    return result


def _refused(result: ImportResult, errors: _Errors) -> ImportResult:
    result.created = result.updated = result.published = 0
    result.organizations_created, result.preview = [], []
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
            errors.add(RowError(number, "ref", _('"%(ref)s" already appears on row %(row)d'),
                                {"ref": row.ref, "row": seen.refs[key]}))  # fmt: skip
            continue
        seen.refs[key] = number
        if organization is None and not row.owner:
            errors.add(RowError(row.number, spec.owner_column,
                                _("Name the owner, or import every row for one organisation (--org).")))  # fmt: skip
        else:
            row.fields = {name: row.fields[name] for name in ("province_id", "city_id")}  # all an owner needs
            seen.owners.setdefault(_owner_key(organization, row), row)
    if not seen.rows and not errors.total:
        errors.add(RowError(0, "file", _("the file holds no records")))
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
            errors.add(RowError(row.number, spec.owner_column, _(
                'There is no organisation "%(name)s": choose the owner of every row (--org), or let the import create '
                "the organisations the rows name (--create-orgs)."), {"name": row.owner}))  # fmt: skip
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
    preview: int = 0,
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
        shown = batch[: max(preview - len(result.preview), 0)]
        existing = _existing_refs(spec, shown)
        outcome = bulk.postings_save_many(model=spec.model, items=batch, by=by, publish=publish, index_new=False)
        if shown:
            result.preview += _described(spec, shown, existing, outcome.postings)
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
            raise _Changed(item.row)
        row = _RowChecker(spec, item[0], item[1], words).check(validate=False)
        if row is None:
            raise _Changed(item[0])
        organization = single if isinstance(single, Organization) else owners[name_key(row.owner)]
        assert isinstance(organization, Organization)  # noqa: S101 - created just above
        batch.append(bulk.Item(organization=organization, fields=row.fields, domain_codes=row.domains, row=row.number))
        done += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()


class _Changed(Exception):
    """A row read differently in the second pass than in the first (it cannot happen to the same bytes)."""

    def __init__(self, row: int) -> None:
        self.row = row


def _existing_refs(spec: KindSpec, items: list[bulk.Item]) -> set[tuple[int, str]]:
    """Which of these items' references their organisation already has (they would be updated)."""
    if not items:
        return set()
    found = spec.model.objects.filter(
        organization_id__in={item.organization.pk for item in items},
        external_ref__in=[item.fields["external_ref"] for item in items],
    ).values_list("organization_id", "external_ref")
    return set(found)


def _described(
    spec: KindSpec, items: list[bulk.Item], existing: set[tuple[int, str]], written: list[Any]
) -> list[dict[str, Any]]:
    """The preview of these items as just written: create or update, the status each has now (an edit of a
    published posting that waits for staff is not among the written), and the codes the page names."""
    postings = {(posting.organization_id, posting.external_ref): posting for posting in written}
    lines = []
    for item in items:
        key = (item.organization.pk, item.fields["external_ref"])
        posting = postings.get(key)
        lines.append({
            "row": item.row,
            "action": "update" if key in existing else "create",
            "kind": "achievements" if spec.model is Achievement else "needs",
            "ref": item.fields["external_ref"],
            "title": item.fields["title"],
            "organization": item.organization.name,
            "domains": sorted(set(item.domain_codes)),
            "province": item.fields.get("province_id"),
            "city": item.fields.get("city_id"),
            "modes": item.fields.get("modes") or [],
            "status": posting.status if posting is not None else "held",
        })  # fmt: skip
    return lines


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
