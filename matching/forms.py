"""Forms of the match pages: declining (with the reason) and recording an agreement. They check shapes; the rules
are ``matching.services``'s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.limits import NOTE_MAX
from marketplace.models import CooperationMode


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. The other side sees it; it also helps the platform suggest better matches."),
    )


class AgreementForm(forms.Form):
    mode = forms.ChoiceField(label=_("Cooperation mode"), choices=CooperationMode.choices)
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount_wan = forms.DecimalField(
        label=_("Amount (10k CNY)"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
