"""Issue 8, the vendor's journey over HTTP: the claim link lands on the case, the vendor's home
lists what waits for it, the answer page reads as the four questions, asking for information
records no status, and a signature that did not verify says why."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.accounts.models import Membership, Organization, User
from accord.answers.actions import (
    AnswerInput,
    StatementInput,
    StatusInput,
    submit_answer,
)
from accord.answers.models import Answer, Statement, Status
from accord.cases import actions as case_actions
from accord.cases.actions import participants as participant_actions
from accord.cases.actions.reports import ReportInput
from accord.cases.models import Case, CaseEvent, Participant
from accord.cases.states import EM, RM
from accord.conversation.models import Message, ThreadRead
from accord.mailgate.models import OutboundMessage
from accord.testing import (
    PASSWORD,
    World,
    add_vendor,
    login,
    make_user,
    open_requests_of,
    start_embargo,
    write_privately,
)
from accord.vendors import actions as vendor_actions
from accord.vendors.models import PublicKey
from tests.pgp_keys import make_key

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long enough password 42"


def the_case(world: World) -> Case:
    assert world.case is not None
    world.case.refresh_from_db()
    return world.case


def notified_vendor(world: World, name: str, email: str, *, role: str = "to") -> Participant:
    """A vendor with an approved contact at `email` (and a "to" contact besides), notified."""
    org = Organization.objects.create(name=name, kind="vendor")
    if role != "to":
        vendor_actions.add_contact(org, f"to-{email}", role="to", by=world.analyst)
    vendor_actions.add_contact(org, email, role=role, by=world.analyst)
    participant = participant_actions.add_vendors(the_case(world), [org], by=world.analyst)[0]
    participant_actions.notify_vendors(the_case(world), [participant], by=world.analyst)
    participant.refresh_from_db()
    return participant


def claim_path(email: str) -> str:
    body = OutboundMessage.objects.filter(to_email=email).latest("id").body_text
    found = re.search(r"https?://[^/\s]+(/claim/[^/\s]+/)", body)
    assert found is not None, body
    return found.group(1)


def signed_in_as(client: Client) -> User | None:
    from django.contrib.auth import get_user

    user = get_user(client)  # type: ignore[arg-type]
    return user if user.is_authenticated else None  # type: ignore[return-value]


# --- 1. The claim link lands on the case, signed in ---------------------------------------------


def test_a_new_account_from_the_claim_link_is_signed_in_and_lands_on_the_embargo_decision(
    world: World,
) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "psirt@umbrella.test")
    case = the_case(world)
    client = Client()
    path = claim_path("psirt@umbrella.test")
    page = client.get(path)
    assert page.status_code == 200
    assert b"Create your account" in page.content and b"psirt@umbrella.test" in page.content
    response = client.post(path, {"name": "Uma", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.url_ref}/"
    user = signed_in_as(client)
    assert user is not None and user.email == "psirt@umbrella.test"
    assert Membership.objects.filter(user=user, organization=participant.organization, role="admin").exists()
    gate = client.get(response.headers["Location"])
    html = gate.content.decode()
    assert gate.status_code == 200 and "Accept the embargo" in html and "you are signed in" in html
    assert case.title not in html


def test_an_existing_account_logs_in_with_its_email_filled_in_and_returns_to_the_case(
    world: World,
) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "psirt@umbrella.test")
    case = the_case(world)
    existing = make_user("psirt@umbrella.test")
    client = Client()
    path = claim_path("psirt@umbrella.test")
    page = client.get(path).content.decode()
    assert "Log in to see" in page and 'value="psirt@umbrella.test"' in page
    assert f'name="next" value="{path}"' in page and "Create the account" not in page
    # The login form on the claim page posts to the login view, which sends the browser back.
    response = client.post(
        "/accounts/login/", {"username": "psirt@umbrella.test", "password": PASSWORD, "next": path}
    )
    assert response.status_code == 302 and response.headers["Location"] == path
    page = client.get(path).content.decode()
    assert "Add Umbrella Appliances to my account" in page
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.url_ref}/"
    assert Membership.objects.filter(user=existing, organization=participant.organization).exists()
    assert "Accept the embargo" in client.get(response.headers["Location"]).content.decode()


def test_a_claim_from_another_address_waits_and_says_so(world: World) -> None:
    participant = notified_vendor(world, "Umbrella Appliances", "cc@umbrella.test", role="cc")
    client = Client()
    path = claim_path("cc@umbrella.test")
    assert b"approves an account from this address" in client.get(path).content
    response = client.post(path, {"name": "", "password": NEW_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "only once the coordinator approves it" in response.content.decode()
    user = signed_in_as(client)
    assert user is not None and not Membership.objects.filter(organization=participant.organization).exists()


# --- 3. The answer page: the four questions, products on demand, a question records no status ---


@pytest.fixture
def accepted(world: World) -> Participant:
    """The world's vendor (anonymous "Vendor 1"), past the embargo gate."""
    start_embargo(world)
    return the_case(world).participants.get(organization=world.vendor_org)


