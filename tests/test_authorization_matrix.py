"""Every route, requested as every persona: nobody gets what their rule does not allow.

Routes come from accord.core.routes, so a new route is covered as soon as it exists,
and a route without a declared access rule fails `test_every_route_declares_a_rule`.
"""

import re

import pytest
from django.db import transaction
from django.test import Client

from accord.accounts import actions
from accord.accounts.models import Membership
from accord.cases import actions as case_actions
from accord.core.access import user_meets
from accord.core.routes import Route, all_routes, missing_rules
from accord.testing import PERSONAS, World, login, start_embargo
from tests.test_vendors_support import vendor_samples

PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def test_every_route_declares_a_rule(db):
    missing = missing_rules()
    assert missing == [], "Routes without an access rule: " + ", ".join(
        f"{r.kind} {r.pattern}" for r in missing
    )


def test_a_route_without_a_rule_is_reported(db, settings):
    settings.ROOT_URLCONF = "tests.urlconf_without_rule"
    reported = {route.pattern for route in missing_rules("tests.urlconf_without_rule")}
    assert "unguarded/" in reported
    assert "guarded/" not in reported


def samples(world: World) -> dict[str, str]:
    """A value for every path parameter any route uses. A new parameter must be added here."""
    token, _ = actions.create_token(world.vendor, "matrix", by=world.vendor)
    membership = Membership.objects.get(user=world.vendor, organization=world.vendor_org)
    _, invitation_secret = actions.invite_member(
        world.vendor_org, "new@vendor-one.test", "member", by=world.vendor
    )
    claim = None
    vendor_participant = None
    if world.case is not None:
        claim = case_actions.report_fact(world.case, "X", "https://example.test/poc", by=world.vendor)
        vendor_participant = world.case.participants.get(organization=world.vendor_org)
    return {
        "org_id": str(world.vendor_org.pk),
        "membership_id": str(membership.pk),
        "token_id": str(token.pk),
        "token": invitation_secret,
        "uidb64": "MQ",
        "case": world.case.url_ref if world.case else "",
        "report_id": world.report.pk if world.report else "",
        "key": world.report_key,
        **vendor_samples(world),  # contact_id, key_id, kind, item_id (accord.vendors)
        "vuln": "1",
        "claim_id": str(claim.pk) if claim else "",
        "participant_id": str(vendor_participant.pk) if vendor_participant else "",
        "attachment_id": str(_attachment(world)),
        **_conversation(world, vendor_participant),  # thread_id, message_id, file_id
        "inbound_id": str(_inbound_mail()),
        # The public site (accord.publication): the world's case has no published note, so these
        # answer 404 to everyone; tests/test_public_site.py covers published notes and leaks.
        "revision_number": "1",
        "statement_id": "1",
        # The CSAF provider directory (accord.exports) and the exports of a note
        # (accord.publication.views_exports, accord.api.routes.notes): no document is stored and the
        # case has no published note, so these answer 404 to everyone; tests/test_csaf_provider.py and
        # tests/test_export_surfaces.py cover published notes and leaks, persona by persona.
        # "csaf.json" is both a note's export file name and a valid CSAF directory file name.
        "year": "2026",
        "filename": "csaf.json",
        "format": "csaf",
        **_note(world),  # review_id, revision_id
    }


def _note(world: World) -> dict[str, str]:
    """The case's note with a review and a revision (a factory for the revision: accord.publication)."""
    from accord.publication import actions as notes
    from accord.publication.models import Review, Revision

    if world.case is None:
        return {"review_id": "", "revision_id": ""}
    note = notes.note_for(world.case, by=world.analyst)
    review = Review.objects.filter(note=note).first() or notes.request_review(note, by=world.analyst)
    revision = note.revisions.first() or Revision.objects.create(
        note=note, state=Revision.State.PENDING, snapshot={}
    )
    return {"review_id": str(review.pk), "revision_id": str(revision.pk)}


