"""The curators' forms; the rules are the services' (``catalogues.services``)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.limits import BODY_MAX, NOTE_MAX

from .models import Collection


class CollectionForm(forms.Form):
    organizer = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organiser"))
    kind = forms.ChoiceField(label=_("Holds"), choices=Collection.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Introduction"), required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, organizers: Any = None, collection: Collection | None = None, **kwargs: Any) -> None:
        if collection is not None:
            kwargs.setdefault("initial", {"title": collection.title, "description": collection.description})
        super().__init__(*args, **kwargs)
        if collection is not None:  # editing: the organiser and the kind stay
            del self.fields["organizer"], self.fields["kind"]
        else:
            self.fields["organizer"].queryset = organizers
            if organizers is not None and organizers.count() == 1:
                self.fields["organizer"].initial = organizers.first()


class AddPostingsForm(forms.Form):
    postings = forms.CharField(
        label=_("Posting numbers"),
        help_text=_("The numbers of published postings, separated by spaces or commas (the number is in a posting's "
                    "address)."),
        max_length=5000,
    )  # fmt: skip
    note = forms.CharField(label=_("Curator's note"), required=False, max_length=NOTE_MAX)

    def clean_postings(self) -> list[int]:
        words = [word for word in re.split(r"[\s,，、;；]+", self.cleaned_data["postings"]) if word]
        numbers = []
        for word in words:
            if not word.isdigit():
                raise forms.ValidationError(_("“%(word)s” is not a posting number.") % {"word": word[:40]})
            numbers.append(int(word))
        if not numbers:
            raise forms.ValidationError(_("Name at least one posting to add."))
        return numbers
