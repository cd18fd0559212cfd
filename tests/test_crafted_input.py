"""Crafted values in every parameter of every route never crash the server (issue 7, finding 6).

Routes come from accord.core.routes, as in the authorization matrix, so a route added
tomorrow is swept tomorrow. What a page reads is found by watching its QueryDicts on a
first request; what an API operation reads comes from its OpenAPI description.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.utils.datastructures import MultiValueDict

from accord.core.routes import Route, all_routes
from accord.lib.ids import MAX_ID, parse_id, parse_ids
from accord.testing import World, login
from tests.test_authorization_matrix import PARAM, expand, samples

# Digits that pass str.isdigit() but not int() ("²"), that int() reads as another number ("٣"),
# an integer SQLite cannot hold, a negative, a float in text, nothing, and a NUL (forms only).
CRAFTED = ("²", "٣", "99999999999999999999", "-1", "1e3", "", "\x00")
PATH_CRAFTED = ("²", "٣", "99999999999999999999", "-1", "1e3")
ONE_BY_ONE = ("²", "99999999999999999999", "-1")
JSON_CRAFTED: tuple[Any, ...] = ("²", "٣", "99999999999999999999", 99999999999999999999, -1, "1e3", "")


# --- What a page reads -----------------------------------------------------------------------------


@contextmanager
def watching_reads() -> Iterator[list[tuple[QueryDict, str]]]:
    """Record (querydict, key) for every key a view looks up in request.GET or request.POST."""
    seen: list[tuple[QueryDict, str]] = []
    originals = {
        "__getitem__": MultiValueDict.__getitem__,
        "get": MultiValueDict.get,
        "getlist": MultiValueDict.getlist,
        "__contains__": dict.__contains__,
    }

    def spy(name: str) -> Any:
        def method(self: QueryDict, key: str, *args: Any, **kwargs: Any) -> Any:
            seen.append((self, key))
            return originals[name](self, key, *args, **kwargs)

        return method

    saved = {name: QueryDict.__dict__.get(name) for name in originals}
    for name in originals:
        setattr(QueryDict, name, spy(name))
    try:
        yield seen
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(QueryDict, name)
            else:
                setattr(QueryDict, name, value)


class Sweep:
    def __init__(self, world: World, persona: str):
        self.values = samples(world)
        # A valid value for keys that gate the rest of a form, so the fields after them are read.
        self.baseline = {"participant": self.values["participant_id"]}
        self.client = login(Client(raise_request_exception=False), world.persona(persona))
        self.session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.failures: list[str] = []
        self.requests = 0
        self.route = ""

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        # A logout or a password change in an earlier request was rolled back; so is its cookie.
        self.client.cookies[settings.SESSION_COOKIE_NAME] = self.session
        self.requests += 1
        with transaction.atomic():
            response = getattr(self.client, method.lower())(url, **kwargs)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            shown = {k: v for k, v in kwargs.items() if k in ("data", "QUERY_STRING")}
            self.failures.append(f"{method} {url} {shown!r}: {response.status_code}")
        return response

    def page(self, route: Route) -> None:
        self.route = route.pattern
        url = expand(route, self.values)
        for method in ("GET", "POST"):
            query, form = self.reads(method, url, {})
            if query is None:
                continue  # 405
            # With the gating fields valid, a view may read fields it did not reach before.
            if method == "POST" and set(form) & set(self.baseline):
                form = sorted({*form, *self.reads(method, url, self.baseline)[1]})
            form = form if method == "POST" else []
            for value in CRAFTED:
                # Every field at once: a form checks each field on its own.
                if query:
                    self.send(method, url + "?" + urlencode(dict.fromkeys(query, value)))
                if form:
                    self.send(method, url, data=dict.fromkeys(form, value))
            # Each field alone, the others empty or valid, for a view that reads fields one by one
            # and gives up at the first bad one.
            base = {k: self.baseline.get(k, "") for k in form}
            for key in form if len(form) > 1 else ():
                for value in ONE_BY_ONE:
                    self.send(method, url, data={**base, key: value})
            self.path(route, method)

    def reads(self, method: str, url: str, data: dict[str, str]) -> tuple[list[str] | None, list[str]]:
        """The query and form keys the view looks up; (None, []) when it refuses the method."""
        with watching_reads() as seen:
            response = self.send(method, url, **({"data": data} if data else {}))
        if response.status_code == 405:
            return None, []
        request = response.wsgi_request
        query = sorted({key for qd, key in seen if qd is request.GET})
        return query, sorted({key for qd, key in seen if qd is not request.GET})

    def path(self, route: Route, method: str, **kwargs: Any) -> None:
        for name in {m.group("name") for m in PARAM.finditer(route.pattern)}:
            for value in PATH_CRAFTED:
                self.send(method, expand(route, {**self.values, name: quote(value, safe="")}), **kwargs)

    def api(self, route: Route, schema: dict[str, Any]) -> None:
        self.route = route.pattern
        url = expand(route, self.values)
        path = "/" + route.pattern.replace("<", "{").replace(">", "}")
        for method in route.methods:
            operation = schema["paths"][path][method.lower()]
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            for key in query:
                for value in PATH_CRAFTED + ("",):
                    self.send(method, url, QUERY_STRING=urlencode({key: value}))
            body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body_schema is None:
                self.path(route, method)
                continue
            base = example(body_schema["schema"], schema)
            base = base if isinstance(base, dict) else {}
            for key in properties(body_schema["schema"], schema):
                for value in JSON_CRAFTED:
                    self.json(method, url, {**base, key: value})
            self.path(route, method, data=base, content_type="application/json")

    def json(self, method: str, url: str, body: Any) -> None:
        import json

        self.send(method, url, data=json.dumps(body), content_type="application/json")


def resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return resolve(schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]], schema)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        return resolve(options[0], schema) if options else {}
    return node


def properties(node: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    return sorted(resolve(node, schema).get("properties", {}))


def example(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the schema accepts, so that one crafted field is checked past the others."""
    node = resolve(node, schema)
    if "default" in node and node["default"] is not None:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {
            name: example(sub, schema)
            for name, sub in node.get("properties", {}).items()
            if name in node.get("required", ())
        }
    if kind == "array":
        return []
    if kind == "integer" or kind == "number":
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return False
    if node.get("format") == "date-time":
        return "2031-01-01T00:00:00Z"
    if node.get("format") == "email":
        return "someone@example.test"
    return "x"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """security.txt discovery resolves names; the sweep must not wait on DNS."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("no DNS in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["analyst", "vendor"])
def test_crafted_values_in_every_parameter_never_give_a_server_error(
    world: World, persona: str, offline: None
) -> None:
    from accord.api.urls import api

    schema = api.get_openapi_schema()
    sweep = Sweep(world, persona)
    for route in all_routes():
        if route.name == "admin":
            continue  # Django's own admin site
        if route.kind == "page":
            sweep.page(route)
        elif route.name not in ("openapi-json", "openapi-view", "api-root"):
            sweep.api(route, schema)
    assert sweep.requests > 1000
    assert not sweep.failures, f"{len(sweep.failures)} server errors:\n" + "\n".join(sweep.failures[:80])


@pytest.mark.django_db
def test_portal_forms_take_only_ascii_ids(world: World) -> None:
    client = login(Client(raise_request_exception=False), world.vendor)
    participant = world.case.participants.get(organization=world.vendor_org)  # type: ignore[union-attr]
    answers = [
        client.post("/portal/tracking/", {"participant": "²", "tracking_id": "T-1"}),
        client.post("/portal/access/", {"participant": "²"}),
        client.post("/portal/access/", {"participant": participant.pk, "members": "²"}),
        client.post("/portal/access/", {"participant": participant.pk, "members": "99999999999999999999"}),
    ]
    assert [a.status_code for a in answers] == [302] * 4


@pytest.mark.django_db
def test_answer_api_organization_filter_takes_only_ascii_ids(world: World) -> None:
    client = login(Client(raise_request_exception=False), world.analyst)
    answer = client.get(f"/api/v1/cases/{world.case.url_ref}/answer", {"organization": "²"})  # type: ignore[union-attr]
    assert answer.status_code == 400


@pytest.mark.django_db
def test_forms_refuse_ids_no_database_can_hold(world: World) -> None:
    """A form error, never a crash: on SQLite the `__in` lookup raised OverflowError; on PostgreSQL
    the same value is out of bigint range. parse_id refuses it before any query."""
    from accord.accounts.models import User
    from accord.cases.forms import CaseAnalystsForm, ClaimForm, VulnerabilityEditForm

    analysts = User.objects.filter(pk=world.analyst.pk)
    huge = "99999999999999999999"
    form = CaseAnalystsForm({"analysts": [huge], "owner": huge}, analysts=analysts)
    assert not form.is_valid() and set(form.errors) == {"analysts", "owner"}
    form = CaseAnalystsForm({"analysts": [str(world.analyst.pk)], "owner": "٣"}, analysts=analysts)
    assert not form.is_valid() and set(form.errors) == {"owner"}
    assert not ClaimForm({"claim": huge}).is_valid()
    assert not VulnerabilityEditForm({"seq": huge}).is_valid()
    form = CaseAnalystsForm({"analysts": [str(world.analyst.pk)]}, analysts=analysts)
    assert form.is_valid(), form.errors


# --- The helper ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("٣", None),
        ("1e3", None),
        (" 1", None),
        ("", None),
        (None, None),
        (True, None),
        (7, 7),
        (0, None),
        (2**64, None),
    ],
)
def test_parse_id_takes_ascii_digits_in_range_only(value: Any, expected: int | None) -> None:
    assert parse_id(value) == expected


def test_parse_ids_drops_what_is_not_an_id() -> None:
    assert parse_ids(["3", "²", "٣", "99999999999999999999", "", "4"]) == [3, 4]


def test_crafted_value_strings_are_what_they_claim() -> None:
    assert "²".isdigit() and "٣".isdigit()
    assert re.fullmatch(r"\d+", "٣")  # why re.ASCII matters