def _inbound_mail() -> int:
    """A mail waiting for triage (staff only: accord.mailgate.views, accord.api.routes.mail)."""
    from accord.mailgate.inbound import process, receive

    raw = (
        b"From: someone@research.test\r\nSubject: Heap overflow\r\nMessage-ID: <matrix@x>\r\n\r\nDetails.\r\n"
    )
    row = receive(raw, "pipe")
    process(row.pk)
    return row.pk


def _conversation(world: World, vendor_participant) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The vendor's private thread with a request for information carrying a file."""
    from accord.conversation import actions as conversation

    if vendor_participant is None:
        return {
            "thread_id": "",
            "message_id": "",
            "file_id": "",
            "report_file_id": "",
            "report_message_id": "",
            "mail_id": "",
        }
    thread = conversation.private_thread(vendor_participant)
    message = conversation.post_message(
        thread,
        "Which build?",
        speaker=conversation.Speaker(world.vendor, vendor_participant),
        request=True,
        attachments=[conversation.Upload("build.txt", b"1.2.3")],
    )
    assert world.report is not None
    to_reporter = conversation.post_message(
        conversation.report_thread(world.report),
        "Which build did you test?",
        speaker=conversation.Speaker(world.analyst, staff=True),
        attachments=[conversation.Upload("notes.txt", b"notes")],
    )
    from accord.mailgate.models import InboundMessage

    # A mail of the vendor's, posted in its private thread (a factory: the gateway is tested elsewhere).
    mail = InboundMessage.objects.create(
        raw=b"Subject: status\r\n\r\nFixed.\r\n",
        sha256="0" * 64,
        size=28,
        message_id="<matrix@vendor-one.test>",
        received_via="smtp",
        status=InboundMessage.Status.PROCESSED,
        case=world.case,
        participant=vendor_participant,
        posted_message=conversation.post_message(
            thread, "Fixed.", speaker=conversation.Speaker(None, vendor_participant), mentions=False
        ),
    )
    return {
        "mail_id": str(mail.pk),
        "thread_id": str(thread.pk),
        "message_id": str(message.pk),
        "file_id": str(message.attachments.get().pk),
        "report_file_id": str(to_reporter.attachments.get().pk),
        "report_message_id": str(to_reporter.pk),
    }


def _attachment(world: World) -> int:
    """A file attached to the reporter's report (a factory: the report form is tested elsewhere)."""
    from django.core.files.base import ContentFile

    from accord.cases.models import ReportAttachment

    assert world.report is not None
    attachment = ReportAttachment(
        report=world.report, name="poc.txt", content_type="text/plain", size=3, sha256="0"
    )
    attachment.file.save("matrix-poc.txt", ContentFile(b"poc"), save=True)
    return attachment.pk


# Ids that name nothing, to compare "forbidden" with "missing".
MISSING = {
    "org_id": "999999",
    "contact_id": "999999",
    "key_id": "999999",
    "item_id": "999999",
    "membership_id": "999999",
    "token_id": "999999",
    "case": "VU99",
    "report_id": "REPORT-0-X",
    "vuln": "99",
    "claim_id": "999999",
    "participant_id": "999999",
    "attachment_id": "999999",
    "thread_id": "999999",
    "message_id": "999999",
    "file_id": "999999",
    "report_file_id": "999999",
    "report_message_id": "999999",
    "inbound_id": "999999",
    "mail_id": "999999",
    "review_id": "999999",
    "revision_id": "999999",
}

