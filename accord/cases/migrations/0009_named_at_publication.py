from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_archive_participant_vendor_information"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="named_at_publication",
            field=models.BooleanField(
                default=False, help_text="An anonymous vendor chose to be named in the published note."
            ),
        ),
    ]
