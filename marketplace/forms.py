from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reference.forms import city_field, clean_place, province_field
from reference.models import Domain

from .models import MAX_KEYWORDS, Achievement, CooperationMode, Language, Need

_SPLIT = re.compile(r"[;；,，、|\n]")


class DomainChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Domain) -> str:
        return ("— " if obj.parent_id else "") + obj.name


class PostingForm(forms.Form):
    """The fields every posting has; ``service_fields`` turns them into the service's keyword arguments."""

    body_field = ""
    title = forms.CharField(label=_("Title"), max_length=200)
    domains = DomainChoiceField(
        label=_("Domains"),
        queryset=Domain.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=1000,
        help_text=_("Up to 8, separated by commas or semicolons."),
    )
    modes = forms.MultipleChoiceField(
        label=_("Cooperation modes"),
        choices=CooperationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location = forms.CharField(
        label=_("Location"),
        max_length=100,
        required=False,
        help_text=_('A city or county, in Chinese or English, e.g. "Hefei".'),
    )
    province = province_field()
    city = city_field()
    language = forms.ChoiceField(label=_("Language of the text"), choices=Language.choices)
    contact_name = forms.CharField(label=_("Contact name"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)

    def clean_keywords(self) -> list[str]:
        words = [w.strip() for w in _SPLIT.split(self.cleaned_data["keywords"]) if w.strip()]
        if len(words) > MAX_KEYWORDS:
            raise forms.ValidationError(_("At most %(max)d keywords."), params={"max": MAX_KEYWORDS})
        return words

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        clean_place(self, data)  # typed, or picked from the lists (reference.forms.place_from)
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        skip = {"domains", "location", "province", "city"}
        return {name: value for name, value in data.items() if name not in skip}

    @classmethod
    def initial_from(cls, posting: Achievement | Need) -> dict[str, Any]:
        picked = {"province", "city"}  # the lists are for a place the text does not name; the text holds it
        initial = {name: getattr(posting, name) for name in cls.base_fields if hasattr(posting, name)}
        initial = {name: value for name, value in initial.items() if name not in picked}
        initial["keywords"] = "; ".join(posting.keywords)
        initial["domains"] = list(posting.domains.all())
        initial["location"] = posting.province.name_zh + (
            posting.city.name_zh if posting.city and posting.city.name_zh != posting.province.name_zh else ""
        )
        return initial


class AchievementForm(PostingForm):
    body_field = "summary"
    summary = forms.CharField(
        label=_("Public summary"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the technology does, its indicators and its stage. Public: no contact details here."),
    )
    trl = forms.IntegerField(label=_("Readiness level (1-9)"), min_value=1, max_value=9, required=False)
    ip_status = forms.ChoiceField(label=_("IP status"), choices=Achievement.IPStatus.choices)
    patent_numbers = forms.CharField(label=_("Patent numbers"), required=False)
    price_min_wan = forms.DecimalField(label=_("Asking price from (10k CNY)"), min_value=0, required=False)
    price_max_wan = forms.DecimalField(label=_("Asking price up to (10k CNY)"), min_value=0, required=False)

    field_order = ["title", "summary", "domains", "keywords", "trl", "ip_status", "patent_numbers", "modes"]

    def clean_patent_numbers(self) -> list[str]:
        return [w.strip() for w in _SPLIT.split(self.cleaned_data["patent_numbers"]) if w.strip()]

    @classmethod
    def initial_from(cls, posting: Achievement | Need) -> dict[str, Any]:
        initial = super().initial_from(posting)
        initial["patent_numbers"] = "; ".join(posting.patent_numbers)
        return initial


class NeedForm(PostingForm):
    body_field = "description"
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The technical problem, the current situation and the target indicators."),
    )
    min_trl = forms.IntegerField(label=_("Lowest acceptable readiness (1-9)"), min_value=1, max_value=9, required=False)
    budget_wan = forms.DecimalField(label=_("Budget (10k CNY)"), min_value=0, required=False)
    region_scope = forms.ChoiceField(label=_("Partners from"), choices=Need.RegionScope.choices)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    field_order = ["title", "description", "domains", "keywords", "min_trl", "budget_wan", "modes", "region_scope"]


class ExtendDeadlineForm(forms.Form):
    """A need's new deadline; ``need_extend_deadline`` checks that it is after today."""

    deadline = forms.DateField(label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)


class ImportFileForm(forms.Form):
    """The file of an import, refused above ``IMPORT_MAX_UPLOAD_MB`` before it is read (pages and admin)."""

    file = forms.FileField(label=_("File (.jsonl, .csv or .xlsx)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_MB * 2**20:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; split it or use the command line.")
                % {"mb": settings.IMPORT_MAX_UPLOAD_MB}
            )
        return upload


class ImportForm(ImportFileForm):
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=[("achievements", _("achievements")), ("needs", _("needs"))]
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file; import nothing"),
        required=False,
        help_text=_("See what would be imported first; then import the same file with one click."),
    )

    field_order = ["kind", "file", "dry_run"]
