"""The API conventions of architecture.md, checked over HTTP: auth, errors, If-Match,
Idempotency-Key, cursors, instants, tokens, the OpenAPI document and query counts."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts import actions
from accord.accounts.models import ApiToken, Membership, Organization, User
from accord.testing import World, login, make_user, token_client

pytestmark = pytest.mark.django_db

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def instants(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (key, value) of a JSON document whose key names an instant (…_at)."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += instants(v, k)
    elif isinstance(value, list):
        for v in value:
            found += instants(v, key)
    elif key.endswith("_at") and value is not None:
        found.append((key, value))
    return found


def assert_instants(body: Any, expected: int | None = None) -> None:
    found = instants(body)
    for key, value in found:
        assert isinstance(value, str) and RFC3339_UTC.match(value), f"{key}={value!r}"
    if expected is not None:
        assert len(found) >= expected, body


def post_json(client: Client, url: str, data: Any, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, data, content_type="application/json", headers=headers)


def patch_json(client: Client, url: str, data: Any, **headers: str):  # type: ignore[no-untyped-def]
    return client.patch(url, data, content_type="application/json", headers=headers)


# --- /me and authentication ----------------------------------------------------------------------


def test_me_returns_the_user_their_organisations_and_roles(world: World) -> None:
    response = token_client(world.vendor).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": world.vendor.pk,
        "email": "psirt@vendor-one.test",
        "name": world.vendor.name,
        "timezone": "",  # not chosen yet: pages use the browser's zone
        "notify_mode": "immediate",
        "roles": ["vendor-admin"],
        "organizations": [
            {
                "organization": {"id": world.vendor_org.pk, "name": "Vendor One", "kind": "vendor"},
                "role": "admin",
            }
        ],
    }


@pytest.mark.parametrize(
    ("persona", "roles"),
    [
        ("analyst", ["analyst"]),
        ("publisher", ["analyst", "publisher"]),
        ("admin", ["analyst", "publisher", "admin"]),
        ("other_vendor", ["vendor-admin"]),
        ("reporter", ["reporter"]),
    ],
)
def test_me_reports_each_personas_roles(world: World, persona: str, roles: list[str]) -> None:
    user = world.persona(persona)
    assert user is not None
    body = token_client(user).get("/api/v1/me").json()
    assert body["email"] == user.email
    assert body["roles"] == roles


def test_a_plain_vendor_member_has_the_member_role(world: World) -> None:
    member = make_user("dev@vendor-one.test", org=world.vendor_org, role="member")
    assert token_client(member).get("/api/v1/me").json()["roles"] == ["vendor-member"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer accord_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_missing_or_wrong_credentials_answer_401(world: World, headers: dict[str, str]) -> None:
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_on_a_public_route_is_still_refused(world: World) -> None:
    response = Client().post(
        "/api/v1/invitations/accept",
        {"token": "x"},
        content_type="application/json",
        headers={"Authorization": "Bearer accord_wrong"},
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_role_the_caller_lacks_answers_403(world: World) -> None:
    response = post_json(token_client(world.vendor), "/api/v1/organizations", {"name": "Nope"})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Organization.objects.filter(name="Nope").exists()


# --- Error shapes ------------------------------------------------------------------------------------


def test_a_body_that_is_not_json_answers_400_with_a_detail(world: World) -> None:
    response = token_client(world.vendor).patch(
        "/api/v1/me", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body == {"detail": "The request body is not valid JSON."}


def test_a_wrongly_typed_field_is_named_in_errors(world: World) -> None:
    response = patch_json(token_client(world.vendor), "/api/v1/me", {"timezone": 5})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert len(body["errors"]) == 1
    assert body["errors"][0]["field"] == "timezone"
    assert body["errors"][0]["message"]


def test_nested_field_errors_are_named_without_the_parameter(world: World) -> None:
    response = post_json(token_client(world.analyst), "/api/v1/organizations", {"name": "", "kind": "bank"})
    assert response.status_code == 400
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["kind", "name"]


@pytest.mark.parametrize("body", ['"a string"', "[]", "null", "42"])
def test_a_body_that_is_not_an_object_is_named_body(world: World, body: str) -> None:
    response = token_client(world.vendor).patch("/api/v1/me", data=body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["body"]


def test_a_missing_required_field_is_named(world: World) -> None:
    response = post_json(token_client(world.analyst), "/api/v1/organizations", {})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


def test_a_rule_violation_answers_409_naming_the_rule(world: World) -> None:
    token, secret = actions.create_token(world.vendor, "once", by=world.vendor)
    client = token_client(world.vendor)
    assert client.post(f"/api/v1/tokens/{token.pk}/revoke").status_code == 200
    response = client.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert response.status_code == 409
    assert response.json() == {"detail": "This token is already revoked. (rule: token-revoked-once)"}


def test_an_unknown_object_answers_404(world: World) -> None:
    response = token_client(world.analyst).get("/api/v1/organizations/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_text_with_nul_characters_is_refused_not_a_crash(world: World) -> None:
    client = token_client(world.analyst)
    response = patch_json(client, "/api/v1/me", {"name": "a\u0000b"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    response = post_json(client, "/api/v1/organizations", {"name": "Null\u0000Corp"})
    assert response.status_code == 400
    response = post_json(client, "/api/v1/tokens", {"name": "t\u0000"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/reports"),  # public
        ("POST", "/api/v1/organizations"),
        ("PATCH", "/api/v1/me"),
        ("PUT", "/api/v1/policy"),
        ("DELETE", "/api/v1/tokens/1/revoke"),  # a method the route does not take
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/no-such-route"),
    ],
)
def test_a_body_over_the_size_limit_answers_the_json_error_shape(
    world: World, settings: Any, method: str, path: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"name": "' + b"x" * 2000 + b'"}'
    for client in (token_client(world.analyst), login(Client(), world.analyst), Client()):
        response = client.generic(method, path, body, content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        detail = "The request body is larger than the limit of 1,000 bytes."
        assert response.json() == {"detail": detail, "errors": [{"field": "body", "message": detail}]}


def test_a_form_body_with_too_many_fields_answers_the_json_error_shape(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = login(Client(enforce_csrf_checks=True), world.analyst)
    client.cookies["csrftoken"] = "a" * 32  # the CSRF check then reads the form for its token
    fields = "&".join(f"f{i}=1" for i in range(20))
    response = client.post("/api/v1/organizations", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["detail"] == "The request has more than the limit of 10 form fields."


# --- If-Match ------------------------------------------------------------------------------------------


def test_if_match_is_honoured_and_never_required(world: World) -> None:
    client = token_client(world.vendor)
    first = client.get("/api/v1/me")
    stale = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', stale)

    changed = patch_json(client, "/api/v1/me", {"name": "First"}, **{"If-Match": stale})
    assert changed.status_code == 200
    current = changed["ETag"]
    assert current != stale
    assert client.get("/api/v1/me")["ETag"] == current

    refused = patch_json(
        client, "/api/v1/me", {"name": "Second", "timezone": "Asia/Tokyo"}, **{"If-Match": stale}
    )
    assert refused.status_code == 412
    assert refused.json()["detail"]
    world.vendor.refresh_from_db()
    assert (world.vendor.name, world.vendor.timezone) == ("First", "")

    accepted = patch_json(client, "/api/v1/me", {"name": "Third"}, **{"If-Match": current})
    assert accepted.status_code == 200
    assert accepted.json()["name"] == "Third"

    weak_and_listed = patch_json(
        client, "/api/v1/me", {"name": "Fourth"}, **{"If-Match": f'"nope", W/{accepted["ETag"]}'}
    )
    assert weak_and_listed.status_code == 200

    unconditional = patch_json(client, "/api/v1/me", {"name": "Fifth"})
    assert unconditional.status_code == 200
    world.vendor.refresh_from_db()
    assert world.vendor.name == "Fifth"


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_creates_once_and_replays(world: World) -> None:
    client = token_client(world.analyst)
    first = post_json(client, "/api/v1/organizations", {"name": "Acme"}, **{"Idempotency-Key": "key-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    second = post_json(client, "/api/v1/organizations", {"name": "Acme"}, **{"Idempotency-Key": "key-1"})
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Organization.objects.filter(name="Acme").count() == 1

    other_body = post_json(
        client, "/api/v1/organizations", {"name": "Acme 2"}, **{"Idempotency-Key": "key-1"}
    )
    assert other_body.status_code == 409
    assert "idempotency-key-reuse" in other_body.json()["detail"]
    assert not Organization.objects.filter(name="Acme 2").exists()


def test_idempotency_keys_belong_to_their_caller(world: World) -> None:
    mine = post_json(
        token_client(world.analyst), "/api/v1/organizations", {"name": "A1"}, **{"Idempotency-Key": "k"}
    )
    theirs = post_json(
        token_client(world.publisher), "/api/v1/organizations", {"name": "A2"}, **{"Idempotency-Key": "k"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Organization.objects.filter(name__in=["A1", "A2"]).count() == 2


def test_a_failed_request_does_not_use_up_its_key(world: World) -> None:
    client = token_client(world.analyst)
    failed = post_json(client, "/api/v1/organizations", {"name": "Vendor One"}, **{"Idempotency-Key": "k2"})
    assert failed.status_code == 400
    Organization.objects.filter(name="Vendor One").update(name="Vendor Uno")
    retried = post_json(client, "/api/v1/organizations", {"name": "Vendor One"}, **{"Idempotency-Key": "k2"})
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def replay_and_fresh(client: Client, url: str, body: Any, key: str):  # type: ignore[no-untyped-def]
    """The retry with the key, and the same call without it (what the route answers today)."""
    return post_json(client, url, body, **{"Idempotency-Key": key}), post_json(client, url, body)


def test_a_replay_to_a_revoked_token_answers_401_like_the_route(world: World) -> None:
    token, secret = actions.create_token(world.analyst, "ci", by=world.analyst)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    first = post_json(client, "/api/v1/organizations", {"name": "Acme"}, **{"Idempotency-Key": "r1"})
    assert first.status_code == 201
    actions.revoke_token(token, by=world.analyst)
    replay, fresh = replay_and_fresh(client, "/api/v1/organizations", {"name": "Acme"}, "r1")
    assert replay.status_code == fresh.status_code == 401
    assert replay.json() == fresh.json() and replay["WWW-Authenticate"] == fresh["WWW-Authenticate"]
    assert b"Acme" not in replay.content and "Idempotent-Replayed" not in replay


def test_a_replay_to_a_removed_member_answers_404_like_the_route(world: World) -> None:
    colleague = make_user("second@vendor-one.test", org=world.vendor_org, role="admin")
    client = token_client(colleague)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/invitations"
    body = {"email": "new@vendor-one.test", "role": "member"}
    assert post_json(client, url, body, **{"Idempotency-Key": "m1"}).status_code == 201
    membership = Membership.objects.get(user=colleague, organization=world.vendor_org)
    actions.remove_member(membership, by=world.vendor, reason="Left the team.")
    replay, fresh = replay_and_fresh(client, url, body, "m1")
    assert replay.status_code == fresh.status_code == 404
    assert replay.json() == fresh.json() == {"detail": "Not found."}


def test_a_replay_to_a_vendor_that_declined_the_embargo_answers_404_like_the_route(world: World) -> None:
    from accord.cases.actions import record_contact_attempt

    assert world.case is not None
    record_contact_attempt(world.case, by=world.analyst, outside=True)
    world.case.refresh_from_db()
    assert world.case.embargo_state == "active"
    client = token_client(world.vendor)
    url = f"/api/v1/cases/{world.case.url_ref}/embargo/decline"
    assert post_json(client, url, {}, **{"Idempotency-Key": "d1"}).status_code == 200
    replay, fresh = replay_and_fresh(client, url, {}, "d1")
    assert replay.status_code == fresh.status_code == 404
    assert replay.json() == fresh.json() == {"detail": "Not found."}


def test_a_replay_after_the_organisation_declined_answers_404(world: World) -> None:
    """A member's claim was answered before the embargo; the organisation then declined it."""
    from accord.cases.actions import record_contact_attempt
    from accord.cases.actions.participants import answer_embargo

    assert world.case is not None
    client = token_client(world.vendor)
    url = f"/api/v1/cases/{world.case.url_ref}/facts"
    body = {"fact": "X", "evidence": "https://example.test/poc"}
    assert post_json(client, url, body, **{"Idempotency-Key": "c1"}).status_code == 201
    record_contact_attempt(world.case, by=world.analyst, outside=True)
    answer_embargo(world.case.participants.get(organization=world.vendor_org), accept=False, by=world.vendor)
    replay, fresh = replay_and_fresh(client, url, body, "c1")
    assert replay.status_code == fresh.status_code == 404
    assert replay.json() == fresh.json() == {"detail": "Not found."}


