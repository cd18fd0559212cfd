"""Property-based tests of the parsers: whatever comes in, the answer is a clean value or a
clean refusal, never a crash."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.accounts import actions
from accord.accounts.models import User
from accord.api.base import _decode, _encode
from accord.api.errors import ApiError, field_name
from accord.mailgate.transport import Transport, parse_smtp_url
from accord.testing import PASSWORD, make_user

DB_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def encode_raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- Cursors ---------------------------------------------------------------------------------------


@given(cursor=st.text(), count=st.integers(min_value=1, max_value=4))
@example(cursor="W" * 5000, count=2)
@example(cursor=encode_raw("[" * 5000), count=2)
@example(cursor=encode_raw('["a", 1]'), count=2)
def test_decoding_any_text_gives_a_list_or_a_400(cursor: str, count: int) -> None:
    try:
        values = _decode(cursor, count)
    except ApiError as exc:
        assert exc.status == 400
        assert exc.errors == [{"field": "cursor", "message": "not a cursor this list produced"}]
    else:
        assert isinstance(values, list)
        assert len(values) == count


@given(values=st.lists(st.text() | st.integers() | st.floats(allow_nan=False), min_size=1, max_size=4))
def test_cursors_round_trip(values: list[Any]) -> None:
    assert _decode(_encode(values), len(values)) == values


@given(value=json_values, count=st.integers(min_value=1, max_value=3))
def test_decoding_any_json_gives_a_list_of_scalars_or_a_400(value: Any, count: int) -> None:
    try:
        decoded = _decode(encode_raw(json.dumps(value)), count)
    except ApiError as exc:
        assert exc.status == 400
    else:
        assert isinstance(decoded, list) and len(decoded) == count
        assert all(isinstance(v, str | int | float) for v in decoded)


@pytest.mark.django_db
@DB_SETTINGS
@given(values=st.lists(json_values, min_size=2, max_size=2) | json_values)
@example(values=["x", "abc"])
@example(values=[None, 1])
@example(values=["x", float("inf")])
@example(values=["x", float("nan")])
@example(values=["x", 10**40])
@example(values=["x", -(10**40)])
@example(values=[10**40, 1])
def test_any_cursor_on_a_list_endpoint_answers_200_or_400(analyst_client: Client, values: Any) -> None:
    response = analyst_client.get("/api/v1/organizations", {"cursor": encode_raw(json.dumps(values))})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


@pytest.mark.django_db
@DB_SETTINGS
@given(values=st.lists(json_values, min_size=2, max_size=2))
@example(values=["not a date", 1])
@example(values=["2026-13-45T99:00:00", 1])
@example(values=[1e300, 1])
def test_any_cursor_on_a_date_ordered_list_answers_200_or_400(analyst_client: Client, values: Any) -> None:
    response = analyst_client.get("/api/v1/tokens", {"cursor": encode_raw(json.dumps(values))})
    assert response.status_code in (200, 400), response.content


# --- Field names in errors -------------------------------------------------------------------------------

loc_parts = st.text(max_size=12) | st.integers(min_value=0, max_value=1000)
locations = st.sampled_from(["body", "query", "path", "header", "cookie", "form", "file"])
param_names = st.sets(st.sampled_from(["payload", "body", "data", "filters"]))


@given(loc=st.lists(loc_parts, max_size=6), names=param_names)
def test_field_name_always_gives_a_name(loc: list[Any], names: set[str]) -> None:
    name = field_name(loc, names)
    assert isinstance(name, str)
    assert name


@given(
    location=locations,
    param=st.sampled_from(["payload", "data"]),
    rest=st.lists(loc_parts, min_size=1, max_size=5),
)
def test_field_name_never_names_the_location_or_the_parameter(
    location: str, param: str, rest: list[Any]
) -> None:
    name = field_name([location, param, *rest], {"payload", "data"})
    assert not name.startswith((f"{location}.", f"{param}.", f"{param}["))
    # Every part of the path is in the name, in order.
    expected = ""
    for part in rest:
        expected += f"[{part}]" if isinstance(part, int) else ("." if expected else "") + str(part)
    assert name == (expected or "body")


def test_field_name_examples() -> None:
    assert field_name(["body", "payload", "statuses", 0, "status"], {"payload"}) == "statuses[0].status"
    assert field_name(["body", "payload", "timezone"], {"payload"}) == "timezone"
    assert field_name(["body", "payload"], {"payload"}) == "body"
    assert field_name(["query", "limit"], {"payload"}) == "limit"
    assert field_name(["query", "data"], {"data"}) == "data"  # a query parameter keeps its name
    assert field_name([], set()) == "body"


# --- SMTP URLs --------------------------------------------------------------------------------------------------


smtp_prefixes = st.sampled_from(
    ["", "smtp://", "smtps://", "smtp+starttls://", "file://", "smtp://u:p@h:", "smtp://["]
)
smtp_urls = st.text() | st.tuples(smtp_prefixes, st.text()).map("".join)


@given(url=smtp_urls)
@example(url="smtp://:99999999999999")
@example(url="smtp://host:notaport")
@example(url="smtp://[::1")
@example(url="file://")
def test_any_smtp_url_gives_a_transport_or_a_clear_configuration_error(url: str) -> None:
    try:
        transport = parse_smtp_url(url)
    except ImproperlyConfigured as exc:
        assert "ACCORD_SMTP_URL" in str(exc)
    else:
        assert isinstance(transport, Transport)
        assert transport.scheme in {"smtp", "smtp+starttls", "smtps", "file"}
        if transport.scheme == "file":
            assert transport.directory is not None
        else:
            assert transport.host
            assert 0 < transport.port < 65536


@given(
    scheme=st.sampled_from(["smtp", "smtp+starttls", "smtps"]),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){0,2}", fullmatch=True),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    user=st.text(min_size=1, max_size=10),
    password=st.text(max_size=10),
)
def test_well_formed_smtp_urls_are_read_back(
    scheme: str, host: str, port: int | None, user: str, password: str
) -> None:
    from urllib.parse import quote

    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (f":{port}" if port else "")
    transport = parse_smtp_url(f"{scheme}://{netloc}")
    assert transport.scheme == scheme
    assert transport.host == host
    assert transport.port == (port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme])
    assert transport.username == user
    assert transport.password == password


def test_smtp_url_examples() -> None:
    assert parse_smtp_url("file:///var/mail/accord").directory is not None
    assert parse_smtp_url("smtp://mail.example.org").port == 25
    with pytest.raises(ImproperlyConfigured, match="scheme"):
        parse_smtp_url("http://mail.example.org")
    with pytest.raises(ImproperlyConfigured, match="port"):
        parse_smtp_url("smtp://mail.example.org:port")


# --- PATCH /api/v1/me -----------------------------------------------------------------------------------------


@pytest.fixture
def analyst_client(db: None) -> Client:
    user = make_user("fuzz-analyst@coordinator.test", staff_role="analyst")  # with 2FA, as staff must
    _, secret = actions.create_token(user, "properties", by=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def vendor_client(db: None) -> Client:
    user = User.objects.create_user("fuzz@vendor.test", PASSWORD)
    _, secret = actions.create_token(user, "properties", by=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


me_bodies = json_values | st.fixed_dictionaries(
    {},
    optional={
        "name": json_values | st.text(),
        "timezone": json_values | st.sampled_from(["UTC", "Europe/Paris", "Asia/Tokyo", "Etc/GMT+5"]),
    },
)


@pytest.mark.django_db
@DB_SETTINGS
@given(body=me_bodies)
@example(body={"name": "a\u0000b"})
@example(body={"timezone": "\u0000"})
@example(body={"name": "x" * 201})
@example(body={"name": None, "timezone": None})
def test_patch_me_never_answers_500(vendor_client: Client, body: Any) -> None:
    response = vendor_client.patch("/api/v1/me", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400), (body, response.content)
    payload = response.json()
    if response.status_code == 400:
        assert payload["detail"]
        for error in payload.get("errors", []):
            if "NUL" in error["message"]:
                continue  # the NUL guard names wherever in the body the NUL is, known field or not
            assert error["field"] in {"body", "name", "timezone"}, error
    else:
        assert payload["email"] == "fuzz@vendor.test"


@pytest.mark.django_db
@DB_SETTINGS
@given(raw=st.binary(max_size=200))
@example(raw=b"[" * 100_000)
@example(raw=b"\xff\xfe")
def test_patch_me_with_any_bytes_never_answers_500(vendor_client: Client, raw: bytes) -> None:
    response = vendor_client.patch("/api/v1/me", data=raw, content_type="application/json")
    assert response.status_code in (200, 400), (raw, response.content)


# --- Vulnerability identifiers and package URLs (accord.lib.vulnids) -----------------------------


@given(text=st.text(max_size=300))
def test_any_identifier_text_gives_ids_or_a_clear_error(text: str) -> None:
    from accord.lib import vulnids
    from accord.lib.errors import InvalidInput

    for check, field in (
        (vulnids.check_euvd, "euvd"),
        (vulnids.check_gcve, "gcve"),
        (vulnids.check_purl, "purl"),
    ):
        try:
            value = check(text)
        except InvalidInput as exc:
            assert exc.field == field and str(exc)
            continue
        if field == "gcve":
            assert all(vulnids.GCVE.match(v) for v in value) and len(value) == len(set(value)) <= 20
        elif value:
            assert value == value.strip() and not any(c.isspace() for c in value if field == "purl")


@given(
    gna=st.integers(0, 10**9 - 1),
    year=st.integers(1999, 2099),
    numbers=st.lists(st.integers(0, 10**12), min_size=1, max_size=5),
    separator=st.sampled_from([" ", ",", ", ", "\n"]),
)
def test_gcve_ids_are_read_back_from_text_in_order_without_duplicates(
    gna: int, year: int, numbers: list[int], separator: str
) -> None:
    from accord.lib.vulnids import check_gcve

    ids = [f"gcve-{gna}-{year}-{n}" for n in numbers]
    expected = list(dict.fromkeys(i.upper() for i in ids))
    assert check_gcve(separator.join(ids)) == expected
    assert check_gcve(ids) == expected


@given(
    kind=st.sampled_from(["pypi", "npm", "maven", "golang", "cargo", "generic"]),
    name=st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True),
    version=st.one_of(st.just(""), st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)),
)
def test_well_formed_purls_parse_back_to_their_parts(kind: str, name: str, version: str) -> None:
    from accord.lib.vulnids import check_purl, parse_purl

    namespace = "org.example/" if kind == "maven" else ""
    text = f"pkg:{kind}/{namespace}{name}" + (f"@{version}" if version else "")
    assert check_purl(text) == text
    parsed = parse_purl(text)
    assert parsed is not None and parsed.type == kind and (parsed.version or "") == version
