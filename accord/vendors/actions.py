"""Every state change of the vendor directory: profiles, contacts, keys, approvals, imports.

Each action is atomic, checks its rule, saves, and writes one audit event on the
organisation (accord.core.audit), so the vendor's page shows its history.

Who may do what:
- analysts change any vendor's entry, and their changes take effect at once;
- a vendor's admins change their own organisation's entry, but a change to where
  notifications go (adding a contact, changing a contact's address or role, removing a
  contact, adding or removing a key) stays PENDING until an analyst approves it, so a
  hijacked vendor account cannot redirect notifications;
- `by=SYSTEM` is Accord itself (imports and management commands at the console), which
  acts as an analyst.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone

from accord.accounts import actions as account_actions
from accord.accounts.models import Organization
from accord.core import audit
from accord.core.actors import is_system, person
from accord.lib import openpgp
from accord.lib.errors import InvalidInput, RuleViolation, storable
from accord.lib.reasons import REASON_MAX, required_reason
from accord.vendors.models import ChangeStatus, Contact, PublicKey, VendorProfile
from accord.vendors.queries import is_vendor_admin

ACTIVE = ChangeStatus.ACTIVE
PENDING = ChangeStatus.PENDING
REJECTED = ChangeStatus.REJECTED

MAX_KEY_BYTES = 1024 * 1024
MAX_PHONES = 2000
MAX_NOTES = 20000
MAX_URL = 500
PROFILE_FIELDS = ("website", "security_txt_url", "phones", "notes", "require_encryption", "tracking_prefix")


# --- Rules ---------------------------------------------------------------------------------------


def _is_analyst(by: Any) -> bool:
    return is_system(by) or bool(getattr(by, "is_analyst", False))


def _require_editor(org: Organization, by: Any) -> bool:
    """True for an analyst (immediate changes), False for a vendor admin (pending changes)."""
    if org.kind != Organization.Kind.VENDOR:
        raise RuleViolation("vendors-only", f"{org.name} is not a vendor organisation.")
    if _is_analyst(by):
        return True
    if is_vendor_admin(by, org):
        return False
    raise RuleViolation(
        "vendor-admin-edits-directory",
        "Only the organisation's admins or an analyst can change its directory entry.",
    )


def _require_analyst(by: Any, what: str) -> None:
    if not _is_analyst(by):
        raise RuleViolation("analyst-approves-directory-changes", f"Only an analyst can {what}.")


# --- Cleaning input (shared with the import) ---------------------------------------------------------


def clean_email(value: Any) -> str:
    email = str(value or "").strip().lower()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            "email", f"{email or 'An empty value'!r} is not an email address such as security@example.com."
        )
    return email


def clean_role(value: Any) -> str:
    role = str(value or "").strip().lower()
    if role not in Contact.Role.values:
        raise InvalidInput("role", f"A contact's role is 'to' or 'cc', not {role!r}.")
    return role


_no_nul = storable  # NUL characters and lone surrogates are refused, naming the field


def clean_name(value: Any, field: str = "name", limit: int = 200) -> str:
    name = _no_nul(" ".join(str(value or "").split()), field)
    if len(name) > limit:
        raise InvalidInput(field, f"At most {limit} characters.")
    return name


def _clean_url(value: Any, field: str, schemes: Sequence[str], example: str) -> str:
    url = _no_nul(str(value or "").strip(), field)
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    if len(url) > MAX_URL:
        raise InvalidInput(field, f"A URL has at most {MAX_URL} characters.")
    try:
        URLValidator(schemes=list(schemes))(url)
    except ValidationError:
        raise InvalidInput(field, f"{url!r} is not a {' or '.join(schemes)} URL such as {example}.")
    return url


def clean_website(value: Any) -> str:
    return _clean_url(value, "website", ("https", "http"), "https://example.com")


def clean_security_txt_url(value: Any) -> str:
    return _clean_url(value, "security_txt_url", ("https",), "https://example.com/.well-known/security.txt")


def clean_text(value: Any, field: str, limit: int) -> str:
    text = _no_nul(str(value or "").replace("\r\n", "\n").strip(), field)
    if len(text) > limit:
        raise InvalidInput(field, f"At most {limit} characters.")
    return text


def clean_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("", "0", "false", "no", "n", "off"):
        return False
    raise InvalidInput(field, f"{value!r} is not true or false (use true/false, yes/no or 1/0).")


_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._#/-]{0,31}$")


def clean_tracking_prefix(value: Any) -> str:
    prefix = str(value or "").strip()
    if prefix and not _PREFIX.match(prefix):
        raise InvalidInput(
            "tracking_prefix", "Up to 32 letters, digits and . _ - # /, starting with a letter or digit."
        )
    return prefix


def clean_profile(changes: dict[str, Any]) -> dict[str, Any]:
    cleaners: dict[str, Callable[[Any], Any]] = {
        "website": clean_website,
        "security_txt_url": clean_security_txt_url,
        "phones": lambda v: clean_text(v, "phones", MAX_PHONES),
        "notes": lambda v: clean_text(v, "notes", MAX_NOTES),
        "require_encryption": lambda v: clean_bool(v, "require_encryption"),
        "tracking_prefix": clean_tracking_prefix,
    }
    unknown = set(changes) - set(cleaners)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "This is not a field of a vendor's profile.")
    return {name: cleaners[name](value) for name, value in changes.items()}


# --- Keys: parsing through the one OpenPGP module ----------------------------------------------------------

_SECRET_ARMOR = re.compile(r"-----BEGIN PGP (PRIVATE|SECRET) KEY BLOCK-----")


def _looks_secret(data: str | bytes) -> bool:
    if isinstance(data, bytes):
        if data[:1] and data[0] in (0x94, 0x95, 0x96, 0x97, 0xC5):  # packet tag 5: secret key
            return True
        data = data.decode("latin-1")
    return bool(_SECRET_ARMOR.search(data))


def inspect_public_key(data: str | bytes) -> openpgp.KeyInfo:
    """Parse an uploaded key, refusing what cannot serve as a vendor's pinned key.

    Expired, revoked and weak keys are accepted and flagged; a key that cannot encrypt
    (and is not merely expired or revoked) and a secret key are refused.
    """
    if not data or not (data.strip() if isinstance(data, str) else data.strip(b" \r\n\t")):
        raise InvalidInput("armored", "Paste or upload an OpenPGP public key.")
    if isinstance(data, str):
        _no_nul(data.replace("\x00", ""), "armored")  # lone surrogates cannot reach gpg
    if len(data) > MAX_KEY_BYTES:
        raise InvalidInput("armored", f"A key has at most {MAX_KEY_BYTES // 1024} KiB.")
    if _looks_secret(data):
        raise InvalidInput(
            "armored",
            "This is a secret (private) key: it was not stored. Upload only the public key "
            "(gpg --armor --export FINGERPRINT), and consider the secret key exposed.",
        )
    try:
        info = openpgp.inspect_key(data)
    except openpgp.OpenPGPError as exc:
        raise InvalidInput("armored", f"This is not a usable OpenPGP public key: {exc}")
    if not info.can_encrypt and not (info.revoked or info.expired):
        raise InvalidInput("armored", "This key cannot encrypt: add an encryption subkey")
    return info


# --- Profile -------------------------------------------------------------------------------------------


@transaction.atomic
def create_vendor(name: str, *, by: Any, **profile: Any) -> Organization:
    """A new vendor organisation in the directory, with its profile (analysts)."""
    _require_analyst(by, "add a vendor to the directory")
    cleaned = clean_profile(profile)
    org = account_actions.create_organization(name, Organization.Kind.VENDOR, by=by)
    if cleaned:
        set_profile(org, by=by, **cleaned)
    return org


@transaction.atomic
def set_profile(org: Organization, *, by: Any, **changes: Any) -> VendorProfile:
    is_analyst = _require_editor(org, by)
    cleaned = clean_profile(changes)
    profile, _ = VendorProfile.objects.select_for_update().get_or_create(organization=org)
    if not is_analyst:
        if "notes" in cleaned and cleaned["notes"] != profile.notes:
            raise RuleViolation("analysts-keep-notes", "Only analysts see and edit the notes.")
        if profile.require_encryption and cleaned.get("require_encryption") is False:
            raise RuleViolation(
                "analyst-lowers-encryption-policy",
                "Only an analyst can turn off 'require encryption'; ask the coordinator.",
            )
    changed = {name: value for name, value in cleaned.items() if getattr(profile, name) != value}
    if not changed:
        return profile
    record: dict[str, Any] = {}
    for name, value in changed.items():
        # The notes' text stays on the profile; the timeline only says they changed.
        record[name] = "changed" if name == "notes" else {"old": getattr(profile, name), "new": value}
        setattr(profile, name, value)
    profile.save()
    audit.record(by, "vendor.profile_changed", org, changes=record)
    return profile


# --- Contacts -----------------------------------------------------------------------------------------


def _address_taken(org: Organization, email: str, *, ignore: Sequence[int] = ()) -> None:
    if Contact.objects.filter(organization=org, email=email, status=ACTIVE).exclude(pk__in=ignore).exists():
        raise InvalidInput("email", f"{email} is already a contact of {org.name}.")
    pending = Contact.objects.filter(organization=org, email=email, status=PENDING).exclude(pk__in=ignore)
    if pending.exists():
        raise InvalidInput("email", f"A change to {email} is already waiting for an analyst's approval.")


def _contact_data(contact: Contact) -> dict[str, Any]:
    return {"contact": contact.pk, "email": contact.email, "role": contact.role, "name": contact.name}


@transaction.atomic
def add_contact(org: Organization, email: str, *, role: str = "to", name: str = "", by: Any) -> Contact:
    """A new contact: active at once for an analyst, pending approval for a vendor admin."""
    is_analyst = _require_editor(org, by)
    email, role, name = clean_email(email), clean_role(role), clean_name(name)
    _address_taken(org, email)
    now = timezone.now()
    contact = Contact.objects.create(
        organization=org,
        email=email,
        name=name,
        role=role,
        status=ACTIVE if is_analyst else PENDING,
        requested_by=person(by),
        approved_by=person(by) if is_analyst else None,
        decided_at=now if is_analyst else None,
    )
    audit.record(
        by,
        "vendor.contact_added" if is_analyst else "vendor.contact_requested",
        org,
        **_contact_data(contact),
    )
    return contact


@transaction.atomic
def update_contact(
    contact: Contact,
    *,
    by: Any,
    email: str | None = None,
    role: str | None = None,
    name: str | None = None,
) -> Contact:
    """Change a contact. A vendor admin's change of address or role makes a pending edit.

    Returns the contact as it now is, or the pending edit that will replace it.
    """
    org = contact.organization
    is_analyst = _require_editor(org, by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    new_email = contact.email if email is None else clean_email(email)
    new_role = contact.role if role is None else clean_role(role)
    new_name = contact.name if name is None else clean_name(name)
    old = _contact_data(contact)
    if contact.status == REJECTED:
        raise RuleViolation("rejected-request-is-final", "This request was rejected: make a new one.")
    address_change = (new_email, new_role) != (contact.email, contact.role)
    if contact.status == ACTIVE and address_change and not is_analyst:
        edit = contact.pending_edits.filter(status=PENDING).first()
        _address_taken(org, new_email, ignore=[contact.pk, *([edit.pk] if edit else [])])
        if edit is None:
            edit = Contact(organization=org, replaces=contact, status=PENDING)
        edit.email, edit.role, edit.name, edit.requested_by = new_email, new_role, new_name, by
        edit.save()
        audit.record(by, "vendor.contact_change_requested", org, old=old, new=_contact_data(edit))
        return edit
    if new_email != contact.email:
        _address_taken(org, new_email, ignore=[contact.pk])
    if (new_email, new_role, new_name) == (contact.email, contact.role, contact.name):
        return contact
    contact.email, contact.role, contact.name = new_email, new_role, new_name
    contact.save()
    kind = "vendor.contact_changed" if contact.status == ACTIVE else "vendor.contact_request_changed"
    audit.record(by, kind, org, old=old, new=_contact_data(contact))
    return contact


@transaction.atomic
def remove_contact(contact: Contact, *, by: Any, reason: str = "") -> Contact | None:
    """Remove a contact. A vendor admin's removal of an active contact waits for approval.

    Returns None when the contact is gone, or the contact marked "removal pending".
    Removing an active contact (or asking to) needs a reason, kept in the vendor's history:
    notifications stop reaching the address. Withdrawing a pending or rejected request is
    immediate for everyone and needs none.
    """
    org = contact.organization
    is_analyst = _require_editor(org, by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.status != ACTIVE:
        given = {"reason": reason.strip()[:REASON_MAX]} if isinstance(reason, str) and reason.strip() else {}
        audit.record(by, "vendor.contact_request_withdrawn", org, **_contact_data(contact), **given)
        contact.delete()
        return None
    if not is_analyst and contact.removal_requested_at is not None:
        return contact  # asked already: the request waits for an analyst
    why = required_reason(reason, "to remove this contact")
    if not is_analyst:
        contact.removal_requested_at = timezone.now()
        contact.removal_requested_by = person(by)
        contact.save(update_fields=["removal_requested_at", "removal_requested_by", "updated_at"])
        audit.record(by, "vendor.contact_removal_requested", org, **_contact_data(contact), reason=why)
        return contact
    audit.record(by, "vendor.contact_removed", org, **_contact_data(contact), reason=why)
    contact.delete()
    return None


# --- Keys ------------------------------------------------------------------------------------------------


def _key_fields(info: openpgp.KeyInfo) -> dict[str, Any]:
    return {
        "armored": info.armored,
        "user_ids": list(info.user_ids),
        "algorithm": info.algorithm or "",
        "bits": info.bits,
        "key_created_at": info.created_at,
        "expires_at": info.expires_at,
        "revoked": bool(info.revoked),
        "can_encrypt": bool(info.can_encrypt),
        "can_sign": bool(info.can_sign),
        "weak": bool(info.weak),
        "problems": list(info.problems),
    }


def _key_data(key: PublicKey) -> dict[str, Any]:
    return {"key": key.pk, "fingerprint": key.fingerprint, "flags": key.flags}


def upload_key(
    org: Organization, armored: str | bytes, *, by: Any, info: openpgp.KeyInfo | None = None
) -> PublicKey:
    """Pin a public key by its fingerprint (pending approval when a vendor admin uploads it).

    Uploading a fingerprint the organisation already has refreshes its stored armour
    (a new expiry, new subkeys) and never changes the pinned fingerprint. Refreshing
    cannot undo a revocation Accord has seen. `info` is a key already inspected by
    `inspect_public_key` (the import checks every key before writing anything). gpg runs
    here, before the transaction that pins the key, never inside it.
    """
    _require_editor(org, by)
    return _pin_key(org, info or inspect_public_key(armored), by=by)


@transaction.atomic
def _pin_key(org: Organization, info: openpgp.KeyInfo, *, by: Any) -> PublicKey:
    is_analyst = _require_editor(org, by)
    fields = _key_fields(info)
    now = timezone.now()
    key = PublicKey.objects.select_for_update().filter(organization=org, fingerprint=info.fingerprint).first()
    if key is None:
        key = PublicKey.objects.create(
            organization=org,
            fingerprint=info.fingerprint,
            status=ACTIVE if is_analyst else PENDING,
            uploaded_by=person(by),
            approved_by=person(by) if is_analyst else None,
            decided_at=now if is_analyst else None,
            **fields,
        )
        kind = "vendor.key_added" if is_analyst else "vendor.key_requested"
        audit.record(by, kind, org, **_key_data(key), user_ids=key.user_ids)
        return key
    if key.revoked and not info.revoked:
        raise InvalidInput(
            "armored",
            f"Key {info.fingerprint} is revoked; an upload without its revocation cannot undo that.",
        )
    for name, value in fields.items():
        setattr(key, name, value)
    if key.status == REJECTED or (key.status == PENDING and is_analyst):
        key.status = ACTIVE if is_analyst else PENDING
        key.uploaded_by = person(by)
        key.approved_by = person(by) if is_analyst else None
        key.decided_at = now if is_analyst else None
    key.save()
    audit.record(by, "vendor.key_refreshed", org, **_key_data(key), status=key.status)
    return key


@transaction.atomic
def remove_key(key: PublicKey, *, by: Any) -> PublicKey | None:
    """Unpin a key: at once for an analyst; a vendor admin's removal of an active key waits for approval."""
    org = key.organization
    is_analyst = _require_editor(org, by)
    key = PublicKey.objects.select_for_update().get(pk=key.pk)
    if key.status == ACTIVE and not is_analyst:
        if key.removal_requested_at is None:
            key.removal_requested_at = timezone.now()
            key.removal_requested_by = person(by)
            key.save(update_fields=["removal_requested_at", "removal_requested_by", "updated_at"])
            audit.record(by, "vendor.key_removal_requested", org, **_key_data(key))
        return key
    kind = "vendor.key_removed" if key.status == ACTIVE else "vendor.key_request_withdrawn"
    audit.record(by, kind, org, **_key_data(key))
    key.delete()
    return None