def test_a_replay_still_answers_a_caller_who_keeps_access(world: World) -> None:
    client = token_client(world.vendor)
    url = f"/api/v1/organizations/{world.vendor_org.pk}/invitations"
    body = {"email": "new@vendor-one.test", "role": "member"}
    first = post_json(client, url, body, **{"Idempotency-Key": "k1"})
    replay = post_json(client, url, body, **{"Idempotency-Key": "k1"})
    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content and replay["Idempotent-Replayed"] == "true"


def test_every_object_rule_of_a_post_route_has_a_reach_check(db: None) -> None:
    from accord.api.auth import REACH
    from accord.core.routes import all_routes

    kinds = {
        str(route.rule).removeprefix("object:")
        for route in all_routes()
        if route.kind == "api" and "POST" in route.methods and str(route.rule).startswith("object:")
    }
    assert kinds and kinds <= set(REACH), f"add {kinds - set(REACH)} to accord.api.auth.REACH"


def test_a_retried_token_creation_does_not_show_the_secret_again(world: World) -> None:
    client = token_client(world.vendor)
    first = post_json(client, "/api/v1/tokens", {"name": "ci"}, **{"Idempotency-Key": "tok-1"})
    assert first.status_code == 201
    assert "no-store" in first["Cache-Control"]
    secret = first.json()["token"]
    assert secret.startswith("accord_")

    retry = post_json(client, "/api/v1/tokens", {"name": "ci"}, **{"Idempotency-Key": "tok-1"})
    assert retry.status_code == 409
    assert "idempotency-key-reuse" in retry.json()["detail"]
    assert secret.encode() not in retry.content
    assert ApiToken.objects.filter(user=world.vendor, name="ci").count() == 1