# Which personas may reach an object route, for the sample objects above.
OBJECT_AUDIENCE = {
    "object:organization": {"analyst", "publisher", "admin", "vendor"},
    "object:token": {"vendor"},
    "object:case": {"analyst", "publisher", "admin", "vendor", "co_vendor", "reporter"},
    "object:report": {"analyst", "publisher", "admin", "reporter"},
    # The sample thread is the vendor's private thread with the coordinators.
    "object:thread": {"analyst", "publisher", "admin", "vendor"},
    "object:thread-or-follow": {"analyst", "publisher", "admin", "vendor"},
    # The same audiences signed in; the follow secret is tested in tests/test_reporter_participant.py.
    "object:case-or-follow": {"analyst", "publisher", "admin", "vendor", "co_vendor", "reporter"},
    "object:report-or-follow": {"analyst", "publisher", "admin", "reporter"},
}


def expand(route: Route, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        assert name in values, f"add a sample value for <{name}> (route {route.pattern}) in samples()"
        return values[name]

    return "/" + PARAM.sub(fill, route.pattern)


def allowed(route: Route, persona: str, world: World) -> bool:
    user = world.persona(persona)
    if route.rule in OBJECT_AUDIENCE:
        return persona in OBJECT_AUDIENCE[route.rule]
    assert route.rule is not None
    if route.rule.startswith("object:"):
        pytest.fail(f"add the audience of {route.rule} to OBJECT_AUDIENCE")
    return user_meets(user, route.rule) if user is not None else route.rule == "public"


def request(client: Client, method: str, url: str, kind: str):  # type: ignore[no-untyped-def]
    if kind == "api" and method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, data="{}", content_type="application/json")
    return getattr(client, method.lower())(url)


def denied(response, route: Route, persona: str) -> bool:  # type: ignore[no-untyped-def]
    if route.kind == "api":
        return response.status_code in (401, 403, 404)
    if response.status_code in (403, 404):
        return True
    # Pages send anonymous users to the login page (the admin site does so for non-staff too).
    location = response.headers.get("Location", "")
    return response.status_code == 302 and ("/accounts/login/" in location or "/admin/login/" in location)


def fetch(persona: str, world: World, method: str, url: str, route: Route):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        client = login(Client(), world.persona(persona))
        response = request(client, method, url, route.kind)
        transaction.set_rollback(True)
    return response


CSRF_VALUE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def same_answer(a, b) -> bool:  # type: ignore[no-untyped-def]
    # The masked CSRF token differs on every page render; nothing else may.
    return a.status_code == b.status_code and CSRF_VALUE.sub(b"", a.content) == CSRF_VALUE.sub(b"", b.content)


# --- The invited vendor: the terms, accepting and declining, and nothing else ----------------------

# The routes an invited vendor (its organisation has not accepted the Active embargo) may use.
TERMS_ROUTES = {
    "cases:case_detail",  # shows only the terms
    "cases:embargo_join",
    "cases:embargo_decline",
    "get_case",  # answers only the terms (CaseTermsOut)
    "accept_embargo",
    "decline_embargo",
}
# Accepting records the organisation's answer; what follows it is the case, rightly.
ACCEPTING = {"cases:embargo_join", "accept_embargo"}


def case_secrets(world: World) -> list[str]:
    """Text of the case that only those past the embargo gate may read."""
    assert world.case is not None and world.report is not None
    vulnerability = world.case.vulnerabilities.get(seq=1)
    return [
        world.case.title,
        vulnerability.description,
        world.report.description,
        world.vendor_org.name,
        world.co_vendor_org.name,
        world.analyst.email,
        "Vendor 1",  # the other participants' aliases
        "Vendor 2",
    ]


def about_the_case(route: Route) -> bool:
    return any(match.group("name") == "case" for match in PARAM.finditer(route.pattern))


