"""E-mail verification at sign-up and protected organisation names (#11 item 4).

Every user already registered is taken as verified at the time they joined. Every organisation gets its name's key
(``accounts.names.name_key``); where two existing names share a key, one keeps it (a verified one first, else the
oldest) and the others keep an empty key and point at it in ``resembles`` (staff see them in the organisation list
and rename or merge them); unverified organisations whose name contains a verified one's point at that one.
"""

import django.db.models.deletion
from django.db import migrations, models

from accounts.names import name_key, resembles


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Organization = apps.get_model("accounts", "Organization")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=models.F("date_joined"))

    organizations = list(Organization.objects.order_by("-verified", "pk").only("pk", "name", "verified"))
    keeper: dict[str, object] = {}
    for organization in organizations:
        key = name_key(organization.name)
        if key and key in keeper:
            organization.resembles_id = keeper[key].pk
        elif key:
            keeper[key] = organization
            organization.name_key = key
    verified = sorted(
        ((o.name_key, o.pk) for o in organizations if o.verified and o.name_key), key=lambda item: -len(item[0])
    )
    for organization in organizations:
        if organization.verified or organization.resembles_id or not organization.name_key:
            continue
        for protected, pk in verified:  # the longest verified name it contains
            if resembles(organization.name_key, protected):
                organization.resembles_id = pk
                break
    Organization.objects.bulk_update(organizations, ["name_key", "resembles"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_bounded_text"),
        ("reference", "0002_seed_partner_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="name_key",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The name without case, spaces or punctuation (accounts.names): unique among organisations.",
                max_length=600,
                verbose_name="name as compared",
            ),
        ),
        migrations.AddField(
            model_name="organization",
            name="resembles",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="A verified organisation whose name this one's contains: check it is theirs before verifying.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.organization",
                verbose_name="resembles",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the user opened the link sent at sign-up; empty: not verified, and not active until "
                "then.",
                null=True,
                verbose_name="e-mail verified at",
            ),
        ),
        # The constraint before the data (which never breaks it): on PostgreSQL a table cannot be altered after
        # rows of it were updated in the same transaction with deferred foreign-key checks pending (resembles).
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.UniqueConstraint(
                condition=models.Q(("name_key", ""), _negated=True),
                fields=("name_key",),
                name="organization_name_key_unique",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
