"""Forms of the conversation pages. They check shapes; the rules are ``conversations.services``'s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.forms import AgreementForm

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


class ProposalForm(AgreementForm):
    """The terms proposed in a thread: those of an agreement recorded on the match (matching's form)."""
