"""Two participants have at most one open request or meeting between them (issue #14, booking under load).

Requests made at the same moment could both pass the service's check before either was written; the service now
waits on the event row, and this constraint holds the line in the database. Pairs that already have more than one
open request or meeting keep their earliest (an accepted meeting before a request); the others are cancelled and
their seats freed, so that the constraint can be created.
"""

from django.db import migrations, models
from django.db.models.functions import Greatest, Least


def cancel_duplicate_open_requests(apps, schema_editor):  # type: ignore[no-untyped-def]
    Meeting = apps.get_model("events", "Meeting")
    MeetingSeat = apps.get_model("events", "MeetingSeat")
    open_meetings = Meeting.objects.filter(status__in=["requested", "accepted"]).order_by("created_at", "pk")
    kept: dict[tuple[int, int], object] = {}
    duplicates = []
    for meeting in open_meetings.filter(status="accepted").iterator():
        pair = (min(meeting.requester_id, meeting.invitee_id), max(meeting.requester_id, meeting.invitee_id))
        if pair in kept:
            duplicates.append(meeting.pk)
        else:
            kept[pair] = meeting.pk
    for meeting in open_meetings.filter(status="requested").iterator():
        pair = (min(meeting.requester_id, meeting.invitee_id), max(meeting.requester_id, meeting.invitee_id))
        if pair in kept:
            duplicates.append(meeting.pk)
        else:
            kept[pair] = meeting.pk
    if duplicates:
        MeetingSeat.objects.filter(meeting_id__in=duplicates).delete()
        Meeting.objects.filter(pk__in=duplicates).update(status="cancelled", slot=None, table=None)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_verbose_names"),
    ]

    operations = [
        migrations.RunPython(cancel_duplicate_open_requests, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="meeting",
            constraint=models.UniqueConstraint(
                Least("requester", "invitee"),
                Greatest("requester", "invitee"),
                condition=models.Q(("status__in", ["requested", "accepted"])),
                name="meeting_one_open_per_pair",
            ),
        ),
    ]
