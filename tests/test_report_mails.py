"""The reporter's mails: derived follow links, and neutral mail when we write or accept."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from accord.accounts.models import hash_secret
from accord.cases import actions
from accord.cases.actions.reports import ReportInput, follow_key, follow_link, follow_url
from accord.cases.models import Report
from accord.mailgate.models import OutboundMessage
from accord.testing import World, login, reporter_writes, write_to_reporter

pytestmark = pytest.mark.django_db

SECRET_WORDS = ("Zanzibar Router", "xylophone overflow", "Which firmware build")


def new_report(email: str = "rita@research.test") -> tuple[Report, str]:
    return actions.submit_report(
        ReportInput(
            product="Zanzibar Router",
            version="9",
            description="A xylophone overflow in the parser.",
            reporter_email=email,
        ),
        by=None,
    )


def mails_to(email: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(to_email=email).order_by("created_at", "id"))


def assert_neutral(message: OutboundMessage) -> None:
    for words in SECRET_WORDS:
        assert words not in message.subject and words not in message.body_text, words


def test_the_follow_secret_is_derived_from_the_secret_key_and_only_its_hash_is_stored() -> None:
    report, key = new_report()
    assert key == follow_key(report.pk)
    assert report.access_key_hash == hash_secret(key) and key not in report.access_key_hash
    assert follow_link(report) == follow_url(key)
    assert len(key) >= 43  # 256 bits
    other, other_key = new_report()
    assert other_key != key
    assert Client().get(f"/report/follow/{key}/").status_code == 200


def test_a_report_whose_secret_cannot_be_derived_has_no_link_to_mail(settings) -> None:  # type: ignore[no-untyped-def]
    report, key = new_report()
    settings.SECRET_KEY = "another secret key, after a rotation" * 2
    assert follow_link(report) is None
    # The stored hash still opens the old link.
    assert Client().get(f"/report/follow/{key}/").status_code == 200


def test_the_acknowledgement_is_neutral_and_holds_the_link() -> None:
    report, key = new_report()
    [ack] = mails_to("rita@research.test")
    assert report.pk in ack.subject and follow_url(key) in ack.body_text
    assert_neutral(ack)


def test_a_message_from_the_coordinator_mails_the_reporter_the_link(world: World) -> None:
    report, key = new_report()
    write_to_reporter(report, "Which firmware build do you run?", by=world.analyst)
    ack, message = mails_to("rita@research.test")
    assert message.subject.endswith(f"New message about your report {report.pk}")
    assert follow_url(key) in message.body_text
    assert_neutral(message)
    # The reporter's own answer mails nobody.
    reporter_writes(report, "Build 1234.")
    assert len(mails_to("rita@research.test")) == 2


def test_the_message_mail_of_an_older_report_points_to_the_acknowledgement(  # type: ignore[no-untyped-def]
    world: World, settings
) -> None:
    report, key = new_report()
    settings.SECRET_KEY = "another secret key, after a rotation" * 2
    write_to_reporter(report, "Which firmware build?", by=world.analyst)
    message = mails_to("rita@research.test")[-1]
    assert "/report/follow/" not in message.body_text and key not in message.body_text
    assert f'the mail "Report {report.pk} received"' in message.body_text


def test_accepting_the_report_mails_the_reporter(world: World) -> None:
    report, key = new_report()
    case = actions.accept_report(report, by=world.analyst)
    message = mails_to("rita@research.test")[-1]
    assert message.subject.endswith(f"Your report {report.pk} is accepted")
    assert case.label in message.body_text and follow_url(key) in message.body_text
    assert_neutral(message)
    # Deferred, then accepted again: the reporter hears of it again.
    report.refresh_from_db()
    actions.defer_report(report, by=world.analyst)
    actions.accept_report(report, by=world.analyst)
    assert [m.subject.endswith("is accepted") for m in mails_to("rita@research.test")] == [False, True, True]


def test_a_reporter_without_an_email_gets_no_mail(world: World) -> None:
    before = OutboundMessage.objects.count()
    report, _ = new_report(email="")
    write_to_reporter(report, "Which firmware build?", by=world.analyst)
    actions.accept_report(report, by=world.analyst)
    assert OutboundMessage.objects.count() == before


def test_the_mail_goes_with_the_action_or_not_at_all(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    report, _ = new_report()
    before = OutboundMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        write_to_reporter(report, "Which firmware build?", by=world.analyst)
        raise RuntimeError("rolled back")
    assert OutboundMessage.objects.count() == before
    # Once the action commits, the outbox row is sent (to the test's file sink).
    with django_capture_on_commit_callbacks(execute=True):
        write_to_reporter(report, "Which firmware build?", by=world.analyst)
    message = mails_to("rita@research.test")[-1]
    assert message.status == OutboundMessage.Status.SENT


def test_the_analysts_message_on_the_report_page_mails_the_reporter(world: World) -> None:
    report, key = new_report()
    client = login(Client(), world.analyst)
    response = client.post(f"/triage/{report.pk}/note/", {"body": "Which firmware build?"})
    assert response.status_code == 302
    message = mails_to("rita@research.test")[-1]
    assert "New message about your report" in message.subject and follow_url(key) in message.body_text