def answer_url(world: World) -> str:
    return f"/cases/{the_case(world).url_ref}/answer/"


def test_the_answer_page_reads_as_the_four_questions_in_order(world: World, accepted: Participant) -> None:
    client = login(Client(), world.vendor)
    case_page = client.get(f"/cases/{the_case(world).url_ref}/").content.decode()
    assert f'href="{answer_url(world)}"' in case_page and "Answer the four questions" in case_page
    page = client.get(answer_url(world))
    assert page.status_code == 200
    html = unescape(page.content.decode())
    questions = [
        "1. Is this a real vulnerability in your products?",
        "2. Is it already fixed?",
        "3. If not, when will a fix be ready?",
        "4. Do you need more information?",
    ]
    positions = [html.index(q) for q in questions]
    assert positions == sorted(positions)
    # Per product rows come on demand: none until asked, and a template for the script.
    assert "Product 1" not in html.split("<template")[0] and ">Add a product</button>" in html
    assert 'id="product-row-template"' in html
    # "Not answered yet" is the starting answer, not "unknown".
    assert re.search(r'<input type="radio" name="v1_status" value=""[^>]*checked', html)
    assert "armoured signature file (.asc" in html
    assert "{#" not in html and "{%" not in html  # no template comment shows as text


def test_the_answer_page_is_for_the_vendors_own_members(world: World) -> None:
    start_embargo(world)
    case = the_case(world)
    staff = login(Client(), world.analyst).get(answer_url(world))
    assert staff.status_code == 302 and staff.headers["Location"] == f"/cases/{case.url_ref}/vendors/"
    assert login(Client(), world.invited_vendor).get(answer_url(world)).status_code == 409
    assert login(Client(), world.other_vendor).get(answer_url(world)).status_code == 404
    assert login(Client(), world.reporter).get(answer_url(world)).status_code == 409


def test_add_a_product_without_javascript_keeps_everything_typed_and_records_nothing(
    world: World, accepted: Participant
) -> None:
    client = login(Client(), world.vendor)
    typed = {
        "products": "0",
        "v1_status": "affected",
        "v1_expected_fix_date": "2030-01-15",
        "need_more_information": "Which build?",
        "share": "on",
        "add_product": "1",
    }
    page = client.post(answer_url(world), typed)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="p0_product"' in html and 'name="p1_product"' not in html.split("<template")[0]
    assert re.search(r'name="p0_product"[^>]*autofocus', html)
    assert re.search(r'name="products" value="1"', html)
    assert re.search(r'<input type="radio" name="v1_status" value="affected"[^>]*checked', html)
    assert 'value="2030-01-15"' in html and "Which build?</textarea>" in html
    assert re.search(r'name="share"[^>]*checked', html)
    # The one vulnerability is already chosen in the new row.
    assert re.search(r'<option value="1" selected>', html)
    assert not Status.objects.filter(participant=accepted).exists()
    assert not Message.objects.filter(thread__participant=accepted).exists()
    # Again: two rows, the first one's text kept.
    page = client.post(answer_url(world), {**typed, "products": "1", "p0_product": "Router X"})
    html = page.content.decode().split("<template")[0]
    assert 'value="Router X"' in html and 'name="p1_product"' in html and "Product 2" in html


