"""The conversation: threads, requests for information, mentions, attachments, read markers.

Through actions, pages and the API; what a participant may read is checked on every surface.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.answers.actions import AnswerInput, submit_answer
from accord.cases.access import standing_of
from accord.cases.models import Participant
from accord.cases.presenter import Viewer
from accord.conversation import actions as conversation
from accord.conversation import mentions
from accord.conversation.models import Message, Thread
from accord.lib.errors import InvalidInput, RuleViolation
from accord.mailgate.models import OutboundMessage
from accord.testing import (
    add_vendor,
    login,
    make_user,
    make_world,
    start_embargo,
    token_client,
    write_privately,
    write_to_reporter,
)

pytestmark = pytest.mark.django_db

SECRET = "Private-only: the build is 7.1.3-rc2"


@pytest.fixture
def world():
    w = make_world()
    start_embargo(w)
    return w


def vendor_row(world) -> Participant:
    return world.case.participants.get(organization=world.vendor_org)


def co_row(world) -> Participant:
    return world.case.participants.get(organization=world.co_vendor_org)


def case_url(world, rest: str = "") -> str:
    return f"/cases/{world.case.url_ref}/messages/{rest}"


# --- The acceptance journey, through HTTP ---------------------------------------------------------


def test_a_request_for_information_goes_from_vendor_to_reporter_and_back(world):
    vendor = login(Client(), world.vendor)
    analyst = login(Client(), world.analyst)
    # 1. The vendor asks for more information with its answer.
    submit_answer(
        vendor_row(world),
        AnswerInput(need_more_information="Which firmware did the reporter test?"),
        by=world.vendor,
    )
    request = Message.objects.get(request=Message.Request.OPEN)
    assert request.thread.participant == vendor_row(world)
    # 2. The analyst sees it on the dashboard and asks the reporter.
    dashboard = analyst.get("/dashboard/").content.decode()
    assert "Which firmware did the reporter test?" in dashboard
    response = analyst.post(
        f"/triage/{world.report.pk}/note/", {"body": "Which firmware did you test?", "request": "on"}
    )
    assert response.status_code == 302
    asked = Message.objects.get(thread__report=world.report, request=Message.Request.OPEN)
    # 3. The reporter answers through the private link (no account needed).
    follow = Client().post(
        f"/report/follow/{world.report_key}/", {"body": "Firmware 7.1.3.", "reply_to": str(asked.pk)}
    )
    assert follow.status_code == 302
    asked.refresh_from_db()
    assert asked.request == Message.Request.ANSWERED
    # 4. The analyst relays the answer to the vendor and closes the request.
    thread = request.thread
    response = analyst.post(
        case_url(world, f"{thread.pk}/"),
        {"body": "The reporter tested firmware 7.1.3.", "reply_to": str(request.pk)},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.request == Message.Request.ANSWERED
    assert analyst.post(case_url(world, f"{thread.pk}/{request.pk}/close/")).status_code == 302
    request.refresh_from_db()
    assert request.request == Message.Request.CLOSED
    # The vendor reads the relayed answer in its private thread.
    page = vendor.get(case_url(world, f"{thread.pk}/")).content.decode()
    assert "The reporter tested firmware 7.1.3." in page
    assert "closed" in page


def test_a_reply_from_the_same_side_leaves_a_request_open(world):
    request = write_privately(vendor_row(world), "Which build?", by=world.analyst, request=True)
    write_privately(vendor_row(world), "Any news?", by=world.analyst, reply_to=request)
    request.refresh_from_db()
    assert request.request == Message.Request.OPEN


def test_requests_are_asked_only_in_private_threads(world):
    with pytest.raises(InvalidInput):
        conversation.post_message(
            conversation.discussion(world.case),
            "Everyone?",
            speaker=conversation.Speaker(world.analyst, staff=True),
            request=True,
        )


def test_only_an_analyst_closes_a_request(world):
    request = write_privately(vendor_row(world), "Which build?", by=world.analyst, request=True)
    with pytest.raises(RuleViolation):
        conversation.close_request(request, by=world.vendor)
    conversation.close_request(request, by=world.analyst)
    with pytest.raises(RuleViolation):
        conversation.close_request(request, by=world.analyst)


# --- Visibility -----------------------------------------------------------------------------------


def test_a_private_message_reaches_nobody_else(world):
    write_privately(vendor_row(world), SECRET, by=world.analyst)
    thread = Thread.objects.get(participant=vendor_row(world))
    for user in (world.co_vendor, world.reporter, world.other_vendor, world.invited_vendor, world.outsider):
        client = login(Client(), user)
        for url in (case_url(world), case_url(world, "new/"), case_url(world, f"{thread.pk}/")):
            response = client.get(url)
            assert SECRET not in response.content.decode(), (user, url)
            if url.endswith(f"{thread.pk}/"):
                assert response.status_code in (404, 409), (user, url)
        api = token_client(user)
        for url in (
            f"/api/v1/cases/{world.case.url_ref}/messages",
            f"/api/v1/cases/{world.case.url_ref}/threads",
            f"/api/v1/cases/{world.case.url_ref}/answer",
            "/dashboard/",
            "/portal/",
        ):
            assert SECRET not in api.get(url).content.decode(), (user, url)
    # Its own side reads it, on the page and in the API.
    assert SECRET in login(Client(), world.vendor).get(case_url(world, f"{thread.pk}/")).content.decode()
    items = token_client(world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/messages").json()["items"]
    assert [i["body"] for i in items if i["thread"] == "private"] == [SECRET]
    # Mail never carries it.
    assert not OutboundMessage.objects.filter(body_text__contains=SECRET).exists()


def test_an_invited_vendor_sees_no_thread(world):
    conversation.post_message(
        conversation.discussion(world.case),
        "Hello all",
        speaker=conversation.Speaker(world.analyst, staff=True),
    )
    client = login(Client(), world.invited_vendor)
    assert client.get(case_url(world)).status_code == 409
    api = token_client(world.invited_vendor)
    assert api.get(f"/api/v1/cases/{world.case.url_ref}/messages").status_code == 409
    standing = standing_of(world.invited_vendor, world.case)
    from accord.cases.access import threads_visible

    assert not threads_visible(standing).exists()


def test_an_anonymous_vendor_is_mentioned_by_its_alias_to_others(world):
    analyst = token_client(world.analyst)
    response = analyst.post(
        f"/api/v1/cases/{world.case.url_ref}/messages",
        data=json.dumps({"thread": "case", "body": "@[Vendor One] and @[Vendor Three], please confirm."}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert "@Vendor One and @Vendor Three" in response.json()["body"]
    alias = vendor_row(world).alias
    for user in (world.co_vendor, world.reporter):
        body = (
            token_client(user)
            .get(f"/api/v1/cases/{world.case.url_ref}/messages?thread=case")
            .json()["items"][0]["body"]
        )
        assert "Vendor One" not in body and f"@{alias}" in body, body
        page = (
            login(Client(), user)
            .get(case_url(world, f"{Thread.objects.get(kind='case').pk}/"))
            .content.decode()
        )
        assert "Vendor One" not in page
    # The vendor itself reads its own name.
    own = (
        token_client(world.vendor)
        .get(f"/api/v1/cases/{world.case.url_ref}/messages?thread=case")
        .json()["items"][0]
    )
    assert "Vendor One" in own["body"]


def test_a_participant_cannot_unmask_an_anonymous_vendor_by_mentioning_its_name(world):
    with pytest.raises(InvalidInput) as refused:
        conversation.post_message(
            conversation.discussion(world.case),
            "@[Vendor One], are you there?",
            speaker=conversation.speaker_in(
                standing_of(world.co_vendor, world.case), conversation.discussion(world.case)
            ),
        )
    assert "Vendor One" in refused.value.message  # only echoes what the writer typed


def test_typed_tokens_never_render_as_mentions(world):
    message = conversation.post_message(
        conversation.discussion(world.case),
        "Literal @[p:1] stays text",
        speaker=conversation.Speaker(world.analyst, staff=True),
        mentions=False,
    )
    shown = Viewer.of(standing_of(world.co_vendor, world.case)).message(message)
    assert shown.body == "Literal @[p:1] stays text"


def test_a_topic_reaches_only_its_members(world):
    topic = conversation.open_topic(world.case, "The parser fix", [co_row(world)], by=world.analyst)
    conversation.post_message(
        topic, "Topic-only words", speaker=conversation.Speaker(world.analyst, staff=True)
    )
    assert (
        "Topic-only words"
        in login(Client(), world.co_vendor).get(case_url(world, f"{topic.pk}/")).content.decode()
    )
    assert login(Client(), world.vendor).get(case_url(world, f"{topic.pk}/")).status_code == 404
    items = token_client(world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/messages").json()["items"]
    assert all(i["body"] != "Topic-only words" for i in items)
    # Adding the vendor lets it in.
    conversation.set_topic_members(topic, [co_row(world), vendor_row(world)], by=world.analyst)
    assert login(Client(), world.vendor).get(case_url(world, f"{topic.pk}/")).status_code == 200


def test_topics_through_the_api(world):
    analyst = token_client(world.analyst)
    response = analyst.post(
        f"/api/v1/cases/{world.case.url_ref}/threads",
        data=json.dumps({"title": "Product A", "members": [co_row(world).pk]}),
        content_type="application/json",
    )
    assert response.status_code == 201
    topic = response.json()
    assert topic["kind"] == "topic" and topic["members"] == [co_row(world).pk]
    bad = analyst.post(
        f"/api/v1/cases/{world.case.url_ref}/threads",
        data=json.dumps({"title": "X", "members": [999999]}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "members"
    posted = token_client(world.co_vendor).post(
        f"/api/v1/cases/{world.case.url_ref}/messages",
        data=json.dumps({"thread": str(topic["id"]), "body": "Our product A is fine."}),
        content_type="application/json",
    )
    assert posted.status_code == 201 and posted.json()["thread"] == str(topic["id"])
    # A vendor outside the topic cannot write there.
    assert (
        token_client(world.vendor)
        .post(
            f"/api/v1/cases/{world.case.url_ref}/messages",
            data=json.dumps({"thread": str(topic["id"]), "body": "Let me in"}),
            content_type="application/json",
        )
        .status_code
        == 404
    )


def test_the_api_private_thread_needs_the_participant_for_analysts(world):
    analyst = token_client(world.analyst)
    url = f"/api/v1/cases/{world.case.url_ref}/messages"
    missing = analyst.post(
        url, data=json.dumps({"thread": "private", "body": "Hi"}), content_type="application/json"
    )
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "participant"
    ok = analyst.post(
        url,
        data=json.dumps(
            {"thread": "private", "participant": vendor_row(world).pk, "body": "Hi", "request": True}
        ),
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["request"] == "open"
    # The vendor writes "private" without naming anyone and answers the request.
    answer = token_client(world.vendor).post(
        url,
        data=json.dumps({"thread": "private", "body": "Build 7", "reply_to": ok.json()["id"]}),
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert Message.objects.get(pk=ok.json()["id"]).request == Message.Request.ANSWERED
    closed = analyst.post(f"{url}/{ok.json()['id']}/close")
    assert closed.status_code == 200 and closed.json()["request"] == "closed"
    assert analyst.post(f"{url}/{ok.json()['id']}/close").status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"thread": "nonsense", "body": "x"},
        {"thread": "case", "body": ""},
        {"thread": "case", "body": "x", "extra": 1},
        {"thread": "case", "body": "x", "reply_to": 999999},
        {"thread": "case", "body": "x", "attachments": [{"name": "a", "content_base64": "%%%"}]},
        {"thread": "case", "body": "\x00"},
        {"thread": "case", "body": "@[Nobody Here] hi"},
    ],
)
def test_bad_message_bodies_get_a_clear_400(world, body):
    response = token_client(world.vendor).post(
        f"/api/v1/cases/{world.case.url_ref}/messages", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


# --- Attachments ----------------------------------------------------------------------------------


def test_attachments_are_stored_with_their_hash_and_served_only_to_readers(world, settings):
    content = b"crash log\n" * 10
    response = token_client(world.vendor).post(
        f"/api/v1/cases/{world.case.url_ref}/messages",
        data=json.dumps(
            {
                "thread": "private",
                "body": "Our crash log",
                "attachments": [{"name": "crash.log", "content_base64": base64.b64encode(content).decode()}],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    item = response.json()["attachments"][0]
    assert item["sha256"] == hashlib.sha256(content).hexdigest() and item["size"] == len(content)
    got = token_client(world.analyst).get(item["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == content
    assert got["Content-Disposition"].startswith("attachment")
    assert token_client(world.co_vendor).get(item["url"]).status_code == 404
    page_url = f"/cases/{world.case.url_ref}/messages/files/{item['id']}/"
    assert login(Client(), world.co_vendor).get(page_url).status_code == 404
    assert login(Client(), world.analyst).get(page_url).status_code == 200
    # Over the limit: refused, naming the file.
    settings.MESSAGE_MAX_ATTACHMENT_BYTES = 10
    big = token_client(world.vendor).post(
        f"/api/v1/cases/{world.case.url_ref}/messages",
        data=json.dumps(
            {
                "thread": "private",
                "body": "x",
                "attachments": [{"name": "big.bin", "content_base64": base64.b64encode(content).decode()}],
            }
        ),
        content_type="application/json",
    )
    assert big.status_code == 400 and "big.bin" in big.json()["detail"]
    assert not Message.objects.filter(body="x").exists()  # nothing half-stored


def test_a_page_upload_attaches_files(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    thread = conversation.private_thread(vendor_row(world))
    response = login(Client(), world.vendor).post(
        case_url(world, f"{thread.pk}/"),
        {"body": "See the file", "attachments": [SimpleUploadedFile("poc.py", b"print(1)")]},
    )
    assert response.status_code == 302
    assert Message.objects.get(body="See the file").attachments.get().name == "poc.py"


# --- Unread markers and what is new ----------------------------------------------------------------


def test_unread_counts_and_whats_new(world):
    write_privately(vendor_row(world), "First", by=world.analyst)
    write_privately(vendor_row(world), "Second", by=world.analyst)
    vendor = login(Client(), world.vendor)
    threads = token_client(world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/threads").json()["items"]
    private = next(t for t in threads if t["thread"] == "private")
    assert private["unread"] == 2 and private["messages"] == 2
    new = vendor.get(case_url(world, "new/")).content.decode()
    assert "First" in new and "Second" in new
    vendor.get(case_url(world, f"{private['id']}/"))  # reading marks it read
    assert "First" not in vendor.get(case_url(world, "new/")).content.decode()
    unread = token_client(world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/messages?unread=true").json()
    assert unread["items"] == []
    # The vendor's home counts the coordinator's new messages, until read.
    write_privately(vendor_row(world), "Third", by=world.analyst)
    assert "1 new message" in vendor.get("/portal/").content.decode()
    assert vendor.post(case_url(world, "new/")).status_code == 302
    assert "1 new message" not in vendor.get("/portal/").content.decode()


def test_ones_own_messages_are_never_unread(world):
    thread = conversation.private_thread(vendor_row(world))
    conversation.post_message(thread, "Mine", speaker=conversation.Speaker(world.vendor, vendor_row(world)))
    threads = token_client(world.vendor).get(f"/api/v1/cases/{world.case.url_ref}/threads").json()["items"]
    assert next(t for t in threads if t["thread"] == "private")["unread"] == 0


# --- Constant queries -----------------------------------------------------------------------------


def _fill(world, vendors: int, messages: int) -> None:
    from accord.accounts import actions as account_actions

    seed = make_user(f"seed{vendors}@coordinator.test", staff_role="admin")
    for i in range(vendors):
        org = account_actions.create_organization(f"Bulk {vendors}-{i}", "vendor", by=seed)
        p = add_vendor(world.case, org, accepted=True)
        write_privately(p, f"Hello {i}", by=world.analyst)
    thread = conversation.discussion(world.case)
    for i in range(messages):
        conversation.post_message(
            thread, f"Message {i} @[Vendor Three]", speaker=conversation.Speaker(world.analyst, staff=True)
        )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("as_vendor", [False, True])
def test_the_conversation_pages_and_api_take_the_same_queries_whatever_the_size(world, as_vendor):
    user = world.co_vendor if as_vendor else world.analyst
    client = login(Client(), user)
    api = token_client(user)
    discussion = conversation.discussion(world.case)
    urls = [
        case_url(world),
        case_url(world, f"{discussion.pk}/?page=1"),
        case_url(world, "new/"),
        f"/api/v1/cases/{world.case.url_ref}/messages?limit=50",
        f"/api/v1/cases/{world.case.url_ref}/threads?limit=50",
    ]
    _fill(world, 3, 3)
    for u in urls:  # a first visit makes the case discussion and the reader's private thread
        _count(api if u.startswith("/api") else client, u)
    small = [(_count(api if u.startswith("/api") else client, u)) for u in urls]
    _fill(world, 30, 60)
    large = [(_count(api if u.startswith("/api") else client, u)) for u in urls]
    assert small == large, list(zip(urls, small, large, strict=True))


# --- The mention parser never crashes ---------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from("@[]ab .:-p\n\u00e9" + "x"), max_size=60))
def test_mentions_resolve_or_refuse_clearly(world, text):
    audience = list(world.case.participants.exclude(kind="coordinator"))
    try:
        body, found = mentions.resolve(
            text, audience=audience, author_viewer=Viewer.coordinator(), author_org_ids=set()
        )
    except InvalidInput as exc:
        assert exc.field == "body" and "No one in this thread" in exc.message
    else:
        assert len(found) == body.count("@[p:") + body.count("@[u:")


# --- Who is told, and what mail carries -------------------------------------------------------------


def _mails_to(email: str):
    """The mails about messages (not the report's earlier acknowledgements)."""
    return list(OutboundMessage.objects.filter(to_email=email, subject__icontains="new message"))


def test_a_private_message_is_announced_to_its_readers_only(world):
    world.case.analysts.add(world.analyst)
    thread = conversation.private_thread(vendor_row(world))
    conversation.post_message(thread, SECRET, speaker=conversation.Speaker(world.vendor, vendor_row(world)))
    # The analyst on the case is told, neutrally; nobody else is.
    told = _mails_to(world.analyst.email)
    assert len(told) == 1 and SECRET not in told[0].body_text + told[0].subject
    assert world.case.label in told[0].subject
    for other in (world.co_vendor, world.invited_vendor, world.reporter, world.vendor):
        assert _mails_to(other.email) == []
    assert not OutboundMessage.objects.filter(body_text__contains=SECRET).exists()


def test_the_case_discussion_reaches_accepted_participants_never_the_invited_one(world):
    conversation.post_message(
        conversation.discussion(world.case),
        "To everyone",
        speaker=conversation.Speaker(world.analyst, staff=True),
    )
    assert len(_mails_to(world.vendor.email)) == 1
    assert len(_mails_to(world.co_vendor.email)) == 1
    assert _mails_to(world.invited_vendor.email) == []  # it has not accepted the embargo
    assert len(_mails_to(world.report.reporter_email)) == 1  # the reporter, through the follow link
    assert not OutboundMessage.objects.filter(body_text__contains="To everyone").exists()


def test_a_vendor_with_a_key_gets_the_message_sealed_and_reads_only_the_alias(world):
    from accord.vendors.models import PublicKey

    PublicKey.objects.create(  # a factory: a pinned, usable key (sealing happens when the mail is sent)
        organization=world.co_vendor_org, fingerprint="B" * 40, armored="KEY", can_encrypt=True
    )
    conversation.post_message(
        conversation.discussion(world.case),
        "@[Vendor One] confirmed it",
        speaker=conversation.Speaker(world.analyst, staff=True),
    )
    mail = _mails_to(world.co_vendor.email)[0]
    assert list(mail.encrypt_to) == ["KEY"]
    assert f"@{vendor_row(world).alias} confirmed it" in mail.sealed_text
    assert "Vendor One" not in mail.sealed_text and "confirmed" not in mail.body_text
    # The vendor itself has no key: neutral mail only, no sealed text stored.
    own = _mails_to(world.vendor.email)[0]
    assert own.sealed_text == "" and "confirmed" not in own.body_text


def test_digest_readers_get_one_mail_for_the_day(world):
    from accord.notifications.models import DigestItem

    world.co_vendor.notify_mode = "digest"
    world.co_vendor.save(update_fields=["notify_mode"])
    for i in range(3):
        conversation.post_message(
            conversation.discussion(world.case),
            f"Note {i}",
            speaker=conversation.Speaker(world.analyst, staff=True),
        )
    write_privately(vendor_row(world), SECRET, by=world.analyst)
    items = DigestItem.objects.filter(user=world.co_vendor)
    assert items.count() == 3 and not items.filter(full_text__contains=SECRET).exists()
    assert _mails_to(world.co_vendor.email) == []
    from accord.notifications.digest import send_digests as run_digests

    with time_machine.travel(timezone.now() + dt.timedelta(days=1, hours=1)):
        run_digests()
    mails = list(
        OutboundMessage.objects.filter(to_email=world.co_vendor.email, subject__contains="Daily digest")
    )
    assert len(mails) == 1 and "Daily digest: 3" in mails[0].subject
    assert "Note 0" not in mails[0].body_text and SECRET not in mails[0].body_text + mails[0].sealed_text


# --- The reporter without an account, through the API with the follow secret --------------------


def test_an_anonymous_reporter_talks_through_the_api_with_the_follow_secret(world):
    from accord.cases import actions as case_actions
    from accord.cases.actions.reports import ReportInput

    report, key = case_actions.submit_report(
        ReportInput(product="Gadget", version="1", description="Overflow."), by=None
    )
    assert report.reporter_name == "" and report.reporter_email == ""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client = Client()
    # Before acceptance: the report's thread.
    question = write_to_reporter(report, "Which build?", by=world.analyst, request=True)
    detail = client.get(f"/api/v1/reports/{report.pk}", **bearer).json()
    assert [n["text"] for n in detail["notes"]] == ["Which build?"] and detail["notes"][0][
        "request"
    ] == "open"
    answered = client.post(
        f"/api/v1/reports/{report.pk}/notes",
        data=json.dumps({"text": "Build 9.", "reply_to": question.pk}),
        content_type="application/json",
        **bearer,
    )
    assert answered.status_code == 201 and answered.json()["from_reporter"] is True
    question.refresh_from_db()
    assert question.request == Message.Request.ANSWERED
    # After acceptance: the case's messages, the reporter's private thread and the discussion.
    case = case_actions.accept_report(report, by=world.analyst)
    conversation.post_message(
        conversation.discussion(case),
        "Hello everyone",
        speaker=conversation.Speaker(world.analyst, staff=True),
    )
    items = client.get(f"/api/v1/cases/{case.url_ref}/messages", **bearer).json()["items"]
    assert {(i["thread"], i["body"]) for i in items} >= {
        ("private", "Which build?"),
        ("case", "Hello everyone"),
    }
    posted = client.post(
        f"/api/v1/cases/{case.url_ref}/messages",
        data=json.dumps({"thread": "private", "body": "Any news?"}),
        content_type="application/json",
        **bearer,
    )
    assert posted.status_code == 201 and posted.json()["side"] == "reporter" and posted.json()["mine"]
    threads = client.get(f"/api/v1/cases/{case.url_ref}/threads", **bearer).json()["items"]
    discussion = next(t for t in threads if t["thread"] == "case")
    assert discussion["unread"] == 1
    assert (
        client.post(f"/api/v1/cases/{case.url_ref}/threads/{discussion['id']}/read", **bearer).json()[
            "unread"
        ]
        == 0
    )
    # The secret reaches that case only.
    assert client.get(f"/api/v1/cases/{world.case.url_ref}/messages", **bearer).status_code == 404
    assert (
        client.get(f"/api/v1/cases/{case.url_ref}/messages", HTTP_AUTHORIZATION="Bearer wrong").status_code
        == 401
    )


def test_an_analyst_chooses_a_topics_readers_on_its_page(world):
    topic = conversation.open_topic(world.case, "Product B", [co_row(world)], by=world.analyst)
    analyst = login(Client(), world.analyst)
    page = analyst.get(case_url(world, f"{topic.pk}/")).content.decode()
    assert "Choose who reads this topic" in page
    response = analyst.post(case_url(world, f"{topic.pk}/members/"), {"members": [str(vendor_row(world).pk)]})
    assert response.status_code == 302
    assert list(topic.members.all()) == [vendor_row(world)]
    # Vendors cannot.
    assert (
        login(Client(), world.vendor)
        .post(case_url(world, f"{topic.pk}/members/"), {"members": []})
        .status_code
        == 403
    )


def test_an_analyst_closes_a_request_to_the_reporter_before_there_is_a_case(world):
    from accord.cases import actions as case_actions
    from accord.cases.actions.reports import ReportInput

    report, key = case_actions.submit_report(
        ReportInput(product="Gadget", version="1", description="x"), by=None
    )
    question = write_to_reporter(report, "Which build?", by=world.analyst, request=True)
    analyst = login(Client(), world.analyst)
    assert "Close the request" in analyst.get(f"/triage/{report.pk}/").content.decode()
    assert (
        login(Client(), world.vendor).post(f"/triage/{report.pk}/messages/{question.pk}/close/").status_code
        == 403
    )
    assert analyst.post(f"/triage/{report.pk}/messages/{question.pk}/close/").status_code == 302
    question.refresh_from_db()
    assert question.request == Message.Request.CLOSED


def test_the_vendors_tab_leads_to_each_vendors_private_thread(world):
    analyst = login(Client(), world.analyst)
    page = analyst.get(f"/cases/{world.case.url_ref}/vendors/").content.decode()
    link = f"/cases/{world.case.url_ref}/messages/with/{vendor_row(world).pk}/"
    assert link in page
    response = analyst.get(link)
    thread = Thread.objects.get(participant=vendor_row(world))
    assert response.status_code == 302 and response["Location"].endswith(f"/messages/{thread.pk}/")
