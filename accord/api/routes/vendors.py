"""The vendor directory: profiles, contacts, pinned keys, pending changes, import/export, discovery.

Analysts reach every vendor, and their changes take effect at once. A vendor's own
admins reach only their organisation (anyone else gets the 404 of a missing one); their
changes to contacts and keys wait for an analyst's approval (`pending_change` says what
approving would do). Every change goes through accord.vendors.actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from accord.accounts.models import Organization, User
from accord.api.auth import rule
from accord.api.base import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    _decode,
    _encode,
    check_if_match,
    etag_of,
    paginate,
    set_etag,
)
from accord.api.errors import ApiError
from accord.api.schemas import Error, Instant, OrganizationRef, ReasonRequired, page_of
from accord.vendors import actions, directory_io, discovery
from accord.vendors.models import Contact, PublicKey
from accord.vendors.queries import (
    access_contact,
    access_key,
    access_pending,
    access_vendor,
    pending_contacts,
    pending_keys,
    profile_of,
    profile_or_none,
    requested_at,
    search_vendors,
    vendors_visible_to,
    with_directory_columns,
)

router = Router(tags=["vendors"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Schemas -----------------------------------------------------------------------------------------


class ContactOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    status: str = Field(description="active, pending (waiting for an analyst) or rejected")
    pending_change: Literal["add", "update", "remove"] | None = Field(
        description="What approving would do; null when nothing waits"
    )
    replaces: int | None = Field(description="The active contact a pending edit replaces")
    bouncing_since: Instant | None = Field(
        description="Since when mail to this address bounces (a delivery status notification said so)"
    )
    bounce_reason: str = Field(description="What the last bounce said; empty when it does not bounce")
    created_at: Instant
    updated_at: Instant


class KeyOut(BaseModel):
    id: int
    fingerprint: str
    user_ids: list[str]
    algorithm: str
    bits: int | None
    key_created_at: Instant | None
    expires_at: Instant | None
    revoked: bool
    expired: bool
    weak: bool
    can_encrypt: bool
    can_sign: bool
    flags: list[str] = Field(description="revoked, expired, weak, cannot encrypt")
    problems: list[str]
    status: str
    pending_change: Literal["add", "remove"] | None
    uploaded_at: Instant
    armored: str


class VendorSummary(BaseModel):
    id: int
    name: str
    website: str
    require_encryption: bool
    contacts: int = Field(description="Active contacts")
    keys: int = Field(description="Active keys")
    pending_changes: int


class VendorOut(BaseModel):
    id: int
    name: str
    website: str
    security_txt_url: str
    phones: str
    tracking_prefix: str
    require_encryption: bool
    notes: str | None = Field(description="Coordinator staff only; null for everyone else")
    contacts: list[ContactOut]
    keys: list[KeyOut]
    created_at: Instant


class ProfileFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    website: str | None = Field(default=None, max_length=500)
    security_txt_url: str | None = Field(default=None, max_length=500)
    phones: str | None = Field(default=None, max_length=actions.MAX_PHONES)
    tracking_prefix: str | None = Field(default=None, max_length=32)
    require_encryption: bool | None = None
    notes: str | None = Field(default=None, max_length=actions.MAX_NOTES, description="Analysts only")


class VendorCreate(ProfileFields):
    name: str = Field(min_length=1, max_length=200)


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    role: Literal["to", "cc"] = "to"
    name: str = Field(default="", max_length=200)


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, min_length=3, max_length=254)
    role: Literal["to", "cc"] | None = None
    name: str | None = Field(default=None, max_length=200)


class KeyUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    armored: str | None = Field(
        default=None, max_length=actions.MAX_KEY_BYTES, description="An ASCII-armoured public key"
    )
    url: str | None = Field(
        default=None,
        max_length=500,
        description="Analysts: fetch the key from this https URL (a security.txt Encryption: URL)",
    )


class PendingOut(BaseModel):
    kind: Literal["contact", "key"]
    id: int
    organization: OrganizationRef
    change: Literal["add", "update", "remove"]
    requested_at: Instant
    contact: ContactOut | None
    key: KeyOut | None


class ImportBody(BaseModel):
    """The JSON export document: {"format", "version", "vendors": [...]}."""

    model_config = ConfigDict(extra="forbid")

    format: str | None = None
    version: int | None = None
    exported_at: str | None = None
    vendors: list[Any] = Field(max_length=directory_io.MAX_ROWS)


class ImportOut(BaseModel):
    created: int
    updated: int
    dry_run: bool


class ExportContact(BaseModel):
    email: str
    role: str
    name: str


class ExportVendor(BaseModel):
    name: str
    website: str
    security_txt_url: str
    phones: str
    notes: str
    require_encryption: bool
    contacts: list[ExportContact]
    keys: list[str]


class ExportOut(BaseModel):
    format: str
    version: int
    exported_at: str
    vendors: list[ExportVendor]


class DiscoverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str = Field(min_length=1, max_length=300, description="Such as example.com")


class DiscoverOut(BaseModel):
    found: bool
    error: str | None = Field(description="Why nothing was found (404s, timeout, size, TLS)")
    url: str | None
    tried: list[str]
    contacts: list[str] = Field(description="Contact: mailto: addresses, proposed as 'to' contacts")
    other_contacts: list[str]
    encryption: list[str]
    key_urls: list[str] = Field(description="Encryption: URLs to fetch a key from (POST …/keys {url})")
    policy: list[str]
    canonical: list[str]
    expires: Instant | None
    expired: bool
    errors: list[str]
    recommendations: list[str]


# --- Serialising --------------------------------------------------------------------------------------


def contact_out(c: Contact) -> ContactOut:
    return ContactOut(
        id=c.pk,
        email=c.email,
        name=c.name,
        role=c.role,
        status=c.status,
        pending_change=c.pending_change,  # type: ignore[arg-type]
        replaces=c.replaces_id,
        bouncing_since=c.bouncing_since,
        bounce_reason=c.bounce_reason if c.bouncing_since else "",
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def key_out(k: PublicKey) -> KeyOut:
    return KeyOut(
        id=k.pk,
        fingerprint=k.fingerprint,
        user_ids=list(k.user_ids),
        algorithm=k.algorithm,
        bits=k.bits,
        key_created_at=k.key_created_at,
        expires_at=k.expires_at,
        revoked=k.revoked,
        expired=k.is_expired,
        weak=k.weak,
        can_encrypt=k.can_encrypt,
        can_sign=k.can_sign,
        flags=k.flags,
        problems=list(k.problems),
        status=k.status,
        pending_change=k.pending_change,  # type: ignore[arg-type]
        uploaded_at=k.created_at,
        armored=k.armored,
    )


def vendor_out(org: Organization, user: User) -> VendorOut:
    profile = profile_of(org)
    return VendorOut(
        id=org.pk,
        name=org.name,
        website=profile.website,
        security_txt_url=profile.security_txt_url,
        phones=profile.phones,
        tracking_prefix=profile.tracking_prefix,
        require_encryption=profile.require_encryption,
        notes=profile.notes if user.is_analyst else None,
        contacts=[contact_out(c) for c in Contact.objects.filter(organization=org)],
        keys=[key_out(k) for k in PublicKey.objects.filter(organization=org)],
        created_at=org.created_at,
    )


def summary_out(org: Any) -> VendorSummary:
    profile = profile_or_none(org)
    return VendorSummary(
        id=org.pk,
        name=org.name,
        website=profile.website if profile else "",
        require_encryption=bool(profile and profile.require_encryption),
        contacts=org.active_contacts,
        keys=org.active_keys,
        pending_changes=org.pending_changes,
    )


def pending_out(item: Contact | PublicKey) -> PendingOut:
    org = item.organization
    is_contact = isinstance(item, Contact)
    return PendingOut(
        kind="contact" if is_contact else "key",
        id=item.pk,
        organization=OrganizationRef(id=org.pk, name=org.name, kind=org.kind),
        change=item.pending_change or "add",  # type: ignore[arg-type]
        requested_at=requested_at(item),
        contact=contact_out(item) if isinstance(item, Contact) else None,
        key=key_out(item) if isinstance(item, PublicKey) else None,
    )


def _etag(org: Organization) -> str:
    profile = profile_of(org)
    stamp = profile.updated_at.isoformat() if profile.pk else "none"
    return etag_of(org, f"{org.name}:{stamp}")


# --- The directory -----------------------------------------------------------------------------------

READ = {200: VendorOut, 401: Error, 404: Error}
WRITE = {200: VendorOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


@router.get(
    "/vendors",
    response={200: page_of(VendorSummary), 400: Error, 401: Error, 403: Error},
    summary="Search the vendor directory (analysts)",
    description="`q` matches the name, a contact's email, the website or security.txt domain, "
    "or a key fingerprint (or its end).",
    auth=rule("analyst"),
)
def list_vendors(
    request: HttpRequest,
    q: str = "",
    has_key: bool | None = None,
    require_encryption: bool | None = None,
    pending: bool | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict:
    queryset = search_vendors(
        vendors_visible_to(_user(request)),
        q=q,
        has_key=has_key,
        require_encryption=require_encryption,
        pending=pending,
    )
    return paginate(
        with_directory_columns(queryset),
        ordering=("name", "id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [summary_out(org) for org in page],
    )


@router.post(
    "/vendors",
    response={201: VendorOut, 400: Error, 401: Error, 403: Error},
    summary="Add a vendor organisation to the directory (analysts)",
    auth=rule("analyst"),
)
def create_vendor(request: HttpRequest, payload: VendorCreate) -> Status[VendorOut]:
    user = _user(request)
    fields = payload.model_dump(exclude_none=True)
    name = fields.pop("name")
    org = actions.create_vendor(name, by=user, **fields)
    return Status(201, vendor_out(org, user))


@router.get(
    "/vendors/pending",
    response={200: page_of(PendingOut), 400: Error, 401: Error, 403: Error},
    summary="Vendor admins' changes waiting for approval, oldest first (analysts)",
    auth=rule("analyst"),
)
def list_pending(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict:
    # Two tables, one list ordered by (requested_at, kind, id): page through each after the
    # cursor and merge, so the query count stays fixed.
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise ApiError(
            400,
            f"limit must be between 1 and {MAX_LIMIT}.",
            [{"field": "limit", "message": f"between 1 and {MAX_LIMIT}"}],
        )
    after = None
    if cursor:
        values = _decode(cursor, 3)
        try:
            after = (dt.datetime.fromisoformat(values[0]), str(values[1]), int(values[2]))
        except (TypeError, ValueError):
            raise ApiError(400, "The cursor is not valid: use the 'next' value of an earlier page.")
    rows: list[Contact | PublicKey] = []
    for kind, queryset in (("contact", pending_contacts()), ("key", pending_keys())):
        queryset = queryset.annotate(requested=Coalesce("removal_requested_at", "created_at"))
        if after is not None:
            when, last_kind, last_id = after
            later = Q(requested__gt=when)
            if kind > last_kind:
                later |= Q(requested=when)
            elif kind == last_kind:
                later |= Q(requested=when, id__gt=last_id)
            queryset = queryset.filter(later)
        rows += list(queryset.order_by("requested", "id")[: size + 1])
    rows.sort(
        key=lambda item: (requested_at(item), "contact" if isinstance(item, Contact) else "key", item.pk)
    )
    page, more = rows[:size], len(rows) > size
    next_cursor = None
    if more:
        last = page[-1]
        kind = "contact" if isinstance(last, Contact) else "key"
        next_cursor = _encode([requested_at(last), kind, last.pk])
    return {"items": [pending_out(item) for item in page], "next": next_cursor}


@router.get(
    "/vendors/export",
    response={200: ExportOut, 401: Error, 403: Error},
    summary="The whole directory in the JSON import format, with keys (analysts)",
    auth=rule("analyst"),
)
def export_vendors(request: HttpRequest) -> dict:
    return directory_io.export_json()


@router.post(
    "/vendors/import",
    response={200: ImportOut, 400: Error, 401: Error, 403: Error},
    summary="Import vendors from the JSON export format, all or nothing (analysts)",
    description="On any problem the answer is 400 listing every one, with field names such as "
    "`vendors[3].contacts`, and nothing is imported. `dry_run=true` only checks.",
    auth=rule("analyst"),
)
def import_vendors(request: HttpRequest, payload: ImportBody, dry_run: bool = False) -> ImportOut:
    document = payload.model_dump(exclude_none=True)
    try:
        result = directory_io.import_directory(
            document, filename="request body", fmt="json", by=_user(request), dry_run=dry_run
        )
    except directory_io.DirectoryImportError as exc:
        errors = [{"field": problem.api_field(), "message": problem.message} for problem in exc.problems]
        raise ApiError(400, exc.summary, errors)
    return ImportOut(created=result.created, updated=result.updated, dry_run=result.dry_run)


@router.get(
    "/vendors/{org_id}",
    response=READ,
    summary="A vendor: profile, contacts and keys, pending ones included (ETag for If-Match)",
    auth=rule("object:organization"),
)
def get_vendor(request: HttpRequest, response: HttpResponse, org_id: int) -> VendorOut:
    user = _user(request)
    org = access_vendor(user, org_id)
    set_etag(response, _etag(org))
    return vendor_out(org, user)


@router.patch(
    "/vendors/{org_id}",
    response={**WRITE, 412: Error},
    summary="Change the profile; only the fields sent change (If-Match honoured)",
    description="Vendor admins may not set notes, nor turn off 'require encryption'.",
    auth=rule("object:organization"),
)
def patch_vendor(
    request: HttpRequest, response: HttpResponse, org_id: int, payload: ProfileFields
) -> VendorOut:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    check_if_match(request, _etag(org))
    changes = payload.model_dump(exclude_unset=True)
    changes = {
        name: ("" if value is None and name != "require_encryption" else value)
        for name, value in changes.items()
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    if changes:
        actions.set_profile(org, by=user, **changes)
    set_etag(response, _etag(org))
    return vendor_out(org, user)


# --- Contacts -----------------------------------------------------------------------------------------


@router.get(
    "/vendors/{org_id}/contacts",
    response={200: page_of(ContactOut), 400: Error, 401: Error, 404: Error},
    summary="The vendor's contacts: active, pending and rejected",
    auth=rule("object:organization"),
)
def list_contacts(
    request: HttpRequest, org_id: int, cursor: str | None = None, limit: int | None = None
) -> dict:
    org = access_vendor(_user(request), org_id)
    return paginate(
        Contact.objects.filter(organization=org),
        ordering=("id",),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [contact_out(c) for c in page],
    )


@router.post(
    "/vendors/{org_id}/contacts",
    response={201: ContactOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Add a contact (a vendor admin's waits for approval: status pending)",
    auth=rule("object:organization"),
)
def add_contact(request: HttpRequest, org_id: int, payload: ContactCreate) -> Status[ContactOut]:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    contact = actions.add_contact(org, payload.email, role=payload.role, name=payload.name, by=user)
    return Status(201, contact_out(contact))


@router.patch(
    "/vendors/{org_id}/contacts/{contact_id}",
    response={200: ContactOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Change a contact",
    description="A vendor admin's change of address or role answers the pending edit that will "
    "replace the contact once approved (`replaces` names it); the contact stays active meanwhile.",
    auth=rule("object:organization"),
)
def patch_contact(request: HttpRequest, org_id: int, contact_id: int, payload: ContactPatch) -> ContactOut:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    contact = access_contact(org, contact_id)
    result = actions.update_contact(
        contact, by=user, email=payload.email, role=payload.role, name=payload.name
    )
    return contact_out(result)


@router.delete(
    "/vendors/{org_id}/contacts/{contact_id}",
    response={202: ContactOut, 204: None, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Remove a contact (204), or for a vendor admin request its removal (202)",
    description='Body `{"reason": "…"}` (required): why, kept in the vendor\'s history. Removing an '
    "active contact stops notifications to it at once and cannot be undone (add it again instead). "
    "Withdrawing a pending or rejected request (204) records the reason too.",
    auth=rule("object:organization"),
)
def delete_contact(
    request: HttpRequest, org_id: int, contact_id: int, payload: ReasonRequired
) -> Status[Any]:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    left = actions.remove_contact(access_contact(org, contact_id), by=user, reason=payload.reason)
    return Status(204, None) if left is None else Status(202, contact_out(left))


# --- Keys ------------------------------------------------------------------------------------------------


@router.get(
    "/vendors/{org_id}/keys",
    response={200: page_of(KeyOut), 400: Error, 401: Error, 404: Error},
    summary="The vendor's OpenPGP keys, with their flags",
    auth=rule("object:organization"),
)
def list_keys(request: HttpRequest, org_id: int, cursor: str | None = None, limit: int | None = None) -> dict:
    org = access_vendor(_user(request), org_id)
    return paginate(
        PublicKey.objects.filter(organization=org),
        ordering=("id",),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [key_out(k) for k in page],
    )


@router.post(
    "/vendors/{org_id}/keys",
    response={201: KeyOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Pin an OpenPGP public key (a vendor admin's waits for approval)",
    description='Body `{"armored": "-----BEGIN PGP PUBLIC KEY BLOCK-----…"}`, or for analysts '
    '`{"url": "https://…"}`. A broken key, a secret key and a key that cannot encrypt are '
    "refused with 400; expired, revoked and weak keys are stored and flagged. Uploading a pinned "
    "fingerprint again refreshes its armour.",
    auth=rule("object:organization"),
)
def upload_key(request: HttpRequest, org_id: int, payload: KeyUpload) -> Status[KeyOut]:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    if (payload.armored is None) == (payload.url is None):
        raise ApiError(
            400,
            "Send the key as 'armored', or (analysts) a URL to fetch it from as 'url'.",
            [{"field": "armored", "message": "give exactly one of armored and url"}],
        )
    data: str | bytes
    if payload.url is not None:
        if not user.is_analyst:
            raise ApiError(403, "Only analysts may have Accord fetch a key from a URL.")
        try:
            data = discovery.fetch_key(payload.url)
        except discovery.DiscoveryError as exc:
            raise ApiError(400, exc.message, [{"field": "url", "message": exc.message}])
    else:
        data = payload.armored or ""
    return Status(201, key_out(actions.upload_key(org, data, by=user)))


@router.delete(
    "/vendors/{org_id}/keys/{key_id}",
    response={202: KeyOut, 204: None, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Unpin a key (204), or for a vendor admin request its removal (202)",
    auth=rule("object:organization"),
)
def delete_key(request: HttpRequest, org_id: int, key_id: int) -> Status[Any]:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    left = actions.remove_key(access_key(org, key_id), by=user)
    return Status(204, None) if left is None else Status(202, key_out(left))


# --- Pending changes (analysts) ------------------------------------------------------------------------


@router.post(
    "/vendors/pending/{kind}/{item_id}/approve",
    response={200: PendingOut, 204: None, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Approve a vendor admin's change (204 when it removed the item)",
    auth=rule("analyst"),
)
def approve_change(request: HttpRequest, kind: Literal["contact", "key"], item_id: int) -> Status[Any]:
    user = _user(request)
    item = access_pending(user, kind, item_id)
    change = item.pending_change
    result = actions.approve_change(item, by=user)
    if result is None:
        return Status(204, None)
    out = pending_out(result)
    out.change = change or "add"  # type: ignore[assignment]
    return Status(200, out)


@router.post(
    "/vendors/pending/{kind}/{item_id}/reject",
    response={200: PendingOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="Reject a vendor admin's change",
    auth=rule("analyst"),
)
def reject_change(request: HttpRequest, kind: Literal["contact", "key"], item_id: int) -> PendingOut:
    user = _user(request)
    item = access_pending(user, kind, item_id)
    change = item.pending_change
    out = pending_out(actions.reject_change(item, by=user))
    out.change = change or "add"  # type: ignore[assignment]
    return out


# --- Discovery (analysts) --------------------------------------------------------------------------------


@router.post(
    "/vendors/{org_id}/discover",
    response={200: DiscoverOut, 400: Error, 401: Error, 403: Error, 404: Error},
    summary="Read the domain's security.txt and propose contacts and key URLs (changes nothing)",
    description="A domain or address Accord does not fetch from (private ranges, loopback, http) "
    "is refused with 400. When no file can be read (404 at both places, a timeout, a file over "
    "64 KiB, a TLS failure), the answer is 200 with found=false and the reason in `error`.",
    auth=rule("analyst"),
)
def discover(request: HttpRequest, org_id: int, payload: DiscoverBody) -> DiscoverOut:
    access_vendor(_user(request), org_id, need="write")
    empty: dict[str, Any] = {
        "url": None,
        "contacts": [],
        "other_contacts": [],
        "encryption": [],
        "key_urls": [],
        "policy": [],
        "canonical": [],
        "expires": None,
        "expired": False,
        "errors": [],
        "recommendations": [],
    }
    try:
        finding = discovery.discover(payload.domain)
    except discovery.Refused as exc:
        raise ApiError(400, exc.message, [{"field": "domain", "message": exc.message}])
    except discovery.DiscoveryError as exc:
        return DiscoverOut(found=False, error=exc.message, tried=[], **empty)
    return DiscoverOut(
        found=True,
        error=None,
        url=finding.url,
        tried=finding.tried,
        contacts=finding.contacts,
        other_contacts=finding.other_contacts,
        encryption=finding.encryption,
        key_urls=finding.fetchable_keys,
        policy=finding.policy,
        canonical=finding.canonical,
        expires=finding.expires,
        expired=finding.expired,
        errors=finding.errors,
        recommendations=finding.recommendations,
    )