def test_one_vulnerability_and_two_products_are_recorded(world: World, accepted: Participant) -> None:
    client = login(Client(), world.vendor)
    response = client.post(
        answer_url(world),
        {
            "products": "2",
            "v1_status": "affected",
            "v1_expected_fix_date": "2030-01-15",
            "p0_vulnerability": "1",
            "p0_product": "Router X",
            "p0_version_range": "< 2.0",
            "p0_status": "affected",
            "p0_fixed_version": "2.0",
            "p0_release_reference": "https://vendor-one.test/rn/2.0",
            "p1_vulnerability": "1",
            "p1_product": "Camera Y",
            "p1_status": "not_affected",
            "p1_justification": "component_not_present",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == answer_url(world)
    statuses = {(s.product, s.status, s.fixed_version) for s in Status.objects.filter(participant=accepted)}
    assert statuses == {("", "affected", ""), ("Router X", "fixed", "2.0"), ("Camera Y", "not_affected", "")}
    accepted.refresh_from_db()
    assert accepted.rm_state == RM.ACCEPTED
    page = client.get(answer_url(world)).content.decode()
    # The page shows the stored answer: two product rows, the fixed one as "affected" + version.
    assert 'value="Router X"' in page and 'value="Camera Y"' in page and 'value="2.0"' in page
    assert "Recorded: your answers to questions 1 to 3." in page


def test_asking_for_more_information_records_no_status(world: World, accepted: Participant) -> None:
    client = login(Client(), world.vendor)
    # A vendor that has not answered yet asks a question: the form sends "Not answered yet".
    response = client.post(
        answer_url(world), {"products": "0", "v1_status": "", "need_more_information": "Which build?"}
    )
    assert response.status_code == 302
    assert not Status.objects.filter(participant=accepted).exists()
    answer = Answer.objects.get(participant=accepted)
    assert answer.answered_at is None  # asking is not answering
    accepted.refresh_from_db()
    assert accepted.rm_state == RM.RECEIVED
    [request] = open_requests_of(accepted)  # in the vendor's private thread, from the vendor
    assert request.body == "Which build?" and request.author_participant == accepted
    assert request.author == world.vendor and not request.from_coordinator
    page = client.get(answer_url(world)).content.decode()
    assert "Your question is sent to the coordinator." in page and "you have not answered yet" in page
    # A vendor that answered sends the form again as shown, with a question: nothing is replaced.
    client.post(answer_url(world), {"products": "0", "v1_status": "affected"})
    before = list(Status.objects.filter(participant=accepted).values_list("pk", "status", "created_at"))
    answered_at = Answer.objects.get(participant=accepted).answered_at
    assert before and before[0][1] == "affected" and answered_at is not None
    response = client.post(
        answer_url(world), {"products": "0", "v1_status": "affected", "need_more_information": "And?"}
    )
    assert response.status_code == 302
    after = list(Status.objects.filter(participant=accepted).values_list("pk", "status", "created_at"))
    assert after == before
    assert Answer.objects.get(participant=accepted).answered_at == answered_at
    assert open_requests_of(accepted).count() == 2
    # The timeline says only that a question came.
    event = CaseEvent.objects.filter(case=the_case(world), kind="answer.submitted").latest("id")
    assert "statuses" not in event.data and "info_request" in event.data


def test_an_answer_without_its_reason_is_refused_with_a_summary(world: World, accepted: Participant) -> None:
    client = login(Client(), world.vendor)
    response = client.post(answer_url(world), {"products": "0", "v1_status": "not_affected"})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert 'id="error-summary"' in html
    assert "Say why not: choose a reason or write an impact statement." in html
    assert 'href="#answer-v1_justification"' in html
    response = client.post(answer_url(world), {"products": "0", "v1_expected_fix_date": "2030-01-01"})
    assert response.status_code == 400
    assert "Answer question 1 first" in unescape(response.content.decode())
    assert 'href="#answer-v1_status_0"' in response.content.decode()
    assert not Status.objects.filter(participant=accepted).exists()


# --- 2. The vendor's home: what waits for it, with counts, at a constant cost --------------------


def another_case(world: World, title: str) -> Case:
    """A case under Accord's default embargo (Active), the world's vendor invited into it."""
    report, _ = case_actions.submit_report(
        ReportInput(product=title, version="1", description="Details.", credit=False), by=None
    )
    case = case_actions.accept_report(report, by=world.analyst)
    case = case_actions.record_contact_attempt(case, by=world.analyst, outside=True)
    add_vendor(case, world.vendor_org)
    return case


def own_row(world: World, case: Case) -> Participant:
    return case.participants.get(organization=world.vendor_org)


def test_the_vendor_home_lists_what_waits_for_it_with_counts(world: World) -> None:
    gated = another_case(world, "Gated Gadget")
    unanswered = another_case(world, "Quiet Quokka")
    requested = another_case(world, "Asked Anvil")
    proposed = another_case(world, "Dated Dynamo")
    for case in (unanswered, requested, proposed):
        participant_actions.answer_embargo(own_row(world, case), accept=True, by=world.vendor)
    # Asked and answered by the coordinator; the vendor answered the questions too.
    submit_answer(
        own_row(world, requested),
        AnswerInput(statuses=[StatusInput("1", "affected")], need_more_information="Which build?"),
        by=world.vendor,
    )
    [request] = open_requests_of(own_row(world, requested))
    write_privately(own_row(world, requested), "7.1", by=world.analyst, reply_to=request)
    submit_answer(
        own_row(world, proposed), AnswerInput(statuses=[StatusInput("1", "affected")]), by=world.vendor
    )
    case_actions.propose_embargo(
        proposed, timezone.now() + dt.timedelta(days=90), by=world.vendor, reason="A longer test cycle."
    )
    client = login(Client(), world.vendor)
    response = client.get("/portal/")
    waiting = response.context["waiting"]
    labels = lambda key: [e["p"].case.label for e in waiting[key]]  # noqa: E731
    assert labels("embargo") == [gated.label]
    # The world's own case (not yet contacted) and the unanswered one wait for an answer.
    assert unanswered.label in labels("answer") and requested.label not in labels("answer")
    assert gated.label not in labels("answer")
    assert labels("requests") == [requested.label]
    assert labels("dates") == [proposed.label]
    html = unescape(response.content.decode())
    cards = html[html.index('id="waiting-cards"') : html.index("</ul>", html.index('id="waiting-cards"'))]
    for count, label in (
        (1, "Embargo to accept"),
        (len(labels("answer")), "Questions not answered yet"),
        (1, "New messages from the coordinator"),
        (1, "Dates proposed"),
    ):
        assert re.search(rf'card-count">{count}</span> <span class="card-label">{label}', cards), label
    assert 'href="/portal/#waiting-embargo"' in cards
    assert "Gated Gadget" not in html  # the title of a case behind its embargo gate
    assert f'href="/vendors/{world.vendor_org.pk}/"' in html
    assert "Your organisation: contacts and OpenPGP keys" in html
    mine = f"/cases/{requested.url_ref}/messages/mine/"  # the vendor's own private thread
    assert f'href="{mine}">{requested.label}: read 1 new message</a>' in html
    # Reading the thread takes the case off "new messages from the coordinator".
    thread = f"/cases/{requested.url_ref}/messages/{request.thread_id}/"
    assert client.get(mine)["Location"] == thread
    assert "7.1" in client.get(thread).content.decode()
    assert client.get("/portal/").context["waiting"]["requests"] == []
    assert ThreadRead.objects.filter(thread=request.thread_id, user=world.vendor).exists()


def test_only_the_member_who_reads_the_thread_has_read_it(world: World) -> None:
    start_embargo(world)
    participant = the_case(world).participants.get(organization=world.vendor_org)
    colleague = make_user("second@vendor-one.test", org=world.vendor_org)
    submit_answer(participant, AnswerInput(need_more_information="Which build?"), by=world.vendor)
    [request] = open_requests_of(participant)
    write_privately(participant, "7.1", by=world.analyst, reply_to=request)
    thread = f"/cases/{the_case(world).url_ref}/messages/{request.thread_id}/"

    def new_messages(user: User) -> list[int]:
        waiting = login(Client(), user).get("/portal/").context["waiting"]["requests"]
        return [e["new_answers"] for e in waiting]

    assert new_messages(world.vendor) == new_messages(colleague) == [1]
    # An analyst reading it, or another vendor trying to, changes nothing for the vendor.
    assert login(Client(), world.analyst).get(thread).status_code == 200
    assert login(Client(), world.co_vendor).get(thread).status_code == 404
    assert new_messages(world.vendor) == [1]
    # One member reading it has read it; the colleague has not.
    assert login(Client(), world.vendor).get(thread).status_code == 200
    assert new_messages(world.vendor) == [] and new_messages(colleague) == [1]


def test_the_header_menu_points_to_the_vendors_own_directory_page(world: World) -> None:
    html = login(Client(), world.vendor).get("/portal/").content.decode()
    menu = html[html.index('class="account-menu"') :]
    assert (
        f'<a href="/vendors/{world.vendor_org.pk}/">Your organisation: contacts and OpenPGP keys</a>' in menu
    )


def test_the_vendor_home_costs_the_same_with_2_or_60_cases(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    another_case(world, "First")
    client = login(Client(), world.vendor)
    client.get("/portal/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/portal/").status_code == 200
    cases = Case.objects.bulk_create(
        [Case(number=900000 + i, title=f"Bulk {i}", embargo_state=EM.ACTIVE) for i in range(60)]
    )
    Participant.objects.bulk_create(
        [
            Participant(
                case=case,
                kind=Participant.Kind.VENDOR,
                organization=world.vendor_org,
                alias="Vendor 1",
                rm_state=RM.RECEIVED,
                embargo_answer=Participant.EmbargoAnswer.ACCEPTED
                if i % 2
                else Participant.EmbargoAnswer.INVITED,
            )
            for i, case in enumerate(cases)
        ]
    )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/portal/")
    assert len(response.context["entries"]) == 62
    print(f"/portal/: {len(few.captured_queries)} queries with 2 and with 62 cases")


# --- 4. A signature that did not verify says why, to the vendor and the analyst only --------------


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory):  # type: ignore[no-untyped-def]
    return make_key(tmp_path_factory.mktemp("vendor-key"), "psirt@vendor-one.test")


PENDING_WORDS = "signature did not verify: the key that made it was waiting for the coordinator's approval"


def test_a_statement_signed_with_a_key_waiting_for_approval_says_so(
    world: World, accepted: Participant, vendor_key
) -> None:  # type: ignore[no-untyped-def]
    case = the_case(world)
    # The vendor's admin uploads its key on its own directory page: it waits for approval.
    client = login(Client(), world.vendor)
    response = client.post(f"/vendors/{world.vendor_org.pk}/keys/", {"armored": vendor_key.public})
    assert response.status_code == 302
    key = PublicKey.objects.get(organization=world.vendor_org)
    assert key.status == PublicKey.Status.PENDING
    signed = vendor_key.clearsign(b"We are affected; 2.2 fixes it.\n").decode()
    response = client.post(
        answer_url(world), {"products": "0", "v1_status": "affected", "statement_text": signed, "share": "on"}
    )
    assert response.status_code == 302
    statement = Statement.objects.get(participant=accepted)
    assert statement.verification == Statement.Verification.FAILED and not statement.fingerprint
    # The vendor reads why, on its answer page and on the case page.
    for path in (answer_url(world), f"/cases/{case.url_ref}/"):
        html = unescape(client.get(path).content.decode())
        assert PENDING_WORDS in html, path
    # So does the analyst, in the vendor table and on the vendor's page.
    analyst = login(Client(), world.analyst)
    html = unescape(analyst.get(f"/cases/{case.url_ref}/vendors/").content.decode())
    assert PENDING_WORDS in html
    html = unescape(analyst.get(f"/cases/{case.url_ref}/vendors/{accepted.pk}/").content.decode())
    assert PENDING_WORDS in html
    # The co-participant sees the anonymous vendor's shared statement, that it did not verify, and
    # nothing about keys.
    html = unescape(login(Client(), world.co_vendor).get(f"/cases/{case.url_ref}/").content.decode())
    assert "signature did not verify" in html and "approval" not in html
    assert vendor_key.fingerprint not in html
    assert world.vendor_org.name not in html
    # Once the coordinator approves the key, the same statement sent again verifies.
    vendor_actions.approve_change(key, by=world.analyst)
    client.post(
        answer_url(world), {"products": "0", "v1_status": "affected", "statement_text": signed + "\n"}
    )
    latest = Statement.objects.filter(participant=accepted).latest("version")
    assert latest.verification == Statement.Verification.VERIFIED, latest.verification_detail


def test_a_refused_key_and_a_changed_text_say_why(world: World, accepted: Participant, vendor_key) -> None:  # type: ignore[no-untyped-def]
    client = login(Client(), world.vendor)
    client.post(f"/vendors/{world.vendor_org.pk}/keys/", {"armored": vendor_key.public})
    key = PublicKey.objects.get(organization=world.vendor_org)
    vendor_actions.reject_change(key, by=world.analyst)
    signed = vendor_key.clearsign(b"Fixed in 2.2.\n")
    submit_answer(accepted, AnswerInput(statement=StatementInput(signed)), by=world.vendor)
    html = unescape(client.get(answer_url(world)).content.decode())
    assert "signature did not verify: the key that made it was not approved by the coordinator" in html
    vendor_actions.upload_key(world.vendor_org, vendor_key.public, by=world.analyst)  # now approved
    changed = signed.replace(b"2.2", b"9.9")
    submit_answer(accepted, AnswerInput(statement=StatementInput(changed)), by=world.vendor)
    html = unescape(client.get(answer_url(world)).content.decode())
    assert "signature did not verify: the text was changed after it was signed" in html


def test_a_binary_detached_signature_is_refused_asking_for_the_armoured_one(
    world: World, accepted: Participant
) -> None:
    client = login(Client(), world.vendor)
    response = client.post(
        answer_url(world),
        {
            "products": "0",
            "statement_file": SimpleUploadedFile("statement.txt", b"Words.\n", "text/plain"),
            "signature_file": SimpleUploadedFile("statement.txt.sig", b"\x89\x01\xff\xfe", "application/pgp"),
        },
    )
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "upload the ASCII-armoured one (.asc" in html and 'href="#answer-signature_file"' in html
    assert not Statement.objects.filter(participant=accepted).exists()


@pytest.mark.parametrize("page", ["", "answer/"])
def test_the_vendors_case_and_answer_pages_cost_the_same_with_2_or_2000_vendors(  # type: ignore[no-untyped-def]
    world: World, accepted: Participant, page: str, django_assert_num_queries
) -> None:
    client = login(Client(), world.vendor)
    client.post(answer_url(world), {"products": "0", "v1_status": "affected", "need_more_information": "?"})
    co = the_case(world).participants.get(organization=world.co_vendor_org)
    submit_answer(co, AnswerInput(statuses=[StatusInput("1", "affected")], share=True), by=world.co_vendor)
    url = f"/cases/{the_case(world).url_ref}/{page}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Many {i:04d}", kind=Organization.Kind.VENDOR) for i in range(2000)]
    )
    rows = Participant.objects.bulk_create(
        [
            Participant(
                case=the_case(world),
                kind=Participant.Kind.VENDOR,
                organization=org,
                alias=f"Many {i}",
                rm_state=RM.RECEIVED,
                embargo_answer=Participant.EmbargoAnswer.ACCEPTED,
            )
            for i, org in enumerate(orgs)
        ]
    )
    Answer.objects.bulk_create([Answer(participant=p, share=True, answered_at=timezone.now()) for p in rows])
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# --- 5. Plain words for vendors ---------------------------------------------------------------------


