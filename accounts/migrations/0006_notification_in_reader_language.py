"""Notifications written language-neutrally (``Notification.text``: msgids and parameters, ``core.i18n``), read in
the reader's language; the rows stored as text before keep it (``text`` empty)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_organization_contact_user_notifications'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='text',
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name='message as written'),
        ),
    ]
