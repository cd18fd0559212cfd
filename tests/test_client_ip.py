"""The client's address behind a reverse proxy (issue 7, finding 8c): ACCORD_TRUSTED_PROXIES.

Login throttling and the report rate limit key on the client. Behind the proxy the README
prescribes, REMOTE_ADDR is the proxy for everyone; only a trusted proxy's X-Forwarded-For
names the client, and nobody else's is believed.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import axes.utils
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from accord.cases.models import Report
from accord.core.client_ip import client_ip
from accord.lib import env
from accord.testing import PASSWORD, World
from tests.test_api_reports import REPORT
from tests.test_web_reports import FORM

PROXY = "10.0.0.5"
PROXIES = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("2001:db8:1::/48"))


def ip_of(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ()
    assert ip_of(PROXY, "198.51.100.1") == PROXY


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, " 198.51.100.1 , 198.51.100.2", "198.51.100.2"),  # the right-most entry
        (PROXY, "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # our second proxy is skipped
        (PROXY, "198.51.100.1:51234", "198.51.100.1"),
        (PROXY, "[2001:db8:9::1]:443, 2001:db8:1::2", "2001:db8:9::1"),
        (PROXY, "::ffff:198.51.100.1", "198.51.100.1"),
        (PROXY, "", PROXY),  # no header: the proxy itself
        (PROXY, "10.0.0.6, 10.0.0.7", PROXY),  # only our proxies
        (PROXY, "198.51.100.1, not-an-address", PROXY),  # not what our proxy writes
        ("2001:db8:1::9", "198.51.100.1", "198.51.100.1"),
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a trusted proxy: spoofing
        ("", "198.51.100.1", ""),
    ],
)
def test_the_client_is_the_rightmost_address_that_is_not_our_proxy(
    settings: Any, remote: str, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    assert ip_of(remote, forwarded) == expected


def test_the_setting_reads_addresses_and_networks_and_fails_loudly(monkeypatch: Any) -> None:
    monkeypatch.setitem(env.REGISTRY, "ACCORD_TRUSTED_PROXIES", env.REGISTRY["ACCORD_TRUSTED_PROXIES"])
    monkeypatch.setenv("ACCORD_TRUSTED_PROXIES", "10.0.0.5, 172.16.0.0/12,::1")
    assert env.env_networks("ACCORD_TRUSTED_PROXIES") == (
        ipaddress.ip_network("10.0.0.5/32"),
        ipaddress.ip_network("172.16.0.0/12"),
        ipaddress.ip_network("::1/128"),
    )
    monkeypatch.setenv("ACCORD_TRUSTED_PROXIES", "10.0.0.0/8,proxy.example")
    with pytest.raises(ImproperlyConfigured, match="'proxy.example' is not an IP address"):
        env.env_networks("ACCORD_TRUSTED_PROXIES")
    monkeypatch.delenv("ACCORD_TRUSTED_PROXIES")
    assert env.env_networks("ACCORD_TRUSTED_PROXIES") == ()  # off by default


# --- The report rate limit ------------------------------------------------------------------------


def submit(remote: str, forwarded: str) -> int:
    response = Client().post(
        "/api/v1/reports",
        json.dumps(REPORT),
        content_type="application/json",
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


@pytest.mark.django_db
def test_two_clients_behind_a_trusted_proxy_have_their_own_report_limit(settings: Any) -> None:
    settings.REPORT_RATE_LIMIT = 2
    settings.TRUSTED_PROXIES = PROXIES
    assert [submit(PROXY, "198.51.100.1") for _ in range(3)] == [201, 201, 429]
    assert [submit(PROXY, "198.51.100.2") for _ in range(3)] == [201, 201, 429]
    assert Report.objects.count() == 4


@pytest.mark.django_db
def test_a_client_cannot_escape_the_limit_by_forging_the_header(settings: Any) -> None:
    settings.REPORT_RATE_LIMIT = 2
    settings.TRUSTED_PROXIES = PROXIES
    answers = [submit("203.0.113.9", f"198.51.100.{i}") for i in range(3)]
    assert answers == [201, 201, 429]
    # Nor through the proxy, by writing addresses to the left of the one the proxy appends.
    answers = [submit(PROXY, f"198.51.100.{i}, 203.0.113.50") for i in range(3)]
    assert answers == [201, 201, 429]


@pytest.mark.django_db
def test_the_web_form_limit_uses_the_same_client(world: World, settings: Any) -> None:
    settings.REPORT_RATE_LIMIT = 1
    settings.TRUSTED_PROXIES = PROXIES

    def post(forwarded: str) -> int:
        response = Client().post("/report/", FORM, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
        return response.status_code

    assert [post("198.51.100.1"), post("198.51.100.1"), post("198.51.100.2")] == [
        302,
        429,
        302,
    ]  # filed (to the thank-you page), limited, filed


# --- Login throttling (django-axes) ------------------------------------------------------------------


def login(email: str, password: str, forwarded: str) -> int:
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


@pytest.mark.django_db
def test_a_lockout_behind_the_proxy_is_for_that_client_only(world: World, settings: Any) -> None:
    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXIES = PROXIES
    axes.utils.reset()
    email = world.reporter.email
    failures = [login(email, f"wrong {i}", "198.51.100.1") for i in range(settings.AXES_FAILURE_LIMIT)]
    assert failures[-1] == 429
    assert login(email, PASSWORD, "198.51.100.1") == 429
    assert login(email, PASSWORD, "198.51.100.2") == 302  # another client behind the same proxy