# --- Cursor pagination ------------------------------------------------------------------------------


def test_cursor_pagination_returns_every_row_once_in_order(world: World) -> None:
    for name in ["Kappa", "alpha", "Delta", "beta", "Zeta", "Gamma", "Eta"]:
        actions.create_organization(name, "vendor", by=world.analyst)
    expected = list(Organization.objects.order_by("name", "id").values_list("id", flat=True))
    assert len(expected) == 12  # the world has five organisations

    client = token_client(world.analyst)
    seen: list[int] = []
    url = "/api/v1/organizations?limit=3"
    pages = 0
    while True:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= 3
        assert_instants(body, expected=len(body["items"]))
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        assert len(body["items"]) == 3
        url = f"/api/v1/organizations?limit=3&cursor={body['next']}"
    assert seen == expected
    assert pages == 4


def test_a_full_last_page_has_no_next(world: World) -> None:
    for name in ("Six",):  # the world has five organisations
        actions.create_organization(name, "vendor", by=world.analyst)
    client = token_client(world.analyst)
    first = client.get("/api/v1/organizations", {"limit": 3}).json()
    second = client.get("/api/v1/organizations", {"limit": 3, "cursor": first["next"]}).json()
    assert len(second["items"]) == 3
    assert second["next"] is None
    everything = client.get("/api/v1/organizations", {"limit": 6}).json()
    assert len(everything["items"]) == 6
    assert everything["next"] is None


