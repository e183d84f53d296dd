"""Forms of the auction pages. They check shapes only; the rules are the services' (``auctions.services``), whose
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
from core.limits import BODY_MAX, NOTE_MAX
from marketplace.models import Achievement

from .models import Auction

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MONEY_WIDGET = {"step": "0.01", "min": "0", "inputmode": "decimal"}


def _money_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, help_text=help_text, min_value=Decimal(0), max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs=MONEY_WIDGET),
    )  # fmt: skip


def _datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT))


def _only_choice(field: forms.ModelChoiceField, queryset: QuerySet[Organization]) -> None:
    """Offer the user's organisations; with only one, it is chosen without asking."""
    field.queryset = queryset
    choices = list(queryset[:2])
    if len(choices) == 1:
        field.initial, field.required, field.widget = choices[0], False, forms.HiddenInput()


class _OrganizationChoiceMixin:
    def clean_organization(self) -> Organization:
        return self.cleaned_data["organization"] or self.fields["organization"].initial  # type: ignore[attr-defined]


class AuctionForm(forms.Form):
    organizer = forms.ModelChoiceField(label=_("Organiser"), queryset=Organization.objects.none(), empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, organizers: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _only_choice(self.fields["organizer"], organizers)

    def clean_organizer(self) -> Organization:
        return self.cleaned_data["organizer"] or self.fields["organizer"].initial


class LotForm(forms.Form):
    achievement = forms.ModelChoiceField(
        label=_("Achievement"), queryset=Achievement.objects.none(),
        help_text=_("A published achievement that is not on offer in another open lot."),
    )  # fmt: skip
    starting_price_wan = _money_field(_("Starting price (10k CNY)"))
    reserve_price_wan = _money_field(
        _("Reserve price (10k CNY)"), required=False,
        help_text=_("The lowest price the lot sells at; bidders do not see it. Empty: no reserve."),
    )  # fmt: skip
    increment_wan = _money_field(_("Bid increment (10k CNY)"), help_text=_("Each bid beats the last by this much."))
    starts_at = _datetime_field(_("Bidding opens"))
    ends_at = _datetime_field(_("Bidding closes"))

    def __init__(self, *args: Any, achievements: QuerySet[Achievement], **kwargs: Any) -> None:
        now = timezone.localtime().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {"starts_at": now, "ends_at": now + datetime.timedelta(days=1)})
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = achievements
        self.fields["achievement"].label_from_instance = lambda item: f"{item.title} · {item.organization.name}"


class AuctionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Auction.Status.choices)


class BidderRegisterForm(_OrganizationChoiceMixin, forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Register as"), queryset=Organization.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _only_choice(self.fields["organization"], organizations)


class BidderDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)


class BidForm(_OrganizationChoiceMixin, forms.Form):
    organization = forms.ModelChoiceField(label=_("Bid as"), queryset=Organization.objects.none(), empty_label=None)
    amount_wan = _money_field(_("Your bid (10k CNY)"))

    def __init__(self, *args: Any, organizations: QuerySet[Organization], minimum: Decimal | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        if minimum is not None:
            kwargs.setdefault("initial", {"amount_wan": minimum})
        super().__init__(*args, **kwargs)
        _only_choice(self.fields["organization"], organizations)
