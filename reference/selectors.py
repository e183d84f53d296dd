"""Reads of reference data with rules: typed places resolved to rows, domains with their subdomains."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


def place_pick(*, province_code: str, city_code: str | None, field: str = "city") -> tuple[Province, City | None]:
    """A province and maybe a city chosen from the lists; the city must lie in the province. A division with a single
    city (a municipality, Hong Kong, Macao, Taiwan) takes that city when none is chosen, as a typed name does."""
    province = Province.objects.filter(pk=province_code).first()
    if province is None:
        raise ApplicationError(_("Choose a province from the list."), field="province", code="place")
    if not city_code:
        cities = list(province.cities.all()[:2])
        return province, cities[0] if len(cities) == 1 else None
    city = City.objects.filter(pk=city_code).first()
    if city is None or city.province_id != province.pk:
        message = _("%(city)s is not in %(province)s: choose a city of the province chosen.")
        raise ApplicationError(
            message % {"city": city.name if city else city_code, "province": province.name}, field=field, code="place"
        )
    return province, city


def place_zone_note(*, text: str) -> str | None:
    """When ``text`` names a development zone or new area, a sentence in the active language saying where the
    place was registered ("苏州工业园区 → 江苏省 苏州市"); None for any other text, resolved or not."""
    resolver = get_resolver()
    try:
        place = resolver.resolve(text)
    except PlaceError:
        return None
    if place.zone is None:
        return None
    english = not (get_language() or "zh").startswith("zh")
    zone = resolver.zone(place.zone)
    lang = "en" if english else "zh"
    where = [resolver.province_name(place.province_code, lang)]
    if place.city_code and resolver.city_province(place.city_code) == place.province_code:
        city = resolver.city_name(place.city_code, lang)
        if city != where[0]:
            where.append(city)
    values = {"zone": zone[lang], "place": (", " if english else " ").join(reversed(where) if english else where)}
    return _("Place: %(zone)s → %(place)s.") % values


def _rows(province_code: str, city_code: str | None) -> tuple[Province, City | None]:
    province = Province.objects.get(pk=province_code)
    city = City.objects.get(pk=city_code) if city_code else None
    return province, city


def domain_codes_with_descendants(codes: Iterable[str]) -> set[str]:
    """The given domain codes plus every subdomain of those that are top-level."""
    wanted = set(codes)
    children = Domain.objects.filter(parent_id__in=wanted).values_list("code", flat=True)
    return wanted | set(children)
