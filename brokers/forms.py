"""The owners' and brokers' forms; the rules are the services' (``brokers.services``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.limits import NOTE_MAX
from marketplace.models import Achievement, Need, Status

# Listings a broker may be given: everything the organisation has not closed or had rejected.
OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED)


def _choices(queryset: QuerySet[Any]) -> list[tuple[int, str]]:
    return [(posting.pk, f"#{posting.pk} {posting.title}") for posting in queryset.order_by("-pk")[:300]]


class ListingsForm(forms.Form):
    """Which of the organisation's listings the broker works."""

    achievements = forms.TypedMultipleChoiceField(
        label=_("Achievements"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    needs = forms.TypedMultipleChoiceField(label=_("Needs"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["achievements"].choices = _choices(
            Achievement.objects.filter(organization=organization, status__in=OPEN_STATUSES)
        )
        self.fields["needs"].choices = _choices(
            Need.objects.filter(organization=organization, status__in=OPEN_STATUSES)
        )


class AppointForm(ListingsForm):
    broker_email = forms.EmailField(
        label=_("Broker's e-mail"), help_text=_("A member of a service agency on this platform.")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    field_order = ["broker_email", "achievements", "needs", "note"]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=NOTE_MAX)
