"""security.txt discovery against a real HTTP server on 127.0.0.1, and the address guards."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accord.vendors import discovery
from accord.vendors.discovery import DiscoveryError, Refused, check_address, discover
from tests.test_vendors_support import LocalServer, local_server, make_keys, security_txt


@pytest.fixture
def server(settings):  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = True
    settings.SECURITY_TXT_TIMEOUT = 2
    with local_server() as running:
        yield running


def test_found_at_well_known(server: LocalServer) -> None:
    server.text(
        "/.well-known/security.txt",
        security_txt(
            contacts=[
                "mailto:PSIRT@vendor.test",
                "mailto:psirt@vendor.test?subject=hi",
                "https://vendor.test/report",
                "tel:+1-555-0100",
            ],
            encryption=["https://vendor.test/pgp.asc"],
            policy="https://vendor.test/policy",
        ),
    )
    finding = discover(server.url)
    assert finding.url == server.url + "/.well-known/security.txt"
    assert finding.contacts == ["psirt@vendor.test"]
    assert finding.other_contacts == ["https://vendor.test/report", "tel:+1-555-0100"]
    assert finding.encryption == finding.fetchable_keys == ["https://vendor.test/pgp.asc"]
    assert finding.policy == ["https://vendor.test/policy"]
    assert finding.expires == dt.datetime(2099, 1, 1, tzinfo=dt.UTC) and not finding.expired
    # sectxt's own findings, and the plain-http note, are passed on.
    assert any("digitally signed" in r for r in finding.recommendations)
    assert "The file was not served over https." in finding.errors
    assert server.requests == ["/.well-known/security.txt"]


def test_falls_back_to_the_legacy_location(server: LocalServer) -> None:
    server.text(
        "/security.txt", security_txt(contacts=["mailto:sec@vendor.test"], expires="2020-01-01T00:00:00Z")
    )
    finding = discover(server.url)
    assert finding.url == server.url + "/security.txt"
    assert finding.contacts == ["sec@vendor.test"]
    assert finding.expired and finding.expires == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert any("must not be in the past" in e for e in finding.errors)
    assert any("/.well-known/security.txt" in e for e in finding.errors)
    assert server.requests == ["/.well-known/security.txt", "/security.txt"]


def test_404_at_both_places(server: LocalServer) -> None:
    with pytest.raises(DiscoveryError) as exc:
        discover(server.url)
    assert not isinstance(exc.value, Refused)
    assert exc.value.message == (
        f"No security.txt found: {server.url}/.well-known/security.txt answered HTTP 404. "
        f"{server.url}/security.txt answered HTTP 404."
    )


def test_oversize_file_is_not_read_past_the_limit(server: LocalServer) -> None:
    server.stream("/.well-known/security.txt", b"# " + b"x" * 8190, count=40)  # 320 KiB, no Content-Length
    with pytest.raises(DiscoveryError, match="larger than 64 KiB; reading stopped"):
        discover(server.url)
    server.text("/.well-known/security.txt", "# " + "y" * 70_000)  # announced by Content-Length
    with pytest.raises(DiscoveryError, match="larger than 64 KiB; it was not read"):
        discover(server.url)


def test_timeout(server: LocalServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_TIMEOUT = 1
    server.slow("/.well-known/security.txt", 3)
    with pytest.raises(DiscoveryError, match="did not answer within 1 seconds"):
        discover(server.url)
    # A server that keeps sending slowly meets the same deadline.
    server.stream("/.well-known/security.txt", b"# slow\n", count=30, pause=0.1)
    with pytest.raises(DiscoveryError, match="did not answer within 1 seconds"):
        discover(server.url)


def test_loopback_refused_when_the_setting_is_off(settings) -> None:  # type: ignore[no-untyped-def]
    with local_server() as server:
        server.text("/.well-known/security.txt", security_txt(contacts=["mailto:a@b.test"]))
        settings.SECURITY_TXT_ALLOW_LOOPBACK = False
        with pytest.raises(Refused, match="only https"):
            discover(server.url)
        with pytest.raises(Refused, match="loopback"):
            discover("127.0.0.1")
        with pytest.raises(Refused, match="loopback"):
            discover("[::1]")
        assert server.requests == []


def test_redirects_are_followed_and_each_target_checked(server: LocalServer) -> None:
    server.redirect("/.well-known/security.txt", "/moved/security.txt")
    server.text("/moved/security.txt", security_txt(contacts=["mailto:moved@vendor.test"]))
    assert discover(server.url).contacts == ["moved@vendor.test"]

    for private in (
        "http://10.0.0.7/security.txt",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
    ):
        server.redirect("/.well-known/security.txt", private)
        with pytest.raises(Refused, match="Accord fetches only from public addresses"):
            discover(server.url)
    server.redirect("/.well-known/security.txt", "ftp://vendor.test/security.txt")
    with pytest.raises(Refused, match="only https"):
        discover(server.url)


def test_at_most_three_redirects(server: LocalServer) -> None:
    for step in range(5):
        server.redirect(f"/r{step}", f"/r{step + 1}")
    server.text("/r5", "x")
    server.redirect("/.well-known/security.txt", "/r0")
    with pytest.raises(DiscoveryError, match="redirects more than 3 times"):
        discover(server.url)
    server.redirect("/.well-known/security.txt", "/r3")  # three redirects: fine
    server.text("/r5", security_txt(contacts=["mailto:deep@vendor.test"]))
    assert discover(server.url).contacts == ["deep@vendor.test"]


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "100.64.0.1",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = False
    with pytest.raises(Refused):
        check_address(address)


def test_public_addresses_and_loopback_when_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = False
    assert str(check_address("93.184.215.14")) == "93.184.215.14"
    assert str(check_address("2606:4700::1111")) == "2606:4700::1111"
    settings.SECURITY_TXT_ALLOW_LOOPBACK = True
    assert str(check_address("127.0.0.1")) == "127.0.0.1"
    with pytest.raises(Refused):
        check_address("10.0.0.1")  # the setting allows loopback only


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("", "Enter a domain"),
        ("example", "not a domain name"),
        ("exa mple.com", "not a domain name"),
        ("example.com/path", "not a domain name"),
        ("user@example.com", "not a domain name"),
        ("example.com:8443", "not a domain name"),
        ("https://example.com:8443/", "default https port"),
        ("http://example.com", "only https"),
        ("https://user:pw@example.com", "user name or password"),
        ("gopher://example.com", "only https"),
    ],
)
def test_domains_are_checked_before_any_lookup(domain: str, message: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = False
    with pytest.raises(Refused, match=message):
        discover(domain)


def test_fetch_key_from_an_encryption_url(server: LocalServer) -> None:
    keys = make_keys()
    server.text("/pgp.asc", keys.good, content_type="application/pgp-keys")
    server.text("/not-a-key", "hello")
    assert "BEGIN PGP PUBLIC KEY BLOCK" in discovery.fetch_key(server.url + "/pgp.asc")
    with pytest.raises(DiscoveryError, match="does not hold an OpenPGP public key"):
        discovery.fetch_key(server.url + "/not-a-key")
    with pytest.raises(DiscoveryError, match="HTTP 404"):
        discovery.fetch_key(server.url + "/missing.asc")


def test_unparsable_bytes_still_give_a_finding() -> None:
    finding = discovery.parse(
        b"\xff\xfe garbage\x00\n", "https://vendor.test/.well-known/security.txt", "text/html"
    )
    assert finding.contacts == [] and finding.errors
    assert "The file is served as text/html, not text/plain." in finding.errors


# --- IPv6 addresses that carry an IPv4 address (issue 7, finding 8b) ----------------------------------

TEREDO_SERVER = ipaddress.IPv4Address("65.54.227.120")  # a public relay
PUBLIC_IPV4 = ipaddress.IPv4Address("93.184.215.14")


def wrappings(v4: ipaddress.IPv4Address) -> dict[str, ipaddress.IPv6Address]:
    """Every IPv6 form that delivers to `v4`."""
    teredo = 0x20010000 << 96
    return {
        "mapped": ipaddress.IPv6Address((0xFFFF << 32) | int(v4)),
        "6to4": ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | 1),
        "teredo client": ipaddress.IPv6Address(
            teredo | (int(TEREDO_SERVER) << 64) | (0x8000 << 48) | (0x63BF << 32) | (int(v4) ^ 0xFFFFFFFF)
        ),
        "teredo server": ipaddress.IPv6Address(teredo | (int(v4) << 64) | (int(PUBLIC_IPV4) ^ 0xFFFFFFFF)),
        "nat64": ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(v4)),
    }


def test_the_wrappings_lead_where_the_stdlib_says() -> None:
    forms = wrappings(ipaddress.IPv4Address("10.0.0.1"))
    assert forms["mapped"].ipv4_mapped == forms["6to4"].sixtofour == ipaddress.IPv4Address("10.0.0.1")
    assert forms["teredo client"].teredo == (TEREDO_SERVER, ipaddress.IPv4Address("10.0.0.1"))
    assert forms["teredo server"].teredo == (ipaddress.IPv4Address("10.0.0.1"), PUBLIC_IPV4)


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo to 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo to 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
def test_ipv6_forms_of_private_ipv4_are_refused_naming_what_they_wrap(address: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURITY_TXT_ALLOW_LOOPBACK = True  # not even then: tests fetch from 127.0.0.1 itself
    with pytest.raises(Refused, match="wrapping"):
        check_address(address)


NON_PUBLIC_V4 = st.one_of(
    *[
        st.ip_addresses(network=network)
        for network in (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "224.0.0.0/4",
            "240.0.0.0/4",
        )
    ]
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(v4=st.one_of(NON_PUBLIC_V4, st.ip_addresses(v=4)))
def test_every_ipv6_form_of_a_refused_ipv4_is_refused(v4: ipaddress.IPv4Address) -> None:
    try:
        check_address(str(v4))
    except Refused:
        for form, address in wrappings(v4).items():
            with pytest.raises(Refused):
                check_address(str(address))
            assert form  # (named for the failure report)
    else:
        # A public IPv4 stays reachable as itself, IPv4-mapped and through 6to4.
        forms = wrappings(v4)
        assert check_address(str(forms["mapped"])) == v4
        assert check_address(str(forms["6to4"])) == forms["6to4"]
