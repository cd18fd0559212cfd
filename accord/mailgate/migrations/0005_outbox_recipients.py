from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mailgate", "0004_outbox_routing_signatures_triage"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="also_to",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The recipient organisation's other addresses, on the same mail.",
            ),
        ),
    ]