# --- Approving and rejecting pending changes ----------------------------------------------------------------


def _locked(item: Contact | PublicKey) -> Contact | PublicKey:
    model = type(item)
    return model.objects.select_for_update().select_related("organization").get(pk=item.pk)


def _describe(item: Contact | PublicKey) -> dict[str, Any]:
    return _contact_data(item) if isinstance(item, Contact) else _key_data(item)


@transaction.atomic
def approve_change(item: Contact | PublicKey, *, by: Any) -> Contact | PublicKey | None:
    """Apply a vendor admin's pending change. Returns the active row, or None for a removal."""
    _require_analyst(by, "approve a vendor's change")
    item = _locked(item)
    org = item.organization
    change = item.pending_change
    if change is None:
        raise RuleViolation("pending-change-only", "There is no pending change to approve here.")
    data = {"change": change, **_describe(item)}
    if change == "remove":
        audit.record(by, "vendor.change_approved", org, **data)
        item.delete()
        return None
    if isinstance(item, Contact):
        replaced = item.replaces
        clash = Contact.objects.filter(organization=org, email=item.email, status=ACTIVE)
        if replaced is not None:
            clash = clash.exclude(pk=replaced.pk)
        if clash.exists():
            raise RuleViolation(
                "one-active-contact-per-address", f"{item.email} is already an active contact of {org.name}."
            )
        if replaced is not None:
            data["replaces"] = _contact_data(replaced)
            item.replaces = None
            item.save(update_fields=["replaces"])
            replaced.delete()
    item.status = ACTIVE
    item.approved_by = person(by)
    item.decided_at = timezone.now()
    item.save()
    audit.record(by, "vendor.change_approved", org, **data)
    return item


