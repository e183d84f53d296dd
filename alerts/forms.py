"""Forms of the alerts pages. Choices are built when the form is made, so names read in the reader's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reference.models import Cluster, Domain, Province

from .models import Frequency


class SaveSearchForm(forms.Form):
    """The list page's "save this search": its kind and its query string travel as hidden fields."""

    kind = forms.ChoiceField(choices=[("achievements", "achievements"), ("needs", "needs")], widget=forms.HiddenInput)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("Search name"), required=False, max_length=100, help_text=_("Optional; the filters name it otherwise.")
    )
    frequency = forms.ChoiceField(label=_("E-mail me"), choices=Frequency.choices, initial=Frequency.DAILY)


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=_("Search name"), max_length=100)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)


def domain_choices() -> list[tuple[str, Any]]:
    """Top-level domains as groups, each with itself (its subdomains included) and its subdomains."""
    choices: list[tuple[str, Any]] = [("", "---------")]
    for top in Domain.objects.filter(parent__isnull=True).prefetch_related("children").order_by("position", "code"):
        children = sorted(top.children.all(), key=lambda domain: (domain.position, domain.code))
        options = [(top.code, _("%(name)s (all)") % {"name": top.name})]
        options += [(child.code, child.name) for child in children]
        choices.append((top.name, options))
    return choices


class FollowForm(forms.Form):
    """Follow one thing: the page shows one small form per target, each with one of these fields."""

    target = forms.ChoiceField(
        choices=[("domain", "domain"), ("province", "province"), ("cluster", "cluster")], widget=forms.HiddenInput
    )
    domain = forms.ChoiceField(label=_("Domain"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    cluster = forms.ChoiceField(label=_("Regional cluster"), required=False)
    frequency = forms.ChoiceField(label=_("E-mail me"), choices=Frequency.choices, initial=Frequency.DAILY)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = domain_choices()
        self.fields["province"].choices = [("", "---------")] + [
            (province.code, province.name) for province in Province.objects.order_by("code")
        ]
        self.fields["cluster"].choices = [("", "---------")] + [
            (cluster.code, cluster.name) for cluster in Cluster.objects.all()
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        target = cleaned.get("target")
        if target and not cleaned.get(target):
            self.add_error(target, _("Choose one from the list."))
        return cleaned

    @property
    def value(self) -> str:
        return self.cleaned_data[self.cleaned_data["target"]]
