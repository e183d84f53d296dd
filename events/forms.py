"""Forms of the event pages. They check shapes only; the rules are the services' (``events.services``), whose
``ApplicationError`` the views attach to the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from marketplace.forms import DomainChoiceField
from reference.models import City, Cluster, Domain

from .models import Event

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
    )


def _only_choice(field: forms.ModelChoiceField, queryset: QuerySet[Organization]) -> None:
    """Offer the user's organisations; with only one, it is chosen without asking."""
    field.queryset = queryset
    choices = list(queryset[:2])
    if len(choices) == 1:
        field.initial, field.required, field.widget = choices[0], False, forms.HiddenInput()


class EventForm(forms.Form):
    organizer = forms.ModelChoiceField(label=_("Organiser"), queryset=Organization.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    domains = DomainChoiceField(
        label=_("Focus domains"),
        queryset=Domain.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    clusters = forms.ModelMultipleChoiceField(label=_("Focus regions"), queryset=Cluster.objects.all(), required=False)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    city = forms.ModelChoiceField(label=_("City"), queryset=City.objects.select_related("province"), required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    starts_at = _datetime_field(_("Starts at"))
    ends_at = _datetime_field(_("Ends at"))
    registration_opens_at = _datetime_field(
        _("Registration opens"), required=False, help_text=_("Empty: open as soon as the event is published.")
    )
    registration_closes_at = _datetime_field(
        _("Registration closes"), required=False, help_text=_("Empty: open until the event ends.")
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1)

    def __init__(self, *args: Any, organizers: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _only_choice(self.fields["organizer"], organizers)

    def clean_organizer(self) -> Organization:
        return self.cleaned_data["organizer"] or self.fields["organizer"].initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("venue") or data.get("city") or data.get("online_url")):
            raise forms.ValidationError(_("Give a venue or city, or an online link."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``event_create``."""
        data = dict(self.cleaned_data)
        data["domain_codes"] = [domain.code for domain in data.pop("domains")]
        data["cluster_codes"] = [cluster.code for cluster in data.pop("clusters")]
        return data


class RegistrationForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), empty_label=None
    )
    person_name = forms.CharField(label=_("Participant's name"), max_length=100)
    person_email = forms.EmailField(
        label=_("Participant's e-mail"), help_text=_("The confirmation and the check-in code go to this address.")
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _only_choice(self.fields["organization"], organizations)

    def clean_organization(self) -> Organization:
        return self.cleaned_data["organization"] or self.fields["organization"].initial


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=16)


class EventStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(value, label) for value, label in Event.Status.choices if value != Event.Status.DRAFT]
    )