@transaction.atomic
def reject_change(item: Contact | PublicKey, *, by: Any) -> Contact | PublicKey:
    """Refuse a pending change: a pending row becomes rejected; a pending removal is dropped."""
    _require_analyst(by, "reject a vendor's change")
    item = _locked(item)
    change = item.pending_change
    if change is None:
        raise RuleViolation("pending-change-only", "There is no pending change to reject here.")
    data = {"change": change, **_describe(item)}
    if change == "remove":
        item.removal_requested_at = None
        item.removal_requested_by = None
    else:
        item.status = REJECTED
        item.decided_at = timezone.now()
    item.save()
    audit.record(by, "vendor.change_rejected", item.organization, **data)
    return item


# --- Import -----------------------------------------------------------------------------------------------


@dataclass
class VendorRecord:
    """One checked row of an import: only the columns the file has are set."""

    name: str
    where: str
    profile: dict[str, Any] = field(default_factory=dict)
    contacts: list[tuple[str, str, str]] | None = None  # (email, role, name); None: column absent
    keys: list[openpgp.KeyInfo] | None = None
    existing: Organization | None = None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    dry_run: bool = False


class ImportRowError(Exception):
    """A record could not be written (found only while writing); the whole import is undone."""

    def __init__(self, where: str, field: str, message: str):
        super().__init__(f"{where}, {field}: {message}")
        self.where, self.field, self.message = where, field, message


