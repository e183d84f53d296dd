"""Form fields that take a place: typed as free text (resolved by ``reference.locations``), or picked from the lists
of provinces and cities when the text is not recognised.

A form declares ``location`` (text, not required), ``province`` and ``city`` (``province_field()`` and
``city_field()``), calls ``clean_place`` from its ``clean`` and hands ``place_from`` its cleaned data; a pick wins
over the text. The city list is grouped by province; ``static/js/places.js`` narrows it to the province chosen, and
without the script the groups still show which city is where.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

from .models import City, Province
from .selectors import place_pick, place_resolve


def province_choices() -> list[tuple[str, Any]]:
    return [("", _("(choose)"))] + [(p.code, p.name) for p in Province.objects.order_by("code")]


def city_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for city in City.objects.select_related("province").order_by("province_id", "code"):
        names[city.province_id] = city.province.name
        groups.setdefault(city.province_id, []).append((city.code, city.name))
    return [("", _("(the province as a whole)"))] + [(names[code], cities) for code, cities in groups.items()]


def province_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Or choose: province"),
        choices=province_choices,
        required=False,
        help_text=_("If the place you typed is not recognised, choose its province and city here instead."),
        widget=forms.Select(attrs={"data-places-province": ""}),
    )


def city_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("City"), choices=city_choices, required=False, widget=forms.Select(attrs={"data-places-city": ""})
    )


def clean_place(form: forms.Form, data: dict[str, Any], *, text_field: str = "location") -> None:
    """Either a place typed or a province picked (a city picked alone stands for its province too); a city picked
    must lie in the province picked."""
    text, province, city = (data.get(text_field) or "").strip(), data.get("province"), data.get("city")
    if city and not province:
        province = data["province"] = City.objects.filter(pk=city).values_list("province_id", flat=True).first()
    if province:
        try:
            place_pick(province_code=province, city_code=city or None)
        except ApplicationError as error:
            form.add_error(error.field or "city", error.message)
    elif not text and text_field not in form.errors:
        form.add_error(text_field, _("Type the place, or choose its province and city from the lists."))


def place_from(data: dict[str, Any], *, text_field: str = "location") -> tuple[Province, City | None]:
    """The province and city of a cleaned form: the ones picked, else the text resolved (``ApplicationError`` on
    ``text_field`` when it is not recognised)."""
    if data.get("province"):
        return place_pick(province_code=data["province"], city_code=data.get("city") or None)
    return place_resolve(text=data.get(text_field) or "", field=text_field)