def section(html: str, marker: str, end: str = "</section>") -> str:
    start = html.index(marker)
    return html[start : html.index(end, start)]


def test_vendors_read_plain_sentences_not_states(world: World, accepted: Participant) -> None:
    case = the_case(world)
    client = login(Client(), world.vendor)
    html = unescape(client.get(f"/cases/{case.url_ref}/").content.decode())
    mine = section(html, 'id="vendor-embargo"', "</div>") + section(html, 'id="answer"')
    assert "accepted the embargo: keep this report confidential until" in mine
    assert "You have not answered yet." in mine
    for jargon in ("Report state", "Received", "V / F / D", "Revise", "RM"):
        assert jargon not in mine, jargon
    # A new end proposed by the vendor: "the coordinator is considering", by whom in words.
    case_actions.propose_embargo(case, timezone.now() + dt.timedelta(days=80), by=world.vendor, reason="QA")
    html = unescape(client.get(f"/cases/{case.url_ref}/").content.decode())
    assert "The coordinator is considering a new end" in html and "proposed by you" in html
    other = unescape(login(Client(), world.co_vendor).get(f"/cases/{case.url_ref}/").content.decode())
    assert "proposed by another participant" in other
    assert world.vendor.email not in other and world.vendor_org.name not in other
    portal = unescape(client.get("/portal/").content.decode())
    assert "A new end, " in portal and "is proposed; the coordinator decides" in portal
    for jargon in ("Revise", "Report state", "V / F / D"):
        assert jargon not in portal, jargon
    # The invited vendor's gate says the same in words.
    gate = unescape(login(Client(), world.invited_vendor).get(f"/cases/{case.url_ref}/").content.decode())
    assert "Keep it confidential until" in gate and "The coordinator is considering a new end" in gate
    assert "Revise" not in gate
    # After answering, the vendor's own state reads as a sentence.
    client.post(
        answer_url(world), {"products": "0", "v1_status": "affected", "v1_expected_fix_date": "2030-01-01"}
    )
    html = unescape(client.get(f"/cases/{case.url_ref}/").content.decode())
    assert "You said a fix is ready or on its way." in section(html, 'id="answer"')
