"""Forms of the call pages. They check shapes only; the rules are the services' (``calls.services``), whose
``ApplicationError`` the views attach to the field it names."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.limits import BODY_MAX, NOTE_MAX, PROFILE_MAX
from marketplace.models import Achievement, CooperationMode, Need
from reference.models import Domain, Province

from .models import Call
from .services import MAX_MONTHS

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT))


class _DomainChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Domain) -> str:
        return obj.name if obj.parent_id is None else f"— {obj.name}"


class CallForm(forms.Form):
    organizer = forms.ModelChoiceField(label=_("Organiser"), queryset=Organization.objects.none(), empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.CharField(
        label=_("Theme"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the call collects, for whom, and what happens to the needs and proposals."),
    )  # fmt: skip
    domains = _DomainChoice(
        label=_("Domains"), required=False, queryset=Domain.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The needs entered have one of these domains or a subdomain of one. None chosen: any domain."),
    )  # fmt: skip
    provinces = forms.ModelMultipleChoiceField(
        label=_("Regions"), required=False, queryset=Province.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The needs entered are in one of these provinces. None chosen: anywhere."),
    )  # fmt: skip
    opens_at = _datetime_field(_("Window opens"))
    closes_at = _datetime_field(_("Window closes"))

    def __init__(self, *args: Any, organizers: QuerySet[Organization] | None = None, call: Call | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        if call is not None:
            kwargs.setdefault("initial", {
                "title": call.title, "theme": call.theme, "domains": list(call.domains.all()),
                "provinces": list(call.provinces.all()), "opens_at": timezone.localtime(call.opens_at),
                "closes_at": timezone.localtime(call.closes_at),
            })  # fmt: skip
        else:
            now = timezone.localtime().replace(second=0, microsecond=0)
            kwargs.setdefault("initial", {"opens_at": now, "closes_at": now + datetime.timedelta(days=30)})
        super().__init__(*args, **kwargs)
        self.fields["domains"].queryset = Domain.objects.order_by("position", "code")
        self.fields["provinces"].queryset = Province.objects.order_by("code")
        if call is not None or organizers is None:  # editing: the organiser stays
            del self.fields["organizer"]
            return
        field = self.fields["organizer"]
        field.queryset = organizers
        choices = list(organizers[:2])
        if len(choices) == 1:  # the only one: chosen without asking
            field.initial, field.required, field.widget = choices[0], False, forms.HiddenInput()

    def clean_organizer(self) -> Organization:
        return self.cleaned_data["organizer"] or self.fields["organizer"].initial

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"], "theme": data["theme"], "opens_at": data["opens_at"],
            "closes_at": data["closes_at"], "domain_codes": [domain.code for domain in data["domains"]],
            "province_codes": [province.code for province in data["provinces"]],
        }  # fmt: skip


class CallStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(Call.Status.PUBLISHED, Call.Status.PUBLISHED.label),
                                        (Call.Status.CLOSED, Call.Status.CLOSED.label)])  # fmt: skip


class EnterNeedForm(forms.Form):
    need = forms.ModelChoiceField(
        label=_("Your need"), queryset=Need.objects.none(), empty_label=None,
        help_text=_("Your enterprise's published needs that fit the call's domains and regions."),
    )  # fmt: skip

    def __init__(self, *args: Any, needs: QuerySet[Need], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = needs
        self.fields["need"].label_from_instance = lambda item: f"{item.title} · {item.organization.name}"


class RemoveEntryForm(forms.Form):
    reason = forms.CharField(label=_("Why it leaves the call"), max_length=NOTE_MAX)


class ProposalForm(forms.Form):
    achievement = forms.ModelChoiceField(
        label=_("Your achievement"), queryset=Achievement.objects.none(), empty_label=None,
        help_text=_("One of your organisation's published achievements."),
    )  # fmt: skip
    plan = forms.CharField(
        label=_("Plan"), max_length=PROFILE_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("How the achievement solves the need: the work, the milestones, what the enterprise provides."),
    )  # fmt: skip
    budget_wan = forms.DecimalField(
        label=_("Budget (10k CNY)"), required=False, min_value=Decimal(0), max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )  # fmt: skip
    months = forms.IntegerField(label=_("Timeline (months)"), min_value=1, max_value=MAX_MONTHS)
    mode = forms.ChoiceField(label=_("Cooperation mode"), choices=CooperationMode.choices)

    def __init__(self, *args: Any, achievements: QuerySet[Achievement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = achievements
        self.fields["achievement"].label_from_instance = lambda item: f"{item.title} · {item.organization.name}"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("shortlist", _("Shortlist")), ("decline", _("Decline")),
                                          ("award", _("Award"))])  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)


class InviteForm(forms.Form):
    achievement = forms.ModelChoiceField(queryset=Achievement.objects.all(), widget=forms.HiddenInput())