def test_the_default_page_size_is_50(world: World) -> None:
    Organization.objects.bulk_create([Organization(name=f"Bulk {i:03d}") for i in range(60)])
    body = token_client(world.analyst).get("/api/v1/organizations").json()
    assert len(body["items"]) == 50
    assert body["next"]


def test_a_filter_and_a_cursor_combine(world: World) -> None:
    for i in range(4):
        actions.create_organization(f"Coord {i}", "coordinator", by=world.analyst)
    client = token_client(world.analyst)
    first = client.get("/api/v1/organizations", {"kind": "coordinator", "limit": 2}).json()
    second = client.get(
        "/api/v1/organizations", {"kind": "coordinator", "limit": 2, "cursor": first["next"]}
    ).json()
    third = client.get(
        "/api/v1/organizations", {"kind": "coordinator", "limit": 2, "cursor": second["next"]}
    ).json()
    names = [o["name"] for o in first["items"] + second["items"] + third["items"]]
    assert sorted(names) == sorted(["Coordination Center", "Coord 0", "Coord 1", "Coord 2", "Coord 3"])
    assert third["next"] is None


@pytest.mark.parametrize("limit", ["0", "501", "-1", "many"])
def test_a_limit_out_of_range_answers_400_naming_limit(world: World, limit: str) -> None:
    response = token_client(world.analyst).get("/api/v1/organizations", {"limit": limit})
    assert response.status_code == 400
    assert "limit" in [e["field"] for e in response.json()["errors"]]