def check_invited(world: World, routes: list[Route]) -> list[str]:
    """Every case route, requested as the invited vendor: at most the terms, accepting and
    declining; a 403, 404, 405 or 409 everywhere else; and no case data in any answer."""
    values = samples(world)
    secrets = case_secrets(world)
    failures = []
    for route in routes:
        if not about_the_case(route):
            continue
        url = expand(route, values)
        for method in route.methods:
            response = fetch("invited_vendor", world, method, url, route)
            body = response.content.decode(errors="replace")
            leaked = [text for text in secrets if text in body] if route.name not in ACCEPTING else []
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code} (server error)")
            elif leaked:
                failures.append(f"{method} {url}: {response.status_code} shows case data {leaked}")
            elif route.name in TERMS_ROUTES or response.status_code in (403, 404, 405, 409):
                continue
            elif response.status_code == 400 and same_answer(
                response, fetch("invited_vendor", world, method, expand(route, {**values, **MISSING}), route)
            ):
                continue  # a body refused before any case is looked at, exactly as for a missing case
            else:
                failures.append(
                    f"{method} {url}: {response.status_code}; only the terms are for this persona"
                )
    return failures


@pytest.mark.django_db
def test_the_invited_vendor_gets_only_the_terms(world: World) -> None:
    start_embargo(world)
    routes = all_routes()
    assert sum(1 for route in routes if about_the_case(route)) > 20
    failures = check_invited(world, routes)
    assert not failures, "\n".join(failures)
    # The terms themselves: the VU#, the end instant, accept and decline.
    client = login(Client(), world.invited_vendor)
    assert world.case is not None
    page = client.get(f"/cases/{world.case.url_ref}/").content.decode()
    assert world.case.label in page and "Accept the embargo" in page and "Decline the embargo" in page
    terms = client.get(f"/api/v1/cases/{world.case.url_ref}").json()
    assert set(terms) == {"id", "embargo", "target_publication_at", "needs_embargo_answer"}


@pytest.mark.django_db
def test_a_route_that_skips_the_gate_is_reported(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    start_embargo(world)
    settings.ROOT_URLCONF = "tests.urlconf_skipping_gate"
    extra = [r for r in all_routes("tests.urlconf_skipping_gate") if r.name in ("gate-skipped", "gated")]
    assert len(extra) == 2
    failures = check_invited(world, extra)
    assert any("gate-skipped" in failure and "shows case data" in failure for failure in failures), failures
    assert not any("gated/" in failure and "gate-skipped" not in failure for failure in failures)


# --- Every persona, every route ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(world: World, persona: str) -> None:
    start_embargo(world)  # as vendors meet a case: under an Active embargo
    values = samples(world)
    failures = []
    checked = 0
    for route in all_routes():
        methods = ("GET",) if route.name == "admin" else route.methods
        url = expand(route, values)
        may = allowed(route, persona, world)
        for method in methods:
            if persona == "invited_vendor" and about_the_case(route):
                continue  # test_the_invited_vendor_gets_only_the_terms
            response = fetch(persona, world, method, url, route)
            checked += 1
            if response.status_code == 405:
                continue
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code} (server error)")
            elif route.rule == "public":
                continue  # public routes only have to answer without crashing
            elif may and denied(response, route, persona):
                failures.append(
                    f"{method} {url}: {response.status_code}, but rule {route.rule} allows {persona}"
                )
            elif not may and persona != "anonymous" and str(route.rule).startswith("object:"):
                # Forbidden must look exactly like missing, so existence is never confirmed.
                missing = fetch(persona, world, method, expand(route, {**values, **MISSING}), route)
                if not same_answer(response, missing) or response.status_code in range(200, 300):
                    failures.append(
                        f"{method} {url}: {response.status_code}, which differs from a missing object"
                        f" ({missing.status_code}) for {persona}"
                    )
            elif not may and not denied(response, route, persona):
                failures.append(
                    f"{method} {url}: {response.status_code}, but rule {route.rule} forbids {persona}"
                )
    assert checked > 20
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_api_denials_do_not_tell_missing_from_forbidden(world: World) -> None:
    client = login(Client(), world.other_vendor)
    forbidden = client.get(f"/api/v1/organizations/{world.vendor_org.pk}")
    missing = client.get("/api/v1/organizations/999999")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
