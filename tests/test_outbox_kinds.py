"""Outbound mail as vendors receive it: one mail per organisation, encrypted to its own pinned key
and signed with the coordinator's, checked with gpg on the receiving side; neutral without a key;
nothing at all for a vendor that requires encryption and has no key, with the reason on the
case's Mail tab and in the API. Mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import Membership, Organization
from accord.cases.actions import participants as participant_actions
from accord.lib import openpgp
from accord.mailgate import kinds
from accord.mailgate.models import OutboundMessage
from accord.mailgate.outbound import Mail, queue_mails
from accord.notifications.send import recipients_for
from accord.testing import World, login, token_client
from accord.vendors import actions as vendor_actions
from tests.pgp_keys import TestKey as VendorKey
from tests.pgp_keys import make_key
from tests.test_coordinator_key import (  # noqa: F401 (fixtures)
    coordinator_secret,
    gpg,
    installed,
    passphrase_file,
    published_key,
    signed_parts,
)
from tests.test_outbox import Collector, smtp_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

TITLE_WORDS = ("Widget Server", "Heap overflow")  # from accord.testing's world case


@pytest.fixture(scope="module")
def acme_key(tmp_path_factory: pytest.TempPathFactory) -> VendorKey:
    return make_key(tmp_path_factory.mktemp("acme-key"), "psirt@acme.test")


@pytest.fixture(scope="module")
def globex_key(tmp_path_factory: pytest.TempPathFactory) -> VendorKey:
    return make_key(tmp_path_factory.mktemp("globex-key"), "psirt@globex.test")


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def keyed_vendor(
    world: World, name: str, key: VendorKey | None, *emails: str, strict: bool = False
) -> Organization:
    org = vendor_actions.create_vendor(name, by=world.analyst, require_encryption=strict)
    for i, address in enumerate(emails):
        vendor_actions.add_contact(org, address, role="to" if i == 0 else "cc", by=world.analyst)
    if key is not None:
        vendor_actions.upload_key(org, key.public, by=world.analyst)
    return org


def encryption_key_ids(key: VendorKey) -> set[str]:
    listing = key._gpg("--with-colons", "--list-keys", key.fingerprint).decode()
    return {line.split(":")[4] for line in listing.splitlines() if line.startswith("sub:")}


def recipients_named(armour: bytes, home: Path) -> set[str]:
    """The key ids a PGP message is encrypted to, as gpg lists its packets (no secret key needed)."""
    listed = gpg(home, "--list-packets", "--list-only", data=armour)
    text = (listed.stdout + listed.stderr).decode()
    return set(re.findall(r"pubkey enc packet: version \d+, algo \d+, keyid ([0-9A-F]{16})", text))


def armour_of(mail: EmailMessage) -> bytes:
    assert mail.get_content_type() == "multipart/encrypted"
    _, payload = mail.get_payload()  # type: ignore[misc]
    return bytes(payload.get_payload(decode=True))


def test_vendor_notifications_go_one_per_organisation_sealed_to_its_own_key_and_signed(
    world: World,
    client: Client,
    installed: openpgp.KeyInfo,  # noqa: F811
    smtp_server: Collector,  # noqa: F811
    acme_key: VendorKey,
    globex_key: VendorKey,
    tmp_path: Path,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    assert world.case is not None
    acme = keyed_vendor(world, "Acme", acme_key, "psirt@acme.test", "cc@acme.test")
    globex = keyed_vendor(world, "Globex", globex_key, "psirt@globex.test")
    plain = keyed_vendor(world, "Keyless", None, "psirt@keyless.test")
    added = participant_actions.add_vendors(world.case, [acme, globex, plain], by=world.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        result = participant_actions.notify_vendors(world.case, added, by=world.analyst)
    assert len(result["notified"]) == 3

    notifications = {
        m.organization_id: m for m in OutboundMessage.objects.filter(case=world.case, kind="notification")
    }
    assert set(notifications) == {acme.pk, globex.pk, plain.pk}  # one per organisation
    envelopes = {
        tuple(e.rcpt_tos): e.original_content
        for e in smtp_server.envelopes
        if parse(e.original_content)["Message-ID"] in {m.message_id for m in notifications.values()}
    }
    raw = envelopes[("psirt@acme.test", "cc@acme.test")]  # all of Acme's contacts on one mail
    mail = parse(raw)
    assert mail["To"] == "psirt@acme.test, cc@acme.test"
    assert mail["Subject"] == f"[{world.case.label}] New vulnerability report"
    assert mail["Message-ID"] == notifications[acme.pk].message_id

    home = tmp_path / "acme"
    assert gpg(home, "--import", data=published_key(client)).returncode == 0
    assert (
        gpg(
            home, "--import", data=acme_key._gpg("--armor", "--export-secret-keys", acme_key.fingerprint)
        ).returncode
        == 0
    )
    opened = gpg(home, "--output", str(tmp_path / "entity"), "--decrypt", data=armour_of(mail))
    assert opened.returncode == 0, opened.stderr
    assert b"DECRYPTION_OKAY" in opened.stdout and b"GOODSIG" in opened.stdout
    assert f"VALIDSIG {installed.fingerprint}".encode() in opened.stdout
    entity = parse((tmp_path / "entity").read_bytes()).get_content()
    assert world.case.label in entity and f"/cases/{world.case.url_ref}/" in entity
    for secret in TITLE_WORDS:
        assert secret.encode() not in raw

    # Each row says whom it went to and which key it was encrypted to.
    row = notifications[acme.pk]
    assert (row.status, row.sent_encrypted, row.fingerprints) == ("sent", True, [acme_key.fingerprint])
    assert row.also_to == ["cc@acme.test"] and row.case_id == world.case.pk

    # No encrypted message names two organisations' keys: each names exactly its own.
    listing = tmp_path / "nobody"
    for org, key, to in (
        (acme, acme_key, ("psirt@acme.test", "cc@acme.test")),
        (globex, globex_key, ("psirt@globex.test",)),
    ):
        named = recipients_named(armour_of(parse(envelopes[to])), listing)
        assert len(named) == 1 and named <= encryption_key_ids(key), (org.name, named)
    assert not encryption_key_ids(acme_key) & encryption_key_ids(globex_key)

    # The vendor without a key gets a signed, neutral mail: the VU# and links, no case details.
    keyless = envelopes[("psirt@keyless.test",)]
    assert parse(keyless).get_content_type() == "multipart/signed"
    signed, _ = signed_parts(keyless, parse(keyless))
    text = parse(signed).get_content()
    assert world.case.label in text and "/claim/" not in text
    for secret in (*TITLE_WORDS, world.case.title):
        assert secret.encode() not in keyless
    assert notifications[plain.pk].fingerprints == [] and not notifications[plain.pk].sent_encrypted

    # Claim links (none of them has an account): one per contact, to that address alone.
    claims = OutboundMessage.objects.filter(kind="claim_link", organization=acme)
    assert sorted((m.to_email, m.also_to) for m in claims) == [("cc@acme.test", []), ("psirt@acme.test", [])]


def test_a_vendor_requiring_encryption_without_a_key_gets_no_mail_and_the_case_says_why(
    world: World,
    smtp_server: Collector,  # noqa: F811
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    assert world.case is not None
    strict = keyed_vendor(world, "Strict Corp", None, "psirt@strict.test", strict=True)
    other = keyed_vendor(world, "Open Corp", None, "psirt@open.test")
    added = participant_actions.add_vendors(world.case, [strict, other], by=world.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        result = participant_actions.notify_vendors(world.case, added, by=world.analyst)
    assert [p.organization_id for p in result["notified"]] == [other.pk]
    assert [p.organization_id for p in result["unreachable"]] == [strict.pk]
    assert all("psirt@strict.test" not in e.rcpt_tos for e in smtp_server.envelopes)
    assert any("psirt@open.test" in e.rcpt_tos for e in smtp_server.envelopes)
    row = OutboundMessage.objects.get(organization=strict)
    assert row.status == "failed" and row.kind == "notification" and row.attempts == 0
    assert "requires encrypted mail" in row.last_error and row.sealed_text == ""
    assert not OutboundMessage.objects.filter(organization=strict, kind="claim_link").exists()

    page = login(Client(), world.analyst).get(f"/cases/{world.case.url_ref}/mail/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Strict Corp" in html and "requires encrypted mail and has no valid pinned key" in html

    items = token_client(world.analyst).get(f"/api/v1/cases/{world.case.url_ref}/mail").json()["items"]
    failed = next(i for i in items if i["organization"] == "Strict Corp")
    assert failed["status"] == "failed" and "requires encrypted mail" in failed["last_error"]
    assert failed["to"] == ["psirt@strict.test"] and failed["kind"] == "notification"
    sent = next(i for i in items if i["organization"] == "Open Corp" and i["kind"] == "notification")
    assert sent["status"] == "sent" and sent["fingerprints"] == [] and sent["encrypted"] is False
    assert "body_text" not in sent and "sealed_text" not in sent


def test_the_mail_tab_and_api_are_for_the_coordinator_only(world: World) -> None:
    assert world.case is not None
    ref = world.case.url_ref
    for person in (world.vendor, world.co_vendor, world.reporter, world.outsider):
        assert login(Client(), person).get(f"/cases/{ref}/mail/").status_code in (403, 404)
        assert token_client(person).get(f"/api/v1/cases/{ref}/mail").status_code in (403, 404)
    assert login(Client(), world.analyst).get(f"/cases/{ref}/mail/").status_code == 200
    assert token_client(world.analyst).get(f"/api/v1/cases/{ref}/mail").status_code == 200


def test_the_mail_tab_and_api_cost_the_same_queries_for_2_or_60_mails(world: World) -> None:
    assert world.case is not None
    case = world.case
    orgs = [Organization.objects.create(name=f"Org {i}", kind="vendor") for i in range(60)]

    def mails(n: int) -> None:
        OutboundMessage.objects.filter(case=case).delete()
        queue_mails(
            [
                Mail(
                    f"p{i}@org.test",
                    f"[{case.label}] x",
                    "b",
                    kind="notification",
                    case_id=case.pk,
                    organization_id=orgs[i].pk,
                )
                for i in range(n)
            ]
        )

    web = login(Client(), world.analyst)
    api = token_client(world.analyst)
    counts = []
    for n in (2, 60):
        mails(n)
        web.get(f"/cases/{case.url_ref}/mail/")  # warm: sessions, token last-used
        api.get(f"/api/v1/cases/{case.url_ref}/mail")

        with CaptureQueriesContext(connection) as page_queries:
            assert web.get(f"/cases/{case.url_ref}/mail/").status_code == 200
        with CaptureQueriesContext(connection) as api_queries:
            assert len(api.get(f"/api/v1/cases/{case.url_ref}/mail?limit=100").json()["items"]) == n
        counts.append((len(page_queries), len(api_queries)))
    assert counts[0] == counts[1], counts


def test_a_member_of_two_vendors_gets_only_the_key_of_the_one_in_the_case(
    world: World, acme_key: VendorKey, globex_key: VendorKey
) -> None:
    assert world.case is not None
    acme = keyed_vendor(world, "Acme", acme_key, "psirt@acme.test")
    globex = keyed_vendor(world, "Globex", globex_key, "psirt@globex.test")
    user = world.vendor  # a member of Vendor One already
    Membership.objects.filter(user=user).delete()
    Membership.objects.create(user=user, organization=acme, role="member")
    Membership.objects.create(user=user, organization=globex, role="member")
    [alone] = recipients_for([user])
    assert alone.keys == () and alone.organization_id is None  # which one? neither: neutral mail
    participant_actions.add_vendors(world.case, [acme], by=world.analyst)
    [in_case] = recipients_for([user], case=world.case)
    assert in_case.keys == (acme_key.public,) and in_case.organization_id == acme.pk


def test_every_kind_renders_a_neutral_subject_and_body(world: World) -> None:
    """The templates exist and render; case mail carries the [VU#] tag; nothing escapes HTML."""
    assert world.case is not None and world.report is not None
    case = world.case
    address = kinds.OrgAddress(1, "A & B", ("psirt@ab.test",))
    for mail in (
        kinds.notification(case, address, claimable=True),
        kinds.claim_link(case, address, "psirt@ab.test", "http://x.test/claim/s3cr3t/"),
    ):
        assert mail.subject.startswith(f"[{case.label}] ") and "\n" not in mail.subject
        assert "&amp;" not in mail.body_text and case.title not in mail.body_text
    context = {
        "case": case,
        "report": world.report,
        "organization": world.vendor_org,
        "what": "X",
        "email": "e@x.test",
        "groups": [],
    }
    for kind in kinds.KINDS:
        subject, body, _ = kinds.render(kind, context)
        assert subject and body and "\n" not in subject, kind
        assert case.title not in subject + body, kind


def test_the_vendors_tab_says_why_a_vendor_requiring_encryption_was_not_mailed(world: World) -> None:
    assert world.case is not None
    strict = keyed_vendor(world, "Strict Corp", None, "psirt@strict.test", strict=True)
    participant_actions.add_vendors(world.case, [strict], by=world.analyst)
    client = login(Client(), world.analyst)
    response = client.post(
        f"/cases/{world.case.url_ref}/vendors/notify/",
        {"participant": [str(world.case.participants.get(organization=strict).pk)]},
        follow=True,
    )
    html = response.content.decode()
    assert "Not mailed:" in html and "Strict Corp" in html and "encrypted mail only" in html
    assert "Nobody was notified" not in html  # it has a contact: the message says the real reason
    assert OutboundMessage.objects.get(organization=strict).status == "failed"


def test_the_api_answers_held_vendors(world: World) -> None:
    assert world.case is not None
    strict = keyed_vendor(world, "Strict Corp", None, "psirt@strict.test", strict=True)
    [participant] = participant_actions.add_vendors(world.case, [strict], by=world.analyst)
    response = token_client(world.analyst).post(
        f"/api/v1/cases/{world.case.url_ref}/notify",
        {"participants": [participant.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["notified"] == [] and [p["id"] for p in body["held"]] == [participant.pk]
