"""Forms of the conversation pages. They check shapes; the rules are ``conversations.services``'s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.limits import NOTE_MAX
from marketplace.models import CooperationMode

from .models import MESSAGE_MAX


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Plain text; links are shown as text."),
    )


class EnquiryForm(forms.Form):
    body = forms.CharField(
        label=_("Your question to the owner"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Plain text. An enquiry from an organisation not yet verified, or one with contact details or links, "
            "is read by platform staff before the owner sees it."
        ),
    )


class ProposalForm(forms.Form):
    mode = forms.ChoiceField(label=_("Cooperation mode"), choices=CooperationMode.choices)
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount_wan = forms.DecimalField(
        label=_("Amount (万元)"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