# The reason the directory import gives for a contact its file no longer lists.
IMPORT_REMOVAL_REASON = "Not in the imported directory file."


def _sync_contacts(org: Organization, wanted: list[tuple[str, str, str]], *, by: Any) -> None:
    """Make the active contacts exactly `wanted`.

    A vendor admin's pending request to add a listed address is approved (the importer's
    word is an analyst's); other pending requests stay for review.
    """
    current = {c.email: c for c in Contact.objects.filter(organization=org, status=ACTIVE)}
    for email, role, name in wanted:
        contact = current.pop(email, None)
        if contact is None:
            asked = Contact.objects.filter(
                organization=org, email=email, status=PENDING, replaces=None
            ).first()
            if asked is None:
                add_contact(org, email, role=role, name=name, by=by)
                continue
            approved = approve_change(asked, by=by)
            assert isinstance(approved, Contact)
            contact = approved
        if (contact.role, contact.name) != (role, name or contact.name):
            update_contact(contact, role=role, name=name or contact.name, by=by)
    for contact in current.values():
        remove_contact(contact, by=by, reason=IMPORT_REMOVAL_REASON)


@transaction.atomic
def import_vendors(
    records: list[VendorRecord],
    *,
    by: Any,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write checked records, all or nothing (analysts, or the operator at the console).

    Organisations are matched by name (case-insensitively); unmatched ones are created.
    Present columns set the profile; listed contacts become the active contacts; listed
    keys are added or refreshed (an import never unpins a key).
    """
    _require_analyst(by, "import the vendor directory")
    result = ImportResult()
    total = len(records)
    for index, record in enumerate(records, start=1):
        org = record.existing
        if org is None:
            org = account_actions.create_organization(record.name, Organization.Kind.VENDOR, by=by)
            result.created += 1
        else:
            result.updated += 1
        try:
            if record.profile:
                set_profile(org, by=by, **record.profile)
            if record.contacts is not None:
                _sync_contacts(org, record.contacts, by=by)
            for info in record.keys or []:
                upload_key(org, info.armored, by=by, info=info)
        except (InvalidInput, RuleViolation) as exc:
            field = exc.field if isinstance(exc, InvalidInput) else "name"
            field = {"email": "contacts", "role": "contacts", "name": "contacts", "armored": "keys"}.get(
                field, field
            )
            raise ImportRowError(record.where, field, exc.message)
        if progress is not None:
            progress(index, total)
    return result
