from django.db import migrations, models
import django.db.models.deletion


def link_reporters(apps, schema_editor):
    """A reporter's participation belongs to the report it came from (same case and submitter)."""
    Participant = apps.get_model("cases", "Participant")
    Report = apps.get_model("cases", "Report")
    for participant in Participant.objects.filter(kind="reporter", report__isnull=True):
        reports = Report.objects.filter(case_id=participant.case_id, submitted_by_id=participant.user_id)
        report = reports.order_by("created_at").first()
        if report is not None:
            participant.report_id = report.pk
            participant.save(update_fields=["report"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_system_actor")]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="report",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reporter_participants",
                to="cases.report",
            ),
        ),
        migrations.RunPython(link_reporters, migrations.RunPython.noop),
    ]
