"""Forms of the event pages. They check shapes only; the rules are the services' (``events.services``), whose
``ApplicationError`` the views attach to the field it names."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.limits import BODY_MAX, PROFILE_MAX
from marketplace.forms import DomainChoiceField
from marketplace.models import Achievement, Need
from matching.forms import AgreementForm
from reference.models import City, Cluster, Domain

from .models import (
    Event,
    Meeting,
    MeetingSlot,
    MeetingSuggestions,
    MeetingTable,
    Registration,
    RequestMode,
    SchedulingMode,
)
from .selectors import participant_postings

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
    description = forms.CharField(
        label=_("Description"), required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
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
    meeting_suggestions = forms.ChoiceField(
        label=_("Whom to meet: suggestions"),
        choices=MeetingSuggestions.choices,
        initial=MeetingSuggestions.RELEASED,
        required=False,  # not given: the platform's release rule
        help_text=_(
            "Docking events: rank the participants by the matches the platform released to both sides (its release "
            "rule), or by every suggestion among the registered participants."
        ),
    )

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
        data["meeting_suggestions"] = data.get("meeting_suggestions") or MeetingSuggestions.RELEASED
        data["domain_codes"] = [domain.code for domain in data.pop("domains")]
        data["cluster_codes"] = [cluster.code for cluster in data.pop("clusters")]
        return data


class EventEditForm(EventForm):
    """Edit an event: the fields of creation but the organiser (an event stays its organiser's)."""

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        initial = {
            "kind": event.kind, "title": event.title, "description": event.description,
            "domains": list(event.domains.all()), "clusters": list(event.clusters.all()), "venue": event.venue,
            "city": event.city, "online_url": event.online_url,
            "starts_at": timezone.localtime(event.starts_at), "ends_at": timezone.localtime(event.ends_at),
            "registration_opens_at": event.registration_opens_at and timezone.localtime(event.registration_opens_at),
            "registration_closes_at": event.registration_closes_at
            and timezone.localtime(event.registration_closes_at),
            "capacity": event.capacity, "meeting_suggestions": event.meeting_suggestions,
        }  # fmt: skip
        kwargs.setdefault("initial", initial)
        super().__init__(*args, organizers=Organization.objects.filter(pk=event.organizer_id), **kwargs)
        del self.fields["organizer"]
        if event.status != Event.Status.DRAFT:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("The kind of a published event does not change.")
        self.fields["capacity"].help_text = _(
            "Raising it gives the new places to the waiting list in order; it cannot go below the %(count)d "
            "confirmed places."
        ) % {"count": event.confirmed_count}

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``event_update``."""
        data = super().service_arguments()
        data.pop("organizer", None)
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
        label=_("Status"),
        choices=[(value, label) for value, label in Event.Status.choices if value != Event.Status.DRAFT],
    )


# --- Programme, meetings and outcomes --------------------------------------------------------------------------


class PresentationApplyForm(forms.Form):
    """Apply to present one of the user's organisations' published listings (``achievement-<pk>`` or
    ``need-<pk>``)."""

    listing = forms.ChoiceField(label=_("What will you present?"))
    pitch = forms.CharField(
        label=_("What the presenter will show"),
        required=False,
        max_length=PROFILE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, achievements: QuerySet[Achievement], needs: QuerySet[Need], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listings: dict[str, Achievement | Need] = {}
        groups = []
        for label, prefix, queryset in ((_("Achievements"), "achievement", achievements), (_("Needs"), "need", needs)):
            options = []
            for listing in queryset:
                key = f"{prefix}-{listing.pk}"
                self.listings[key] = listing
                options.append((key, f"{listing.title} · {listing.organization.name}"))
            if options:
                groups.append((label, options))
        self.fields["listing"].choices = groups

    @property
    def has_choices(self) -> bool:
        return bool(self.listings)

    def clean_listing(self) -> Achievement | Need:
        return self.listings[self.cleaned_data["listing"]]


class PresentationScheduleForm(forms.Form):
    starts_at = _datetime_field(_("Starts at"))
    ends_at = _datetime_field(_("Ends at"))


class MeetingGridForm(forms.Form):
    """Add a run of consecutive meeting slots and/or tables to a docking event's grid."""

    starts_at = _datetime_field(_("First slot starts at"), required=False)
    minutes = forms.IntegerField(label=_("Minutes per slot"), min_value=5, max_value=240, initial=20)
    count = forms.IntegerField(label=_("Number of slots"), min_value=1, max_value=48, initial=1)
    tables = forms.CharField(
        label=_("Tables"),
        required=False,
        max_length=2000,
        help_text=_("Names separated by commas or new lines, e.g. A1, A2, A3."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not data.get("starts_at") and not self.table_names():
            raise forms.ValidationError(_("Give the first slot's start time, or table names, or both."))
        return data

    def table_names(self) -> list[str]:
        text = (self.cleaned_data.get("tables") or "").replace("，", ",").replace("\n", ",")
        return [name.strip()[:40] for name in text.split(",") if name.strip()]

    def slots(self) -> list[tuple[datetime.datetime, datetime.datetime]]:
        start = self.cleaned_data.get("starts_at")
        if start is None:
            return []
        length = datetime.timedelta(minutes=self.cleaned_data["minutes"])
        return [(start + n * length, start + (n + 1) * length) for n in range(self.cleaned_data["count"])]


class MeetingMoveForm(forms.Form):
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=Meeting.objects.none())
    slot = forms.ModelChoiceField(label=_("Slot"), queryset=MeetingSlot.objects.none())
    table = forms.ModelChoiceField(label=_("Table"), queryset=MeetingTable.objects.none())

    def __init__(self, *args: Any, event: Event, meetings: list[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            Meeting.objects.filter(pk__in=[meeting.pk for meeting in meetings])
            .select_related("slot", "table", "requester__organization", "invitee__organization")
            .order_by("slot__starts_at", "table__name")
        )
        self.fields["meeting"].label_from_instance = _meeting_label
        self.fields["slot"].queryset = event.meeting_slots.order_by("starts_at")
        self.fields["slot"].label_from_instance = slot_label
        self.fields["table"].queryset = event.meeting_tables.order_by("name")


def slot_label(slot: MeetingSlot) -> str:
    """A slot's times in the local time zone (the model's ``str`` writes them as stored)."""
    starts, ends = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M}"


def _meeting_label(meeting: Meeting) -> str:
    place = f"{slot_label(meeting.slot)} {meeting.table} · " if meeting.slot_id and meeting.table_id else ""
    return (
        f"{place}{meeting.requester.person_name} ({meeting.requester.organization.name}) ⇄ "
        f"{meeting.invitee.person_name} ({meeting.invitee.organization.name})"
    )


class MeetingRequestForm(forms.Form):
    requester = forms.ModelChoiceField(queryset=Registration.objects.none(), widget=forms.HiddenInput)
    invitee = forms.ModelChoiceField(queryset=Registration.objects.none(), widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args: Any, event: Event, requesters: QuerySet[Registration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = requesters
        self.fields["invitee"].queryset = event.registrations.filter(status=Registration.Status.CONFIRMED)


class MeetingAcceptForm(forms.Form):
    slot = forms.ModelChoiceField(
        label=_("Slot"), queryset=MeetingSlot.objects.none(), required=False, empty_label=_("earliest free slot")
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = event.meeting_slots.order_by("starts_at")
        self.fields["slot"].label_from_instance = slot_label


class SchedulingSettingsForm(forms.Form):
    """A docking event's meeting modes and limits (``services.event_update`` checks the rules)."""

    scheduling_mode = forms.ChoiceField(label=_("Meeting scheduling"), choices=SchedulingMode.choices)
    request_mode = forms.ChoiceField(label=_("Meeting requests"), choices=RequestMode.choices)
    request_deadline = _datetime_field(
        _("Meeting requests close"), required=False,
        help_text=_("Requests not answered by then expire. Empty: open until the event ends."),
    )  # fmt: skip
    max_open_requests = forms.IntegerField(
        label=_("Open requests per participant"), min_value=1, max_value=1000, required=False,
        help_text=_("Empty: no limit."),
    )  # fmt: skip
    max_meetings_per_participant = forms.IntegerField(
        label=_("Meetings per participant"), min_value=1, max_value=1000, required=False,
        help_text=_("Empty: no limit."),
    )  # fmt: skip
    max_consecutive_meetings = forms.IntegerField(
        label=_("Meetings in a row"), min_value=0, max_value=100, required=False,
        help_text=_("Then a slot off. Empty or 0: no rule."),
    )  # fmt: skip

    NAMES = ("scheduling_mode", "request_mode", "request_deadline", "max_open_requests",
             "max_meetings_per_participant", "max_consecutive_meetings")  # fmt: skip

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        initial = {name: getattr(event, name) for name in self.NAMES}
        if event.request_deadline:
            initial["request_deadline"] = timezone.localtime(event.request_deadline)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def service_arguments(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.NAMES}


class BreaksForm(forms.Form):
    """The slots a participant takes off."""

    slots = forms.ModelMultipleChoiceField(
        label=_("Slots you take off"), queryset=MeetingSlot.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"slots": list(registration.unavailable_slots.all())})
        super().__init__(*args, **kwargs)
        self.fields["slots"].queryset = registration.event.meeting_slots.order_by("starts_at")
        self.fields["slots"].label_from_instance = slot_label


class ParticipantLimitsForm(forms.Form):
    """The organiser sets one participant's breaks and own maximum of meetings."""

    registration = forms.ModelChoiceField(label=_("Participant"), queryset=Registration.objects.none())
    slots = forms.ModelMultipleChoiceField(
        label=_("Slots they take off"), queryset=MeetingSlot.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    max_meetings = forms.IntegerField(
        label=_("Their maximum of meetings"), min_value=0, max_value=1000, required=False,
        help_text=_("Empty: the event's."),
    )  # fmt: skip

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = event.registrations.filter(
            status=Registration.Status.CONFIRMED
        ).select_related("organization").order_by("person_name", "pk")
        self.fields["registration"].label_from_instance = lambda r: f"{r.person_name} · {r.organization.name}"
        self.fields["slots"].queryset = event.meeting_slots.order_by("starts_at")
        self.fields["slots"].label_from_instance = slot_label


class EventAgreementForm(AgreementForm):
    """An agreement signed at the event: one of the participants' published achievements, optionally one of their
    published needs (``selectors.participant_postings``; ``search`` narrows the choices to titles containing it)."""

    achievement = forms.ModelChoiceField(label=_("Achievement"), queryset=Achievement.objects.none())
    need = forms.ModelChoiceField(label=_("Need"), required=False, queryset=Need.objects.none())

    field_order = ["achievement", "need", "mode", "amount_wan", "signed_on", "note"]

    def __init__(self, *args: Any, event: Event, search: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        achievements, needs = participant_postings(event, search=search)
        self.fields["achievement"].queryset = achievements
        self.fields["need"].queryset = needs
        self.fields["achievement"].help_text = _("The published achievements of the organisations with a place.")
        self.fields["need"].help_text = _("The published needs of the organisations with a place, if one is answered.")
        for name in ("achievement", "need"):
            self.fields[name].label_from_instance = lambda listing: f"{listing.title} · {listing.organization.name}"
