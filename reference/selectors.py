"""Reads of reference data with rules: typed places resolved to rows, domains with their subdomains."""

from __future__ import annotations

from collections.abc import Iterable

from core.exceptions import ApplicationError

from .locations import PlaceError, get_resolver
from .models import City, Domain, Province


def place_resolve(*, text: str, field: str = "location") -> tuple[Province, City | None]:
    """Resolve a place typed as free text ("安徽省合肥市", "Hefei", "上海") to a province and maybe a city."""
    try:
        place = get_resolver().resolve(text)
    except PlaceError as error:
        raise ApplicationError(str(error), field=field, code="place") from error
    return _rows(place.province_code, place.city_code)


def place_resolve_parts(
    *, province: str | None, city: str | None, field: str = "province"
) -> tuple[Province, City | None]:
    """Resolve a record's separate province and city fields, as a poster typed them."""
    try:
        place = get_resolver().resolve_parts(province, city)
    except PlaceError as error:
        raise ApplicationError(str(error), field=field, code="place") from error
    return _rows(place.province_code, place.city_code)


def _rows(province_code: str, city_code: str | None) -> tuple[Province, City | None]:
    province = Province.objects.get(pk=province_code)
    city = City.objects.get(pk=city_code) if city_code else None
    return province, city


def domain_codes_with_descendants(codes: Iterable[str]) -> set[str]:
    """The given domain codes plus every subdomain of those that are top-level."""
    wanted = set(codes)
    children = Domain.objects.filter(parent_id__in=wanted).values_list("code", flat=True)
    return wanted | set(children)
