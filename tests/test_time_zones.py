"""Issue 8, journey 4, "Times": instants show in UTC and in the reader's zone, named. The zone is
the one the user chose, else (until they choose) their browser's, which static/accord.js tells
the server in a cookie; without either, UTC alone."""

from __future__ import annotations

import datetime as dt
import importlib
import zoneinfo

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from accord.accounts import actions as account_actions
from accord.accounts.models import User
from accord.accounts.zones import COOKIE, zone_of
from accord.core import audit
from accord.testing import World, login, token_client

pytestmark = pytest.mark.django_db


def dashboard(client: Client) -> str:
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("Now:") :][:400]


def test_a_new_account_has_not_chosen_a_zone(world: World) -> None:
    assert world.vendor.timezone == ""
    assert User.objects.create_user("new@example.test", "x" * 20).timezone == ""


def test_without_a_chosen_zone_or_a_browser_zone_pages_show_utc_alone(world: World) -> None:
    now = dashboard(login(Client(), world.vendor))
    assert "UTC" in now and 'class="local"' not in now


def test_until_a_zone_is_chosen_pages_use_the_browsers(world: World) -> None:
    client = login(Client(), world.vendor)
    client.cookies[COOKIE] = "Europe/Paris"
    now = dashboard(client)
    assert "UTC" in now and "(Europe/Paris)" in now
    # The zone chosen in the profile wins over the browser's.
    account_actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    now = dashboard(client)
    assert "(Asia/Tokyo)" in now and "Europe/Paris" not in now


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "europe/paris", "", "Europe%2FParis%00", "<b>"])
def test_a_browser_zone_that_is_not_an_iana_name_is_ignored(world: World, value: str) -> None:
    client = login(Client(), world.vendor)
    client.cookies[COOKIE] = value
    now = dashboard(client)
    assert 'class="local"' not in now and "<b>" not in now


def test_an_encoded_browser_zone_is_read(world: World) -> None:
    client = login(Client(), world.vendor)
    client.cookies[COOKIE] = "America%2FNew_York"
    assert "(America/New_York)" in dashboard(client)


def test_anonymous_pages_use_the_browsers_zone_too(world: World) -> None:
    client = Client()
    client.cookies[COOKIE] = "Asia/Kolkata"
    response = client.get(f"/report/follow/{world.report_key}/")
    assert response.status_code == 200
    assert "(Asia/Kolkata)" in response.content.decode()


def test_the_profile_says_which_zone_is_used_and_why(world: World) -> None:
    client = login(Client(), world.vendor)
    html = client.get("/accounts/profile/").content.decode()
    assert "in <strong>UTC</strong> only: you have not chosen a time zone" in html
    client.cookies[COOKIE] = "Europe/Paris"
    html = client.get("/accounts/profile/").content.decode()
    assert (
        "and in <strong>Europe/Paris</strong>: your browser's zone, because you have not chosen one" in html
    )
    assert "Not chosen: follow my browser (Europe/Paris now)" in html
    account_actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    html = client.get("/accounts/profile/").content.decode()
    assert "and in <strong>Asia/Tokyo</strong>: the zone you chose." in html
    assert '<option value="Asia/Tokyo" selected>' in html


def test_the_profile_goes_back_to_the_browsers_zone(world: World) -> None:
    account_actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    client = login(Client(), world.vendor)
    response = client.post("/accounts/profile/", {"name": "Pat", "timezone": ""})
    assert response.status_code == 302
    world.vendor.refresh_from_db()
    assert world.vendor.timezone == ""


def test_the_api_goes_back_to_the_browsers_zone_with_an_empty_zone(world: World) -> None:
    api = token_client(world.vendor)
    assert api.get("/api/v1/me").json()["timezone"] == ""
    response = api.patch("/api/v1/me", {"timezone": "Asia/Tokyo"}, content_type="application/json")
    assert response.json()["timezone"] == "Asia/Tokyo"
    response = api.patch("/api/v1/me", {"timezone": ""}, content_type="application/json")
    assert response.status_code == 200 and response.json()["timezone"] == ""
    world.vendor.refresh_from_db()
    assert world.vendor.timezone == ""


def test_choosing_the_same_zone_again_records_nothing(world: World) -> None:
    from accord.core.models import AuditEvent

    account_actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    account_actions.set_timezone(world.vendor, "Asia/Tokyo", by=world.vendor)
    assert (
        AuditEvent.objects.filter(kind="user.timezone_changed", object_id=str(world.vendor.pk)).count() == 1
    )


def test_the_migration_forgets_utc_only_where_nobody_chose_it(world: World) -> None:
    migration = importlib.import_module("accord.accounts.migrations.0002_timezone_not_chosen")
    User.objects.filter(pk__in=[world.vendor.pk, world.co_vendor.pk, world.reporter.pk]).update(
        timezone="UTC"
    )
    User.objects.filter(pk=world.analyst.pk).update(timezone="Europe/Paris")
    # The co-vendor once chose UTC (the audit log says so): it stays.
    audit.record(world.co_vendor, "user.timezone_changed", world.co_vendor, old="Asia/Tokyo", new="UTC")
    migration.forget_unchosen_utc(apps, None)
    zones = dict(User.objects.values_list("email", "timezone"))
    assert zones[world.vendor.email] == "" and zones[world.reporter.email] == ""
    assert zones[world.co_vendor.email] == "UTC"
    assert zones[world.analyst.email] == "Europe/Paris"


def test_a_date_typed_in_a_form_is_read_in_the_zone_the_form_named(world: World) -> None:
    assert world.case is not None
    client = login(Client(), world.analyst)
    client.cookies[COOKIE] = "Europe/Paris"
    page = client.get(f"/cases/{world.case.url_ref}/").content.decode()
    assert "Date and time in Europe/Paris, your browser&#x27;s time zone" in page
    assert '<input type="hidden" name="zone" value="Europe/Paris">' in page
    # The browser moved to another zone before the form was sent: the form's zone counts.
    client.cookies[COOKIE] = "America/New_York"
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    local = (timezone.now() - dt.timedelta(hours=3)).astimezone(tokyo).replace(second=0, microsecond=0)
    response = client.post(
        f"/cases/{world.case.url_ref}/contact/",
        {"at": local.strftime("%Y-%m-%dT%H:%M"), "zone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert world.case.first_contact_at == local.astimezone(dt.UTC)


def test_a_form_naming_no_known_zone_is_read_in_the_readers_zone(world: World) -> None:
    assert world.case is not None
    client = login(Client(), world.analyst)
    client.cookies[COOKIE] = "Europe/Paris"
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    local = (timezone.now() - dt.timedelta(hours=3)).astimezone(paris).replace(second=0, microsecond=0)
    response = client.post(
        f"/cases/{world.case.url_ref}/contact/",
        {"at": local.strftime("%Y-%m-%dT%H:%M"), "zone": "Nowhere/Land"},
    )
    assert response.status_code == 302
    world.case.refresh_from_db()
    assert world.case.first_contact_at == local.astimezone(dt.UTC)


def test_mail_and_jobs_without_a_request_use_utc() -> None:
    zone = zone_of(None)
    assert zone.name == "UTC" and zone.source == "default"
