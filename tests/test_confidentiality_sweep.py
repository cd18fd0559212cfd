"""The sweep of issue 7: every event kind, every participant field and every statement, through
every surface a co-participant has (pages, the API, mail), for an anonymous vendor that
clearsigned and shared its statement. Nothing may name it: not its name, its members' or
contacts' emails, its organisation id, nor any fingerprint or key id of its key, also not inside
anything armoured (checked with `gpg --list-packets`).

The scenario drives every event kind of accord.cases.events.KINDS through the real actions;
`test_the_scenario_covers_every_event_kind` fails when a new kind is declared and not added here.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accord.accounts import actions as account_actions
from accord.answers.actions import (
    AnswerInput,
    StatementInput,
    StatusInput,
    add_addendum,
    statement_from_mail,
    submit_answer,
)
from accord.cases import actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.events import KINDS, record
from accord.cases.models import Case, CaseEvent, ClaimLink, Participant
from accord.cases.states import EM
from accord.conversation import actions as conversation
from accord.core.actors import SYSTEM
from accord.core.routes import all_routes
from accord.mailgate.models import InboundMessage, OutboundMessage
from accord.testing import (
    PASSWORD,
    World,
    login,
    make_user,
    open_requests_of,
    write_privately,
    write_to_reporter,
)
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import TestKey as SigningKey
from tests.pgp_keys import make_key
from tests.test_authorization_matrix import PARAM, expand, samples

pytestmark = pytest.mark.django_db

# Kinds that live on a report before (or without) a case: no case surface can show them.
REPORT_ONLY = {
    "report.received",
    "report.validate",
    "report.invalidate",
    "report.note",
    "report.assigned",
    "ssvc.triage",
    "mail.report",  # a report filed from a mail in the triage inbox
}
PUBLISH_VALUES = {
    "supplier_involvement": "fix ready",
    "exploitation": "active",
    "public_value_added": "ampliative",
}
TRIAGE_VALUES = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "multiple",
    "supplier_engagement": "active",
    "utility": "efficient",
    "public_safety_impact": "significant",
}
ARMOUR = re.compile(r"-----BEGIN PGP [A-Z ]+-----.*?-----END PGP [A-Z ]+-----", re.DOTALL)


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("sweep-key"), "psirt@vendor-one.test")


def future(days: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)


@dataclass
class Scene:
    world: World
    cases: list[Case]  # the busy case, one whose embargo expired, one whose embargo was terminated
    participant: Participant  # the anonymous vendor in the busy case


def build(world: World, key: SigningKey) -> Scene:
    analyst = world.analyst
    case = world.case
    assert case is not None and world.report is not None
    anon = case.participants.get(organization=world.vendor_org)
    co = case.participants.get(organization=world.co_vendor_org)
    invited = case.participants.get(organization=world.invited_vendor_org)
    assert anon.anonymous and not co.anonymous
    # The report side: SSVC triage, an assignment, a note, a duplicate and an invalid report.
    actions.record_triage(world.report, TRIAGE_VALUES, "coordinate", by=analyst)
    actions.assign_report(world.report, analyst, by=analyst)
    write_to_reporter(world.report, "Which build?", by=analyst)
    # Kinds recorded before the conversation replaced the report's notes and the vendors'
    # requests: no action records them any more, but old timelines still show them.
    record("report.note", report=world.report, case=case, actor=analyst, from_reporter=False, note=1)
    actions.set_credit(world.report, True, "Finder of Research Lab", by=world.reporter)
    twin, _ = actions.submit_report(ReportInput(product="Widget", version="2", description="Same"), by=None)
    actions.mark_duplicate(twin, case, by=analyst)
    junk, _ = actions.submit_report(ReportInput(product="Spam", version="0", description="x"), by=None)
    actions.invalidate_report(junk, by=analyst, reason="spam")
    # The case's data.
    actions.update_case(case, by=analyst, title="Widget Server heap overflow")
    actions.assign_analysts(case, [analyst, world.publisher], by=analyst, owner=analyst)
    participant_actions.update_vendor_texts(
        case, vendor_summary="A heap overflow.", notification_text="Please look.", by=analyst
    )
    vulnerability = actions.add_vulnerability(case, by=analyst, title="Second flaw", cwe="CWE-787")
    actions.update_vulnerability(vulnerability, by=analyst, cve="CVE-2026-12345")
    actions.add_product(vulnerability, "Widget Server", by=analyst, version_range="< 2.2")
    partner = account_actions.create_organization("Partner CSIRT", "coordinator", by=SYSTEM)
    actions.add_coordinator(case, partner, by=analyst)
    # Contacts, notification (the first contact: the default embargo), an unreachable vendor.
    vendor_actions.upload_key(world.vendor_org, key.public, by=analyst)
    for org, email in (
        (world.vendor_org, "psirt@vendor-one.test"),
        (world.co_vendor_org, "psirt@vendor-three.test"),
        (world.invited_vendor_org, "psirt@vendor-four.test"),
    ):
        vendor_actions.add_contact(org, email, role="to", by=analyst)
    participant_actions.notify_vendors(case, [anon, co, invited], by=analyst)
    unreachable = participant_actions.add_vendors(case, [world.other_vendor_org], by=analyst)
    participant_actions.notify_vendors(case, unreachable, by=analyst)
    actions.record_contact_attempt(
        case, by=analyst, outside=True, note="phoned Vendor One, psirt@vendor-one.test"
    )
    # A vendor claims its account from the notification; one from a cc address needs approval.
    claimable = account_actions.create_organization("Vendor Five", "vendor", by=SYSTEM)
    vendor_actions.add_contact(claimable, "psirt@vendor-five.test", role="to", by=analyst)
    vendor_actions.add_contact(claimable, "cc@vendor-five.test", role="cc", by=analyst)
    five = participant_actions.add_vendors(case, [claimable], by=analyst)
    participant_actions.notify_vendors(case, five, by=analyst)
    links = {link.email: link for link in ClaimLink.objects.filter(participant=five[0])}
    participant_actions.claim_account(links["cc@vendor-five.test"], password=PASSWORD)
    participant_actions.approve_claim(ClaimLink.objects.get(pk=links["cc@vendor-five.test"].pk), by=analyst)
    # The anonymous vendor opens the case, joins the embargo, keeps its own records, answers.
    participant_actions.mark_seen(anon, by=world.vendor)
    participant_actions.answer_embargo(anon, accept=True, by=world.vendor)
    participant_actions.answer_embargo(co, accept=True, by=world.co_vendor)
    participant_actions.answer_embargo(invited, accept=False, by=world.invited_vendor)
    participant_actions.set_tracking_id(anon, "PSIRT-1234", by=world.vendor)
    colleague = make_user("second@vendor-one.test", org=world.vendor_org)
    participant_actions.set_member_access(anon, [world.vendor, colleague], by=world.vendor)
    # Its choice of name at publication, changed back by an analyst for it (the note published
    # below keeps its alias, so the public pages the co-participant reads must not name it).
    participant_actions.set_named_at_publication(anon, True, by=world.vendor)
    participant_actions.set_named_at_publication(anon, False, by=analyst)
    submit_answer(
        anon,
        AnswerInput(
            statuses=[
                StatusInput("1", "fixed", fixed_version="2.2"),
                StatusInput("2", "under_investigation"),
            ],
            statement=StatementInput(key.clearsign(b"Fixed in 2.2.\n- Upgrade now.\n")),
            need_more_information="Which compiler did the reporter use?",
            share=True,
        ),
        by=world.vendor,
    )
    anon.refresh_from_db()
    assert anon.statements.get().verification == "verified"
    add_addendum(anon, "Confirmed by the coordinator.", by=analyst)
    # A clearsigned statement by mail, made the vendor's statement (a factory for the received
    # mail: the gateway is tested in tests/test_inbound_pgp.py).
    signed = key.clearsign(b"Fixed in 2.2.\n- Upgrade now.\n")  # the same words, signed again
    mail = InboundMessage.objects.create(
        raw=signed,
        sha256="1" * 64,
        size=len(signed),
        message_id="<sweep@vendor-one.test>",
        received_via="smtp",
        status=InboundMessage.Status.PROCESSED,
        case=case,
        participant=anon,
        signed_data=signed,
        signature=InboundMessage.Signature.VERIFIED,
        posted_message=conversation.post_message(
            conversation.private_thread(anon), "Signed.", speaker=conversation.Speaker(None, anon)
        ),
    )
    assert statement_from_mail(mail, by=analyst).verification == "verified"
    record("answer.info_answered", case=case, actor=analyst, participant=anon, request=1)  # as above
    # The archive import (accord.archive.load) writes these in bulk, by Accord, on the cases it
    # creates or updates; here on the busy case, as the importer's data would read.
    for kind in ("case.imported", "case.reimported"):
        record(kind, case=case, actor=SYSTEM, source="data/6/vu_854306/vu_854306.json", vendor_records=2)
    # The conversation: the vendor's question answered in its private thread and closed; the
    # vendor and the analyst in the case discussion and in a topic, naming the vendor and its
    # member (each reader sees only the names the presenter allows).
    [question] = open_requests_of(anon)
    write_privately(anon, "GCC 13, said psirt@vendor-one.test's reporter.", by=analyst, reply_to=question)
    conversation.close_request(question, by=analyst)
    staff = conversation.Speaker(analyst, staff=True)
    discussion = conversation.discussion(case)
    conversation.post_message(discussion, "Thanks @[Vendor One] and @psirt@vendor-one.test.", speaker=staff)
    vendor = conversation.Speaker(world.vendor, anon)
    conversation.post_message(discussion, "We are on it.", speaker=vendor)  # shown under its alias
    topic = conversation.open_topic(case, "Second flaw", [anon], by=analyst)
    conversation.set_topic_members(topic, [anon, co], by=analyst)
    conversation.post_message(topic, "@[Vendor One], does 2.2 fix it?", speaker=staff)
    conversation.post_message(topic, "Yes, it does.", speaker=vendor)
    actions.set_vendor_fact(anon, "D", by=world.vendor)
    # Negotiation, by the anonymous vendor: a revision rejected, another accepted; the policy applied.
    actions.propose_embargo(case, future(70), by=world.vendor, reason="we need more time")
    actions.reject_embargo(case, by=analyst, reason="too long")
    actions.propose_embargo(case, future(50), by=world.vendor, reason="a little more")
    actions.accept_embargo(case, by=analyst)
    actions.apply_policy(case, by=analyst)
    # Claims by the anonymous vendor; the analyst's own report of A; the publish decision.
    dismissed = actions.report_fact(case, "X", "https://poc.example/1", by=world.vendor)
    actions.dismiss_fact(dismissed, by=analyst, reason="not a working exploit")
    claim = actions.report_fact(case, "P", "https://blog.example/post", by=world.vendor)
    actions.report_fact(case, "A", "honeypot logs", by=analyst)
    actions.record_publish_decision(case, PUBLISH_VALUES, "publish", by=analyst)
    actions.confirm_fact(claim, by=analyst)  # P: the embargo exits
    actions.defer_report(world.report, by=analyst, reason="waiting")
    actions.close_report(world.report, by=analyst, reason="done")
    # The note (accord.publication): drafted, reviewed, shared, scheduled, published; a late
    # statement approved; corrected, withdrawn. The embargo exited with P above.
    from accord.publication import actions as notes

    note = notes.note_for(case, by=analyst)
    notes.save_draft(note, {"overview": "A heap overflow in Widget Server."}, by=analyst)
    review = notes.request_review(note, by=analyst)
    notes.comment_review(review, "Name the versions.", "overview", by=analyst)
    notes.request_changes(review, by=world.publisher, reason="versions")
    notes.save_draft(note, {"overview": "A heap overflow in Widget Server 2.1."}, by=analyst)
    notes.approve(notes.request_review(note, by=analyst), by=world.publisher)
    notes.share_draft(note, by=analyst)
    notes.schedule(note, future(2), by=world.publisher)
    notes.cancel_schedule(note, by=world.publisher)
    # The scheduler's refusal needs an embargo back in force, which P forbids: recorded as it would be.
    record("note.schedule_refused", case=case, actor=SYSTEM, at="2026-01-01T00:00:00Z", reason="embargo")
    notes.publish_now(note, by=world.publisher)
    notes.late_answer(anon)  # what recording a late answer calls (tests/test_publication.py)
    notes.approve_pending(note.revisions.get(state="pending"), by=world.publisher)
    notes.save_draft(note, {"solution": "Update to 2.2."}, by=analyst)
    notes.correct(note, by=world.publisher, summary="Solution added")
    notes.withdraw(note, by=world.publisher, reason="Duplicate of another note")
    # Reminders: muted and resumed, the automatic ones a week on (Vendor Three never opened the
    # case), and, once the target date has passed, a final reminder to the silent Vendor Three.
    actions.mute_case_reminders(case, True, by=analyst)
    actions.mute_case_reminders(case, False, by=analyst)
    actions.mute_vendor_reminders(five[0], True, by=analyst)
    actions.send_due_reminders(now=timezone.now() + dt.timedelta(days=8))
    with time_machine.travel(timezone.now() + dt.timedelta(days=60), tick=False):
        actions.send_final_reminder(
            co,
            by=analyst,
            reason="Silent since it joined (this note names Vendor One: Vendor Three must never read it).",
        )

    # The mail triage inbox (accord.mailgate.triage): a mail without a VU# linked into the
    # anonymous vendor's private thread, one from a non-participant naming the case marked as
    # spam, another flagged and processed again, and one turned into a report.
    from accord.mailgate import triage
    from accord.mailgate.inbound import process, receive

    def arrive(subject: str, sender: str, mid: str) -> InboundMessage:
        raw = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{mid}@x>\r\n\r\nAbout the fix.\r\n"
        row = receive(raw.encode(), "pipe")
        process(row.pk)
        row.refresh_from_db()
        return row

    triage.link_to_case(arrive("Re: fix", "psirt@vendor-one.test", "t1"), case, anon, by=analyst)
    triage.mark_spam(arrive(f"[{case.label}] hi", "who@elsewhere.test", "t2"), by=analyst)
    flagged = arrive(f"[{case.label}] again", "who@elsewhere.test", "t3")
    InboundMessage.objects.filter(pk=flagged.pk).update(status=InboundMessage.Status.FLAGGED)
    triage.reprocess(flagged, by=analyst)
    triage.report_from_mail(arrive("Another flaw", "finder@research.test", "t4"), by=analyst)
    # Two more cases with both vendors, the anonymous one joined: an embargo that ended at its end
    # instant (the scheduler), and one an analyst terminated.
    others = []
    for product in ("Gizmo", "Doohickey"):
        report, _ = actions.submit_report(ReportInput(product=product, version="1", description="d"), by=None)
        other = actions.accept_report(report, by=analyst)
        added = participant_actions.add_vendors(other, [world.vendor_org], by=analyst, anonymous=True)
        added += participant_actions.add_vendors(other, [world.co_vendor_org], by=analyst)
        participant_actions.notify_vendors(other, added, by=analyst)
        participant_actions.answer_embargo(added[0], accept=True, by=world.vendor)
        participant_actions.answer_embargo(added[1], accept=True, by=world.co_vendor)
        others.append(other)
    Case.objects.filter(pk=others[0].pk).update(embargo_ends_at=timezone.now() - dt.timedelta(seconds=1))
    actions.exit_expired_embargoes()
    actions.terminate_embargo(others[1], by=analyst, reason="published elsewhere")
    cases = [Case.objects.get(pk=c.pk) for c in (case, *others)]
    assert all(c.embargo_state == EM.EXITED for c in cases)
    return Scene(world, cases, Participant.objects.get(pk=anon.pk))


def test_the_scenario_covers_every_event_kind(world: World, vendor_key: SigningKey) -> None:
    build(world, vendor_key)
    recorded = set(CaseEvent.objects.values_list("kind", flat=True))
    missing = set(KINDS) - recorded
    assert not missing, f"add these kinds to the sweep's scenario: {sorted(missing)}"
    assert recorded >= REPORT_ONLY
    on_cases = set(CaseEvent.objects.filter(case__isnull=False).values_list("kind", flat=True))
    assert set(KINDS) - REPORT_ONLY <= on_cases


def _secrets(scene: Scene, key: SigningKey) -> list[str]:
    emails = [
        *scene.world.vendor_org.memberships.values_list("user__email", flat=True),
        *scene.world.vendor_org.vendor_contacts.values_list("email", flat=True),
    ]
    assert "psirt@vendor-one.test" in emails and "second@vendor-one.test" in emails
    keyid = key.fingerprint[-16:]
    return [
        "Vendor One",
        "vendor-one.test",
        key.fingerprint,
        keyid,
        keyid.lower(),
        key.fingerprint[-8:],
        *emails,
    ]


def _get_routes(values: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for route in all_routes():
        if "GET" not in route.methods or route.name == "admin":
            continue
        names = {m.group("name") for m in PARAM.finditer(route.pattern)}
        if names - set(values) or "token" in names:
            continue
        found.append((route.kind, expand(route, values)))
    return found


def _packets(armoured: str) -> str:
    done = subprocess.run(
        ["gpg", "--batch", "--list-packets"], input=armoured.encode(), capture_output=True, timeout=30
    )
    return (done.stdout + done.stderr).decode(errors="replace")


def _leaks(where: str, text: str, secrets: list[str], org_id: int) -> list[str]:
    found = [f"{where} shows {secret!r}" for secret in secrets if secret in text]
    if re.search(rf'"organization":\s*{org_id}\b', text) or f"/vendors/{org_id}/" in text:
        found.append(f"{where} shows the organisation id {org_id}")
    for block in ARMOUR.findall(text):
        packets = _packets(block)
        found += [
            f"{where}: an armoured block carries {s!r}" for s in secrets if s.lower() in packets.lower()
        ]
    return found


def test_a_co_participant_never_unmasks_the_anonymous_vendor(world: World, vendor_key: SigningKey) -> None:
    scene = build(world, vendor_key)
    secrets = _secrets(scene, vendor_key)
    org_id = world.vendor_org.pk
    client = login(Client(), world.co_vendor)
    leaks: list[str] = []
    surfaces = 0
    values = samples(world)
    for case in scene.cases:
        urls = [url for _, url in _get_routes({**values, "case": case.url_ref})]
        # The timeline of every kind, on the page and in the API.
        kinds = sorted(set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)))
        urls += [f"/cases/{case.url_ref}/timeline/?kind={kind}" for kind in kinds]
        urls += [f"/api/v1/cases/{case.url_ref}/events?limit=500&kind={kind}" for kind in kinds]
        urls += [f"/api/v1/cases/{case.url_ref}/events?limit=500"]
        # Every thread of the case (those the co-participant may not read answer 404).
        threads = case.threads.values_list("pk", flat=True)
        urls += [f"/cases/{case.url_ref}/messages/{pk}/" for pk in threads]
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, url
            surfaces += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            leaks += _leaks(url, body.decode("utf-8", errors="replace"), secrets, org_id)
    # What the co-participant sees of the anonymous vendor: its alias, its shared answer.
    busy = scene.cases[0]
    api = client.get(f"/api/v1/cases/{busy.url_ref}/participants").json()["items"]
    anon = next(p for p in api if p["id"] == scene.participant.pk)
    assert anon["name"] is None and anon["organization"] is None and anon["alias"] == scene.participant.alias
    answers = client.get(f"/api/v1/cases/{busy.url_ref}/answers").json()["items"]
    shared = next(a for a in answers if a["participant"] == scene.participant.pk)
    assert shared["statement"]["text"] == "Fixed in 2.2.\n- Upgrade now.\n"  # the signed body only
    assert shared["statement"]["label"] == "signed; verified by the coordinator"
    # The messages it reads name the anonymous vendor, as author and when mentioned, by alias.
    alias = scene.participant.alias
    for thread in busy.threads.filter(kind__in=("case", "topic")):
        html = client.get(f"/cases/{busy.url_ref}/messages/{thread.pk}/").content.decode()
        assert f"@{alias}" in html and f"<strong>{alias}</strong>" in html, thread.kind
    # Mail: everything Accord sent to the co-participant's people and addresses.
    to = {world.co_vendor.email, "psirt@vendor-three.test"}
    mails = list(OutboundMessage.objects.filter(to_email__in=to))
    assert mails
    for mail in mails:
        leaks += _leaks(f"mail {mail.subject!r}", f"{mail.subject}\n{mail.body_text}", secrets, org_id)
    shown = {
        e["kind"]
        for c in scene.cases
        for e in client.get(f"/api/v1/cases/{c.url_ref}/events?limit=500").json()["items"]
    }
    assert {"embargo.expired", "embargo.terminated", "answer.submitted"} & shown == {
        "embargo.expired",
        "embargo.terminated",
    }
    assert surfaces > 150
    assert not leaks, "\n".join(leaks)
