"""Importing and exporting the vendor directory: all or nothing, every error named, round trips."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.models import Organization
from accord.core.actors import SYSTEM
from accord.core.models import AuditEvent
from accord.testing import World
from accord.vendors import actions, directory_io
from accord.vendors.directory_io import DirectoryImportError, import_directory
from accord.vendors.models import Contact, PublicKey, VendorProfile
from accord.vendors.queries import notification_contacts
from tests.test_vendors_support import make_keys

pytestmark = pytest.mark.django_db

HEADER = "name,website,security_txt_url,phones,notes,require_encryption,contacts\n"


def counts() -> tuple[int, int, int, int]:
    return (
        Organization.objects.count(),
        VendorProfile.objects.count(),
        Contact.objects.count(),
        PublicKey.objects.count(),
    )


def test_csv_import_creates_and_updates(world: World) -> None:
    text = HEADER + (
        "Acme,acme.test,https://acme.test/.well-known/security.txt,+1 555 0100,big,yes,"
        "psirt@acme.test:to;cc@acme.test:cc\n"
        "vendor one,,,,,false,security@vendor-one.test\n"
    )
    result = import_directory(text, filename="dir.csv", fmt="csv", by=world.analyst)
    assert (result.created, result.updated, result.dry_run) == (1, 1, False)
    acme = Organization.objects.get(name="Acme")
    assert acme.kind == "vendor"
    profile = VendorProfile.objects.get(organization=acme)
    assert profile.website == "https://acme.test" and profile.require_encryption and profile.notes == "big"
    assert [(c.email, c.role) for c in notification_contacts(acme)] == [
        ("psirt@acme.test", "to"),
        ("cc@acme.test", "cc"),
    ]
    # "vendor one" matched "Vendor One" by name, ignoring case.
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["security@vendor-one.test"]
    assert Organization.objects.filter(name__iexact="vendor one").count() == 1


def test_import_replaces_active_contacts_and_keeps_pending_requests(world: World) -> None:
    actions.add_contact(world.vendor_org, "old@vendor-one.test", by=world.analyst)
    pending = actions.add_contact(world.vendor_org, "asked@vendor-one.test", by=world.vendor)
    import_directory(
        "name,contacts\nVendor One,new@vendor-one.test:cc\n", filename="x.csv", fmt="csv", by=SYSTEM
    )
    assert [(c.email, c.role) for c in notification_contacts(world.vendor_org)] == [
        ("new@vendor-one.test", "cc")
    ]
    assert Contact.objects.get(pk=pending.pk).status == "pending"


def test_a_column_that_is_absent_changes_nothing(world: World) -> None:
    actions.set_profile(world.vendor_org, website="https://vendor-one.test", by=world.analyst)
    actions.add_contact(world.vendor_org, "keep@vendor-one.test", by=world.analyst)
    import_directory("name,phones\nVendor One,+33 1 23\n", filename="x.csv", fmt="csv", by=SYSTEM)
    profile = VendorProfile.objects.get(organization=world.vendor_org)
    assert profile.website == "https://vendor-one.test" and profile.phones == "+33 1 23"
    assert [c.email for c in notification_contacts(world.vendor_org)] == ["keep@vendor-one.test"]


def test_csv_errors_name_file_row_and_field_and_nothing_is_imported(world: World) -> None:
    text = HEADER + (
        "Good Vendor,good.test,,,,no,a@good.test\n"  # row 2: fine
        ",x.test,,,,no,\n"  # row 3: no name
        "Bad Site,not a url,http://insecure.test/security.txt,,,maybe,b@bad.test:bcc;nope\n"  # row 4
        "Coordination Center,,,,,,\n"  # row 5: not a vendor
        "good vendor,,,,,,\n"  # row 6: twice
        "Short,row\n"  # row 7: wrong field count
    )
    before = counts(), AuditEvent.objects.count()
    with pytest.raises(DirectoryImportError) as exc:
        import_directory(text, filename="vendors.csv", fmt="csv", by=world.analyst)
    lines = exc.value.lines()
    assert "vendors.csv: row 3, field name: every vendor needs a name" in lines
    assert any(line.startswith("vendors.csv: row 4, field website: ") for line in lines)
    assert any(line.startswith("vendors.csv: row 4, field security_txt_url: ") for line in lines)
    assert any(line.startswith("vendors.csv: row 4, field require_encryption: ") for line in lines)
    assert any(line.startswith("vendors.csv: row 4, field contacts: 'b@bad.test:bcc'") for line in lines)
    assert any(line.startswith("vendors.csv: row 4, field contacts: 'nope'") for line in lines)
    assert any(
        line.startswith("vendors.csv: row 5, field name: ") and "not a vendor" in line for line in lines
    )
    assert any(line.startswith("vendors.csv: row 6, field name: ") and "row 2" in line for line in lines)
    assert "vendors.csv: row 7: has 2 fields; the header has 7" in lines
    assert exc.value.summary == f"{len(lines)} problems in vendors.csv; nothing was imported."
    assert (counts(), AuditEvent.objects.count()) == before


def test_csv_header_problems(world: World) -> None:
    with pytest.raises(DirectoryImportError) as exc:
        import_directory("name,keys,colour\nAcme,,\n", filename="a.csv", fmt="csv", by=SYSTEM)
    assert exc.value.lines() == [
        "a.csv: row 1, field keys: keys are imported from JSON only, not CSV",
        "a.csv: row 1, field colour: unknown column; the columns are name, website, security_txt_url, "
        "phones, notes, require_encryption, contacts",
    ]
    with pytest.raises(DirectoryImportError) as exc:
        import_directory("", filename="empty.csv", fmt="csv", by=SYSTEM)
    assert exc.value.lines()[-1].startswith("empty.csv: the file is empty")
    with pytest.raises(DirectoryImportError) as exc:
        import_directory(b"name\n\xff\xfe\n", filename="bin.csv", fmt="csv", by=SYSTEM)
    assert exc.value.lines() == ["bin.csv: the file is not UTF-8 text (byte 5 cannot be read)"]


def test_json_errors_name_item_and_field(world: World) -> None:
    keys = make_keys()
    document = {
        "format": "accord-vendor-directory",
        "version": 1,
        "vendors": [
            {"name": "Fine", "keys": [keys.good]},
            {"name": "Keys", "keys": [keys.sign_only, "garbage", keys.secret]},
            {"name": "Contacts", "contacts": [{"email": "x@y.test", "role": "boss"}, {"mail": "a"}]},
            "just text",
            {"website": "https://nameless.test", "colour": "red"},
        ],
    }
    with pytest.raises(DirectoryImportError) as exc:
        import_directory(json.dumps(document), filename="dir.json", fmt="json", by=SYSTEM)
    lines = exc.value.lines()
    assert "dir.json: item 1, field keys[0]: This key cannot encrypt: add an encryption subkey" in lines
    assert any(
        line.startswith("dir.json: item 1, field keys[1]: This is not a usable OpenPGP") for line in lines
    )
    assert any(line.startswith("dir.json: item 1, field keys[2]: This is a secret") for line in lines)
    assert any(line.startswith("dir.json: item 2, field contacts[0]: ") for line in lines)
    assert any(line.startswith("dir.json: item 2, field contacts[1]: unknown key 'mail'") for line in lines)
    assert "dir.json: item 3: must be an object with a name" in lines
    assert any(line.startswith("dir.json: item 4, field colour: unknown key") for line in lines)
    assert "dir.json: item 4, field name: every vendor needs a name" in lines
    assert counts() == (5, 0, 0, 0)  # the world's five organisations
    with pytest.raises(DirectoryImportError) as exc:
        import_directory("{not json", filename="bad.json", fmt="json", by=SYSTEM)
    assert exc.value.lines()[0].startswith("bad.json: not valid JSON: ")


def test_dry_run_checks_and_writes_nothing(world: World) -> None:
    result = import_directory(
        HEADER + "New One,,,,,,\nVendor One,,,,,,\n", filename="x.csv", fmt="csv", by=SYSTEM, dry_run=True
    )
    assert (result.created, result.updated, result.dry_run) == (1, 1, True)
    assert counts() == (5, 0, 0, 0)  # the world's five organisations


def test_json_round_trip_with_keys(world: World) -> None:
    keys = make_keys()
    actions.set_profile(
        world.vendor_org,
        website="https://vendor-one.test",
        phones="+1 555\n+1 556",
        notes="n",
        by=world.analyst,
    )
    actions.add_contact(world.vendor_org, "psirt@vendor-one.test", name="PSIRT", by=world.analyst)
    actions.add_contact(world.vendor_org, "cc@vendor-one.test", role="cc", by=world.analyst)
    actions.add_contact(world.vendor_org, "pending@vendor-one.test", by=world.vendor)  # not exported
    actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    exported = directory_io.export_json()
    vendor = next(v for v in exported["vendors"] if v["name"] == "Vendor One")
    assert [c["email"] for c in vendor["contacts"]] == ["psirt@vendor-one.test", "cc@vendor-one.test"]
    assert len(vendor["keys"]) == 1

    # Importing the export changes nothing.
    result = import_directory(json.dumps(exported), filename="x.json", fmt="json", by=SYSTEM)
    assert result.created == 0 and result.updated == len(exported["vendors"])
    again = directory_io.export_json()
    assert again["vendors"] == exported["vendors"]

    # Into an empty directory, it recreates it.
    Organization.objects.filter(kind="vendor").delete()
    import_directory(json.dumps(exported), filename="x.json", fmt="json", by=SYSTEM)
    assert directory_io.export_json()["vendors"] == exported["vendors"]
    assert PublicKey.objects.get().fingerprint == keys.good_fpr


def test_csv_round_trip(world: World) -> None:
    actions.set_profile(
        world.vendor_org, website="https://vendor-one.test", phones='+1 "555",\n+2', by=world.analyst
    )
    actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    actions.add_contact(world.vendor_org, "cc@vendor-one.test", role="cc", by=world.analyst)
    exported = directory_io.export_csv()
    assert exported.splitlines()[0] == HEADER.strip()
    assert "psirt@vendor-one.test:to;cc@vendor-one.test:cc" in exported
    import_directory(exported, filename="x.csv", fmt="csv", by=SYSTEM)
    assert directory_io.export_csv() == exported
    Organization.objects.filter(kind="vendor").delete()
    import_directory(exported, filename="x.csv", fmt="csv", by=SYSTEM)
    assert directory_io.export_csv() == exported


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.binary(max_size=200))
def test_arbitrary_csv_never_raises_anything_else(world: World, text) -> None:  # type: ignore[no-untyped-def]
    try:
        import_directory(text, filename="fuzz.csv", fmt="csv", by=SYSTEM, dry_run=True)
    except DirectoryImportError as exc:
        assert all(line.startswith("fuzz.csv: ") for line in exc.lines())


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
            min_size=7,
            max_size=7,
        ),
        max_size=5,
    )
)
def test_arbitrary_rows_import_or_fail_cleanly(world: World, rows) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(directory_io.CSV_COLUMNS)
    writer.writerows(rows)
    try:
        import_directory(out.getvalue(), filename="rows.csv", fmt="csv", by=SYSTEM, dry_run=True)
    except DirectoryImportError as exc:
        assert exc.problems


# --- The commands --------------------------------------------------------------------------------------------


def test_cli_import_reports_every_error_and_exits_non_zero(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "Fine,,,,,,\n,x.test,,,,,\nX,,,,,perhaps,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems in .*bad.csv; nothing was imported"):
        call_command("vendors_import", str(path), stderr=err)
    assert f"{path}: row 3, field name: every vendor needs a name" in err.getvalue()
    assert f"{path}: row 4, field require_encryption: " in err.getvalue()
    assert not Organization.objects.filter(name="Fine").exists()


def test_cli_import_shows_progress_and_export_round_trips(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "many.csv"
    rows = "".join(f"Vendor {i:04d},,,,,,psirt@v{i}.test:to\n" for i in range(450))
    path.write_text("name,website,security_txt_url,phones,notes,require_encryption,contacts\n" + rows)
    err, out = io.StringIO(), io.StringIO()
    call_command("vendors_import", str(path), "--dry-run", stdout=out, stderr=err)
    assert "would create 450" in out.getvalue() and "checked 450/450" in err.getvalue()
    assert Organization.objects.count() == 5  # the world's five
    err, out = io.StringIO(), io.StringIO()
    call_command("vendors_import", str(path), stdout=out, stderr=err)
    assert "created 450 and updated 0" in out.getvalue()
    assert "imported 100/450" in err.getvalue() and "imported 450/450" in err.getvalue()

    exported = tmp_path / "out.json"
    call_command("vendors_export", "-o", str(exported), stderr=io.StringIO())
    document = json.loads(exported.read_text())
    assert len(document["vendors"]) == 454  # with the world's four vendors
    out = io.StringIO()
    call_command("vendors_export", "--format", "csv", stdout=out)
    assert out.getvalue().count("\n") == 455
    err = io.StringIO()
    call_command("vendors_import", str(exported), stdout=io.StringIO(), stderr=err)
    assert json.loads(exported.read_text())["vendors"] == directory_io.export_json()["vendors"]


def test_import_listing_a_requested_address_approves_it(world: World) -> None:
    asked = actions.add_contact(world.vendor_org, "asked@vendor-one.test", by=world.vendor)
    import_directory(
        "name,contacts\nVendor One,asked@vendor-one.test:cc\n", filename="x.csv", fmt="csv", by=SYSTEM
    )
    asked.refresh_from_db()
    assert asked.status == "active" and asked.role == "cc"
    assert AuditEvent.objects.filter(kind="vendor.change_approved").count() == 1


def test_a_conflict_found_while_writing_names_the_row_and_undoes_everything(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    actions.update_contact(contact, email="moving@vendor-one.test", by=world.vendor)  # a pending edit
    before = counts()
    with pytest.raises(DirectoryImportError) as exc:
        import_directory(
            "name,contacts\nBrand New,a@new.test\nVendor One,moving@vendor-one.test\n",
            filename="x.csv",
            fmt="csv",
            by=SYSTEM,
        )
    assert exc.value.lines() == [
        "x.csv: row 3, field contacts: A change to moving@vendor-one.test is already waiting for an analyst's approval."
    ]
    assert counts() == before and not Organization.objects.filter(name="Brand New").exists()


# --- Formula injection (issue 7, finding 5) ----------------------------------------------------------------


def test_csv_export_escapes_formulas_a_vendor_admin_typed(world: World) -> None:
    # The vendor's own admin edits phones (no approval needed); the analysts' export carries it.
    actions.set_profile(world.vendor_org, phones="=1+2", by=world.vendor)
    actions.set_profile(world.vendor_org, website="https://vendor-one.test", by=world.analyst)
    actions.set_profile(world.other_vendor_org, notes="@SUM(1,2)", by=world.analyst)
    import csv

    rows = {row[0]: row for row in csv.reader(io.StringIO(directory_io.export_csv()))}
    assert rows["Vendor One"][3] == "'=1+2"
    assert rows["Vendor Two"][4] == "'@SUM(1,2)"
    assert rows["Vendor One"][1] == "https://vendor-one.test"  # harmless cells are left alone
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in rows.values() for cell in row if cell.startswith(dangerous)]


@pytest.mark.parametrize(
    "value", ["=1+2", "-foo", "+1 555 0100", "@SUM(A1)", "'quoted", "''", "'=1+2", "it's fine", "a=b"]
)
def test_csv_escaping_round_trips_exactly(world: World, value: str) -> None:
    actions.set_profile(world.vendor_org, phones=value, notes=value, by=world.analyst)
    exported = directory_io.export_csv()
    Organization.objects.filter(pk=world.vendor_org.pk).delete()
    import_directory(exported, filename="x.csv", fmt="csv", by=SYSTEM)
    profile = VendorProfile.objects.get(organization__name="Vendor One")
    assert (profile.phones, profile.notes) == (value, value)
    assert directory_io.export_csv() == exported


@given(value=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12))
def test_cell_escaping_is_undone_exactly(value: str) -> None:
    from accord.lib.spreadsheet import FORMULA_STARTS, escape_cell, unescape_cell

    assert unescape_cell(escape_cell(value)) == value
    assert not escape_cell(value).startswith(FORMULA_STARTS)


def test_json_export_is_data_and_keeps_values_as_they_are(world: World) -> None:
    actions.set_profile(world.vendor_org, phones="=1+2", by=world.analyst)
    vendors = {v["name"]: v for v in directory_io.export_json()["vendors"]}
    assert vendors["Vendor One"]["phones"] == "=1+2"
