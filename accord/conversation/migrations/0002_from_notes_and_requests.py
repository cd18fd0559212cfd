"""The report's notes and the vendors' information requests become messages in threads."""

from django.db import migrations


def move(apps, schema_editor):
    Thread = apps.get_model("conversation", "Thread")
    Message = apps.get_model("conversation", "Message")
    Participant = apps.get_model("cases", "Participant")
    ReportNote = apps.get_model("cases", "ReportNote")
    InfoRequest = apps.get_model("answers", "InfoRequest")

    def latest(thread, at):
        if thread.last_message_at is None or at > thread.last_message_at:
            thread.last_message_at = at
            thread.save(update_fields=["last_message_at"])

    for note in ReportNote.objects.select_related("report").order_by("created_at", "id"):
        report = note.report
        reporter = Participant.objects.filter(report=report, kind="reporter").first()
        thread = Thread.objects.filter(report=report).first() or Thread.objects.create(
            kind="private", report=report, case_id=report.case_id, participant=reporter,
            created_at=note.created_at,
        )
        Message.objects.create(
            thread=thread,
            author_id=note.author_id,
            author_participant=reporter if note.from_reporter else None,
            from_reporter=note.from_reporter,
            body=note.text,
            created_at=note.created_at,
        )
        latest(thread, note.created_at)

    for info in InfoRequest.objects.select_related("participant").order_by("created_at", "id"):
        participant = info.participant
        thread = Thread.objects.filter(participant=participant).first() or Thread.objects.create(
            kind="private", participant=participant, case_id=participant.case_id, created_at=info.created_at
        )
        asked = Message.objects.create(
            thread=thread,
            author_id=info.asked_by_id,
            author_participant=participant,
            body=info.text,
            request="answered" if info.answered_at else "open",
            answered_at=info.answered_at,
            created_at=info.created_at,
        )
        latest(thread, info.created_at)
        if info.answered_at:
            Message.objects.create(
                thread=thread,
                author_id=info.answered_by_id,
                body=info.answer or "(answered)",
                reply_to=asked,
                created_at=info.answered_at,
            )
            latest(thread, info.answered_at)


class Migration(migrations.Migration):
    dependencies = [
        ("conversation", "0001_initial"),
        ("cases", "0005_participant_report"),
        ("answers", "0002_info_request_read_at"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