def test_limits_at_the_bounds_are_accepted(world: World) -> None:
    client = token_client(world.analyst)
    assert len(client.get("/api/v1/organizations", {"limit": 1}).json()["items"]) == 1
    assert client.get("/api/v1/organizations", {"limit": 500}).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "WyJhIl0",  # a list of the wrong length
        "eyJhIjogMX0",  # an object
        "WyJhIiwgImFiYyJd",  # ["a", "abc"]: an id that is not a number
        "W251bGwsIDFd",  # [null, 1]
        "W1tbW1tbW1tbW1tbW1tbW1tb" * 200,  # deeply nested
    ],
)
def test_a_garbage_cursor_answers_400_naming_cursor(world: World, cursor: str) -> None:
    response = token_client(world.analyst).get("/api/v1/organizations", {"cursor": cursor})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


def test_a_garbage_cursor_on_a_date_ordered_list_answers_400(world: World) -> None:
    # ["not a date", 1], for a list ordered by creation time
    response = token_client(world.vendor).get("/api/v1/tokens", {"cursor": "WyJub3QgYSBkYXRlIiwgMV0"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


def test_token_lists_page_newest_first(world: World) -> None:
    for i in range(5):
        actions.create_token(world.vendor, f"t{i}", by=world.vendor)
    client = token_client(world.vendor, name="reader")
    expected = list(
        ApiToken.objects.filter(user=world.vendor).order_by("-created_at", "-id").values_list("id", flat=True)
    )
    seen, url = [], "/api/v1/tokens?limit=2"
    while url:
        body = client.get(url).json()
        assert_instants(body, expected=len(body["items"]))
        seen += [t["id"] for t in body["items"]]
        url = f"/api/v1/tokens?limit=2&cursor={body['next']}" if body["next"] else ""
    assert seen == expected


# --- Instants ----------------------------------------------------------------------------------------------


def test_instants_in_answers_are_rfc3339_utc(world: World) -> None:
    actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    client = token_client(world.vendor)
    client.get("/api/v1/me")
    bodies = [
        client.get("/api/v1/tokens").json(),
        client.get(f"/api/v1/organizations/{world.vendor_org.pk}").json(),
        client.get(f"/api/v1/organizations/{world.vendor_org.pk}/members").json(),
        post_json(
            client, f"/api/v1/organizations/{world.vendor_org.pk}/invitations", {"email": "x@vendor-one.test"}
        ).json(),
        post_json(client, "/api/v1/tokens", {"name": "another"}).json(),
    ]
    found = [pair for body in bodies for pair in instants(body)]
    keys = {key for key, _ in found}
    assert {"created_at", "last_used_at", "joined_at", "expires_at"} <= keys
    for body in bodies:
        assert_instants(body)


# --- Tokens --------------------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_hash(world: World) -> None:
    token, secret = actions.create_token(world.vendor, "hashed", by=world.vendor)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix)
    assert len(token.prefix) < len(secret) // 2
    Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    # Nowhere in the database: not in the token row, the audit log or anything else.
    secret_part = secret[len(token.prefix) :]
    for model in apps.get_models():
        for row in model._default_manager.all().values_list():
            for value in row:
                text = bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                assert secret_part not in text, model._meta.label


def test_using_a_token_records_when(world: World) -> None:
    token, secret = actions.create_token(world.vendor, "used", by=world.vendor)
    assert token.last_used_at is None
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_answers_401(world: World) -> None:
    token, secret = actions.create_token(world.vendor, "short-lived", by=world.vendor)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200
    response = client.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert response.status_code == 200
    assert_instants(response.json(), expected=2)
    assert response.json()["revoked_at"] is not None
    denied = client.get("/api/v1/me")
    assert denied.status_code == 401
    assert denied["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_token_answers_401(world: World) -> None:
    client = token_client(world.vendor)
    User.objects.filter(pk=world.vendor.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_tokens_of_others_are_not_found(world: World) -> None:
    token, _ = actions.create_token(world.vendor, "theirs", by=world.vendor)
    response = token_client(world.other_vendor).post(f"/api/v1/tokens/{token.pk}/revoke")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_created_in_the_api_works_and_is_listed_without_its_secret(world: World) -> None:
    created = post_json(login(Client(), world.vendor), "/api/v1/tokens", {"name": "from the browser"})
    assert created.status_code == 201
    secret = created.json()["token"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").json()["email"] == world.vendor.email
    listing = client.get("/api/v1/tokens")
    assert "from the browser" in listing.content.decode()
    assert secret.encode() not in listing.content


# --- OpenAPI ------------------------------------------------------------------------------------------------


def test_the_openapi_document_is_3_1(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/me" in document["paths"]


# --- Query counts ---------------------------------------------------------------------------------------------


def test_listing_organisations_costs_the_same_queries_for_2_and_300(
    db: None, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    analyst = make_user("counter@coordinator.test", staff_role="analyst")
    Organization.objects.bulk_create([Organization(name=f"Org {i:03d}") for i in range(2)])
    client = login(Client(), analyst)
    client.get("/api/v1/organizations?limit=500")  # warm-up: session, caches
    with CaptureQueriesContext(connection) as small:
        response = client.get("/api/v1/organizations?limit=500")
    assert len(response.json()["items"]) == 2

    Organization.objects.bulk_create([Organization(name=f"Org {i:03d}") for i in range(2, 300)])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/organizations?limit=500")
    assert len(response.json()["items"]) == 300


def test_listing_members_costs_the_same_queries_for_2_and_300(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    org = world.other_vendor_org
    url = f"/api/v1/organizations/{org.pk}/members?limit=500"
    make_user("second@vendor-two.test", org=org)
    client = login(Client(), world.analyst)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert len(response.json()["items"]) == 2

    users = User.objects.bulk_create([User(email=f"m{i}@vendor-two.test") for i in range(298)])
    Membership.objects.bulk_create([Membership(user=u, organization=org) for u in users])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.json()["items"]) == 300


def test_nul_characters_in_a_json_body_are_refused_naming_the_field(world):
    from accord.testing import token_client

    response = token_client(world.vendor).patch(
        "/api/v1/me", data='{"name": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    world.vendor.refresh_from_db()
    assert world.vendor.name != "a\x00b"


def test_nul_in_a_public_report_is_refused_before_storage(db):
    from django.test import Client

    from accord.cases.models import Report

    body = '{"product": "x\\u0000", "version": "1", "description": "d"}'
    response = Client().post("/api/v1/reports", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "product"
    assert not Report.objects.exists()


def test_staff_token_does_not_bypass_required_2fa(db, settings):
    from django.test import Client

    from accord.accounts import actions
    from accord.accounts.models import User

    staff = User.objects.create_user("no2fa@coordinator.test", "x" * 16, staff_role="analyst")
    _, secret = actions.create_token(staff, "cli", by=staff)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 401
    settings.REQUIRE_2FA_FOR_STAFF = False
    assert client.get("/api/v1/me").status_code == 200
