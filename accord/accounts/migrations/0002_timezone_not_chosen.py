"""User.timezone: blank now means "not chosen yet" (pages then use the browser's zone).

Until now every account started with "UTC", so "UTC" meant either "chose UTC" or "never chose".
The audit log tells them apart: a person who picked a zone (in the profile or through the API)
left a `user.timezone_changed` event. Accounts whose zone is "UTC" and that never recorded
choosing it become "not chosen"; an account that did choose UTC keeps it.
"""

from django.db import migrations, models

import accord.accounts.models


def forget_unchosen_utc(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    AuditEvent = apps.get_model("core", "AuditEvent")
    chose_utc = {
        int(pk)
        for pk in AuditEvent.objects.filter(
            kind="user.timezone_changed", object_type="accounts.user", data__new="UTC"
        ).values_list("object_id", flat=True)
        if pk.isdigit()
    }
    User.objects.filter(timezone="UTC").exclude(pk__in=chose_utc).update(timezone="")


def restore_utc(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(timezone="").update(timezone="UTC")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("core", "0002_system_actor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="timezone",
            field=models.CharField(
                blank=True,
                default="",
                max_length=64,
                validators=[accord.accounts.models.validate_timezone],
            ),
        ),
        migrations.RunPython(forget_unchosen_utc, restore_utc),
    ]
