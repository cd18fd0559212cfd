"""The vendor directory's actions: self-service changes wait for approval; analysts' edits do not;
keys are pinned by fingerprint, flagged, and bad ones refused with nothing stored."""

from __future__ import annotations

import pytest

from accord.core.models import AuditEvent
from accord.lib.errors import InvalidInput, RuleViolation
from accord.testing import World, make_user
from accord.vendors import actions
from accord.vendors.models import Contact, PublicKey, VendorProfile
from accord.vendors.queries import encryption_keys, notification_contacts, pinned_keys
from tests.test_vendors_support import make_keys

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys():  # type: ignore[no-untyped-def]
    return make_keys()


def emails(org) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.email for c in notification_contacts(org)]


# --- Contacts ------------------------------------------------------------------------------------------


def test_analyst_adds_a_contact_at_once(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, " PSIRT@Vendor-One.test ", role="to", by=world.analyst)
    assert contact.status == "active" and contact.email == "psirt@vendor-one.test"
    assert contact.approved_by == world.analyst
    assert emails(world.vendor_org) == ["psirt@vendor-one.test"]
    event = AuditEvent.objects.filter(kind="vendor.contact_added").get()
    assert event.actor == world.analyst and event.object_id == str(world.vendor_org.pk)


def test_vendor_admins_new_contact_is_pending_until_approved(world: World) -> None:
    actions.add_contact(world.vendor_org, "old@vendor-one.test", by=world.analyst)
    pending = actions.add_contact(world.vendor_org, "attacker@evil.test", role="to", by=world.vendor)
    assert pending.status == "pending" and pending.pending_change == "add"
    # Notifications never see a pending address.
    assert emails(world.vendor_org) == ["old@vendor-one.test"]

    approved = actions.approve_change(pending, by=world.analyst)
    assert approved is not None and approved.status == "active" and approved.approved_by == world.analyst
    assert sorted(emails(world.vendor_org)) == ["attacker@evil.test", "old@vendor-one.test"]
    kinds = list(AuditEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == ["vendor.contact_requested", "vendor.change_approved"]


def test_rejected_contact_never_notified(world: World) -> None:
    pending = actions.add_contact(world.vendor_org, "attacker@evil.test", by=world.vendor)
    rejected = actions.reject_change(pending, by=world.analyst)
    assert rejected.status == "rejected" and rejected.pending_change is None
    assert emails(world.vendor_org) == []
    with pytest.raises(RuleViolation) as exc:
        actions.approve_change(rejected, by=world.analyst)
    assert exc.value.rule == "pending-change-only"
    # The vendor admin may dismiss the rejected request.
    assert actions.remove_contact(rejected, by=world.vendor) is None
    assert not Contact.objects.filter(pk=rejected.pk).exists()


def test_changing_an_address_keeps_the_old_one_until_approved(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", role="to", by=world.analyst)
    edit = actions.update_contact(contact, email="new@vendor-one.test", role="cc", by=world.vendor)
    assert edit.pk != contact.pk and edit.status == "pending" and edit.replaces_id == contact.pk
    assert edit.pending_change == "update"
    assert emails(world.vendor_org) == ["psirt@vendor-one.test"]
    # A second request replaces the first pending edit instead of piling up.
    again = actions.update_contact(contact, email="newer@vendor-one.test", role="to", by=world.vendor)
    assert again.pk == edit.pk and again.email == "newer@vendor-one.test"

    actions.approve_change(again, by=world.analyst)
    contacts = notification_contacts(world.vendor_org)
    assert [(c.email, c.role) for c in contacts] == [("newer@vendor-one.test", "to")]
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_changing_only_the_role_is_pending_and_name_is_not(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", role="to", by=world.analyst)
    renamed = actions.update_contact(contact, name="PSIRT desk", by=world.vendor)
    assert renamed.pk == contact.pk and renamed.name == "PSIRT desk" and renamed.status == "active"
    edit = actions.update_contact(contact, role="cc", by=world.vendor)
    assert edit.status == "pending" and edit.role == "cc"
    assert notification_contacts(world.vendor_org)[0].role == "to"
    # Approving replaces the row even though the address is the same.
    actions.approve_change(edit, by=world.analyst)
    assert [(c.email, c.role) for c in notification_contacts(world.vendor_org)] == [
        ("psirt@vendor-one.test", "cc")
    ]


def test_removal_by_a_vendor_admin_waits_for_approval(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    left = actions.remove_contact(contact, by=world.vendor, reason="The desk closed.")
    assert left is not None and left.pending_change == "remove" and left.status == "active"
    assert emails(world.vendor_org) == ["psirt@vendor-one.test"]
    actions.reject_change(left, by=world.analyst)
    contact.refresh_from_db()
    assert contact.removal_requested_at is None and contact.status == "active"
    actions.remove_contact(contact, by=world.vendor, reason="The desk closed.")
    assert actions.approve_change(contact, by=world.analyst) is None
    assert emails(world.vendor_org) == []


def test_analyst_edits_and_removals_are_immediate(world: World) -> None:
    contact = actions.add_contact(world.vendor_org, "psirt@vendor-one.test", by=world.analyst)
    changed = actions.update_contact(contact, email="desk@vendor-one.test", role="cc", by=world.analyst)
    assert changed.pk == contact.pk and (changed.email, changed.role, changed.status) == (
        "desk@vendor-one.test",
        "cc",
        "active",
    )
    assert actions.remove_contact(changed, by=world.analyst, reason="Bounces.") is None
    assert emails(world.vendor_org) == []


def test_contacts_cc_and_to_both_notified_to_first(world: World) -> None:
    actions.add_contact(world.vendor_org, "a-cc@vendor-one.test", role="cc", by=world.analyst)
    actions.add_contact(world.vendor_org, "z-to@vendor-one.test", role="to", by=world.analyst)
    assert emails(world.vendor_org) == ["z-to@vendor-one.test", "a-cc@vendor-one.test"]


def test_contact_input_is_checked(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.add_contact(world.vendor_org, "not an address", by=world.analyst)
    assert exc.value.field == "email"
    with pytest.raises(InvalidInput) as exc:
        actions.add_contact(world.vendor_org, "a@vendor-one.test", role="bcc", by=world.analyst)
    assert exc.value.field == "role"
    actions.add_contact(world.vendor_org, "a@vendor-one.test", by=world.analyst)
    with pytest.raises(InvalidInput, match="already a contact"):
        actions.add_contact(world.vendor_org, "A@vendor-one.test", by=world.vendor)
    actions.add_contact(world.vendor_org, "b@vendor-one.test", by=world.vendor)
    with pytest.raises(InvalidInput, match="waiting"):
        actions.add_contact(world.vendor_org, "b@vendor-one.test", by=world.vendor)
    assert Contact.objects.count() == 2


def test_only_the_vendors_admins_and_analysts_edit(world: World) -> None:
    member = make_user("member@vendor-one.test", org=world.vendor_org, role="member")
    for user in (member, world.other_vendor, world.outsider, world.reporter):
        with pytest.raises(RuleViolation) as exc:
            actions.add_contact(world.vendor_org, "x@vendor-one.test", by=user)
        assert exc.value.rule == "vendor-admin-edits-directory"
    pending = actions.add_contact(world.vendor_org, "x@vendor-one.test", by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.approve_change(pending, by=world.vendor)
    with pytest.raises(RuleViolation):
        actions.add_contact(world.coordinator, "x@coordinator.test", by=world.analyst)


# --- Profile ----------------------------------------------------------------------------------------------


def test_profile_by_analyst_and_by_vendor_admin(world: World) -> None:
    profile = actions.set_profile(
        world.vendor_org,
        website="vendor-one.test",
        phones="+1 555 0100",
        notes="Prefers phone calls.",
        require_encryption=True,
        by=world.analyst,
    )
    assert profile.website == "https://vendor-one.test" and profile.require_encryption
    event = AuditEvent.objects.filter(kind="vendor.profile_changed").get()
    assert event.data["changes"]["notes"] == "changed"  # the notes' text is not copied into the log
    actions.set_profile(world.vendor_org, tracking_prefix="V1-", by=world.vendor)
    with pytest.raises(RuleViolation) as exc:
        actions.set_profile(world.vendor_org, notes="hello", by=world.vendor)
    assert exc.value.rule == "analysts-keep-notes"
    with pytest.raises(RuleViolation) as exc:
        actions.set_profile(world.vendor_org, require_encryption=False, by=world.vendor)
    assert exc.value.rule == "analyst-lowers-encryption-policy"
    with pytest.raises(InvalidInput) as exc:
        actions.set_profile(world.vendor_org, security_txt_url="http://vendor-one.test/x", by=world.analyst)
    assert exc.value.field == "security_txt_url"
    assert VendorProfile.objects.get(organization=world.vendor_org).tracking_prefix == "V1-"


# --- Keys ------------------------------------------------------------------------------------------------


def test_analyst_uploads_a_key_pinned_by_fingerprint(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    key = actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    assert key.fingerprint == keys.good_fpr and key.status == "active"
    assert key.user_ids == ["Vendor One PSIRT <psirt@vendor-one.test>"]
    assert key.algorithm and key.can_encrypt and key.can_sign and key.flags == []
    assert key.expires_at is None and key.key_created_at is not None
    assert [k.fingerprint for k in pinned_keys(world.vendor_org)] == [keys.good_fpr]
    assert [k.fingerprint for k in encryption_keys(world.vendor_org)] == [keys.good_fpr]


def test_reupload_refreshes_armour_but_never_the_fingerprint(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    key = actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    # A vendor admin refreshing a pinned key (a new expiry) takes effect: same fingerprint.
    renewed = actions.upload_key(world.vendor_org, keys.good_renewed, by=world.vendor)
    assert renewed.pk == key.pk and renewed.fingerprint == keys.good_fpr and renewed.status == "active"
    assert renewed.expires_at is not None and renewed.armored != key.armored
    assert PublicKey.objects.filter(organization=world.vendor_org).count() == 1


def test_vendor_admins_key_is_pending_until_approved(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    key = actions.upload_key(world.vendor_org, keys.other, by=world.vendor)
    assert key.status == "pending" and key.pending_change == "add"
    assert pinned_keys(world.vendor_org) == []
    actions.approve_change(key, by=world.analyst)
    assert [k.fingerprint for k in pinned_keys(world.vendor_org)] == [keys.other_fpr]
    # Removal by the vendor admin waits too.
    left = actions.remove_key(key, by=world.vendor)
    assert left is not None and left.pending_change == "remove"
    assert len(pinned_keys(world.vendor_org)) == 1
    assert actions.approve_change(left, by=world.analyst) is None
    assert pinned_keys(world.vendor_org) == []


def test_rejected_key_is_not_pinned_and_can_be_requested_again(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    key = actions.upload_key(world.vendor_org, keys.other, by=world.vendor)
    actions.reject_change(key, by=world.analyst)
    assert PublicKey.objects.get(pk=key.pk).status == "rejected" and pinned_keys(world.vendor_org) == []
    again = actions.upload_key(world.vendor_org, keys.other, by=world.vendor)
    assert again.pk == key.pk and again.status == "pending"


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("expired", ["expired", "cannot encrypt"]),
        ("revoked", ["revoked", "cannot encrypt"]),
        ("weak", ["weak"]),
    ],
)
def test_flagged_keys_are_stored_with_visible_flags(world: World, keys, name, flags) -> None:  # type: ignore[no-untyped-def]
    key = actions.upload_key(world.vendor_org, getattr(keys, name), by=world.analyst)
    assert key.flags == flags
    assert key.status == "active" and key.problems
    # Pinned (signatures are still checked against it) but not used to encrypt unless merely weak.
    assert [k.pk for k in pinned_keys(world.vendor_org)] == [key.pk]
    assert bool(encryption_keys(world.vendor_org)) is (name == "weak")


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("broken", "not a usable OpenPGP public key"),
        ("sign_only", "This key cannot encrypt: add an encryption subkey"),
        ("secret", "secret (private) key"),
        ("empty", "Paste or upload"),
    ],
)
def test_bad_keys_are_refused_and_nothing_is_stored(world: World, keys, attribute, message) -> None:  # type: ignore[no-untyped-def]
    data = {
        "broken": keys.good.replace("A", "B", 40),
        "empty": "   ",
    }.get(attribute) or getattr(keys, attribute)
    before = AuditEvent.objects.count()
    for user in (world.analyst, world.vendor):
        with pytest.raises(InvalidInput) as exc:
            actions.upload_key(world.vendor_org, data, by=user)
        assert exc.value.field == "armored" and message in exc.value.message
    assert PublicKey.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_revocation_cannot_be_undone_by_an_older_upload(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    from accord.lib import openpgp

    revoked = actions.upload_key(world.vendor_org, keys.revoked, by=world.analyst)
    info = openpgp.inspect_key(keys.revoked)
    unrevoked = type(info)(**{**info.__dict__, "revoked": False, "can_encrypt": True})
    with pytest.raises(InvalidInput, match="revoked"):
        actions.upload_key(world.vendor_org, keys.revoked, by=world.vendor, info=unrevoked)
    revoked.refresh_from_db()
    assert revoked.revoked


def test_the_same_key_may_be_pinned_for_two_organisations(world: World, keys) -> None:  # type: ignore[no-untyped-def]
    actions.upload_key(world.vendor_org, keys.good, by=world.analyst)
    actions.upload_key(world.other_vendor_org, keys.good, by=world.analyst)
    assert PublicKey.objects.filter(fingerprint=keys.good_fpr).count() == 2


def test_create_vendor(world: World) -> None:
    org = actions.create_vendor(
        "Acme Corp", website="https://acme.test", require_encryption=True, by=world.analyst
    )
    assert org.kind == "vendor" and VendorProfile.objects.get(organization=org).require_encryption
    with pytest.raises(InvalidInput):
        actions.create_vendor("acme corp", by=world.analyst)
    with pytest.raises(RuleViolation):
        actions.create_vendor("Evil", by=world.vendor)
