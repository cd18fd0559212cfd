"""Reading the vendor directory: the access gate, the directory search, and what notifications use.

`access_vendor` is the only way pages and API routes fetch a vendor organisation for a
user: analysts reach every vendor; a vendor's own members read its entry and its admins
change it; anyone else gets the same 404 as for a missing organisation.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accord.accounts.models import Membership, Organization
from accord.core.models import AuditEvent
from accord.lib.ids import parse_id
from accord.vendors.models import ChangeStatus, Contact, PublicKey, VendorProfile

ACTIVE = ChangeStatus.ACTIVE
PENDING = ChangeStatus.PENDING
PENDING_KINDS = ("contact", "key")


# --- The access gate ---------------------------------------------------------------------------


def _pk(value: int | str, what: str) -> int:
    pk = parse_id(value)
    if pk is None:
        raise Http404(f"No such {what}.")
    return pk


def vendors_visible_to(user: Any) -> QuerySet[Organization]:
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    vendors = Organization.objects.filter(kind=Organization.Kind.VENDOR)
    if user.is_analyst:
        return vendors
    return vendors.filter(pk__in=Membership.objects.filter(user=user).values("organization_id"))


def is_vendor_admin(user: Any, org: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=org, role=Membership.Role.ADMIN).exists()


def can_edit_vendor(user: Any, org: Organization) -> bool:
    """Analysts edit every vendor at once; a vendor's admins edit its own entry (with approval)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_analyst) or is_vendor_admin(user, org)


def access_vendor(user: Any, org_id: int | str, need: str = "read") -> Organization:
    """A vendor organisation for `user`; need "read" (its members, analysts) or "write"."""
    org = vendors_visible_to(user).filter(pk=_pk(org_id, "vendor")).first()
    if org is None:
        raise Http404("No such vendor.")
    if need == "write" and not can_edit_vendor(user, org):
        raise PermissionDenied("Only the organisation's admins or an analyst can change its directory entry.")
    return org


def access_contact(org: Organization, contact_id: int | str) -> Contact:
    try:
        return Contact.objects.select_related("requested_by", "replaces").get(
            pk=_pk(contact_id, "contact"), organization=org
        )
    except Contact.DoesNotExist:
        raise Http404("No such contact.")


def access_key(org: Organization, key_id: int | str) -> PublicKey:
    try:
        return PublicKey.objects.select_related("uploaded_by").get(pk=_pk(key_id, "key"), organization=org)
    except PublicKey.DoesNotExist:
        raise Http404("No such key.")


def access_pending(user: Any, kind: str, item_id: int | str) -> Contact | PublicKey:
    """A contact or key with a pending change, for an analyst; 404 for anything else."""
    if not getattr(user, "is_analyst", False) or kind not in PENDING_KINDS:
        raise Http404("No such pending change.")
    model: type[Contact] | type[PublicKey] = Contact if kind == "contact" else PublicKey
    try:
        return model.objects.select_related("organization").get(pk=_pk(item_id, "pending change"))
    except model.DoesNotExist:
        raise Http404("No such pending change.")


# --- What other features use ------------------------------------------------------------------


def profile_of(org: Organization) -> VendorProfile:
    """The organisation's profile; an unsaved empty one when none was ever set."""
    return VendorProfile.objects.filter(organization=org).first() or VendorProfile(organization=org)


def notification_contacts(org: Organization) -> list[Contact]:
    """The ACTIVE "to" and "cc" contacts notifications go to ("to" first). Pending ones never count."""
    return list(
        Contact.objects.filter(
            organization=org, status=ACTIVE, role__in=(Contact.Role.TO, Contact.Role.CC)
        ).order_by("-role", "email", "id")  # "to" > "cc": descending puts "to" first
    )


def is_active_contact(org: Organization, email: str) -> bool:
    """Whether `email` is one of the organisation's ACTIVE contacts (any role), ignoring case."""
    return Contact.objects.filter(organization=org, status=ACTIVE, email__iexact=email).exists()


def pinned_keys(org: Organization) -> list[PublicKey]:
    """The organisation's ACTIVE keys (pinned by fingerprint), flagged ones included.

    Signatures are verified against these. For encrypting, use `encryption_keys`.
    """
    return list(PublicKey.objects.filter(organization=org, status=ACTIVE).order_by("created_at", "id"))


def encryption_keys(org: Organization) -> list[PublicKey]:
    """Active keys mail may be encrypted to now: not revoked, not expired, able to encrypt."""
    return [key for key in pinned_keys(org) if key.usable]


def contacts_of(org: Organization) -> list[Contact]:
    """Every contact row of the organisation (active, pending, rejected), for its directory page."""
    return list(
        Contact.objects.filter(organization=org).select_related(
            "requested_by", "approved_by", "removal_requested_by", "replaces"
        )
    )


def keys_of(org: Organization) -> list[PublicKey]:
    return list(
        PublicKey.objects.filter(organization=org).select_related(
            "uploaded_by", "approved_by", "removal_requested_by"
        )
    )


def history_of(org: Organization, limit: int = 100) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=Organization._meta.label_lower, object_id=str(org.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


# --- Pending changes ---------------------------------------------------------------------------

_PENDING_Q = Q(status=PENDING) | Q(removal_requested_at__isnull=False)


def pending_contacts() -> QuerySet[Contact]:
    return Contact.objects.filter(_PENDING_Q, organization__kind=Organization.Kind.VENDOR).select_related(
        "organization", "requested_by", "removal_requested_by", "replaces"
    )


def pending_keys() -> QuerySet[PublicKey]:
    return PublicKey.objects.filter(_PENDING_Q, organization__kind=Organization.Kind.VENDOR).select_related(
        "organization", "uploaded_by", "removal_requested_by"
    )


def requested_at(item: Contact | PublicKey) -> Any:
    return item.removal_requested_at or item.created_at


def removal_reasons(contacts: list[Contact]) -> dict[int, str]:
    """The reason a vendor admin gave for each contact's pending removal: always one query,
    so a page that shows them costs the same whatever is pending."""
    asked = {c.pk for c in contacts if c.removal_requested_at is not None}
    orgs = {str(c.organization_id) for c in contacts if c.pk in asked} or {"-"}  # "-" names nothing
    events = AuditEvent.objects.filter(
        kind="vendor.contact_removal_requested",
        object_type=Organization._meta.label_lower,
        object_id__in=orgs,
    ).order_by("created_at", "id")
    reasons: dict[int, str] = {}
    for data in events.values_list("data", flat=True):
        if isinstance(data, dict) and data.get("contact") in asked:
            reasons[data["contact"]] = str(data.get("reason") or "")
    return reasons


def pending_changes() -> list[Contact | PublicKey]:
    """Every pending contact and key change, oldest request first."""
    items: list[Contact | PublicKey] = [*pending_contacts(), *pending_keys()]
    items.sort(key=lambda item: (requested_at(item), item.pk))
    return items


# --- The directory ----------------------------------------------------------------------------

_HEX = re.compile(r"^(0x)?[0-9a-f]{8,40}$", re.IGNORECASE)


def _count(model: type[Contact] | type[PublicKey], condition: Q) -> Coalesce:
    rows = (
        model.objects.filter(condition, organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def normalize_fingerprint(text: str) -> str:
    return re.sub(r"\s+", "", text).upper().removeprefix("0X")


def search_vendors(
    queryset: QuerySet[Organization],
    *,
    q: str = "",
    has_key: bool | None = None,
    require_encryption: bool | None = None,
    pending: bool | None = None,
) -> QuerySet[Organization]:
    """Filter vendor organisations by name, contact email, domain or key fingerprint.

    Every condition is a subquery, so the result has one row per organisation and
    the query count does not grow with the directory.
    """
    q = q.replace("\x00", "").strip()[:200]
    if q:
        text = Q(name__icontains=q)
        text |= Q(vendor_profile__website__icontains=q) | Q(vendor_profile__security_txt_url__icontains=q)
        text |= Q(Exists(Contact.objects.filter(organization=OuterRef("pk"), email__icontains=q)))
        compact = re.sub(r"\s+", "", q)
        if _HEX.match(compact):
            text |= Q(
                Exists(
                    PublicKey.objects.filter(
                        organization=OuterRef("pk"), fingerprint__contains=normalize_fingerprint(compact)
                    )
                )
            )
        queryset = queryset.filter(text)
    if has_key is not None:
        keyed = Exists(PublicKey.objects.filter(organization=OuterRef("pk"), status=ACTIVE))
        queryset = queryset.filter(keyed if has_key else ~keyed)
    if require_encryption is not None:
        if require_encryption:
            queryset = queryset.filter(vendor_profile__require_encryption=True)
        else:
            queryset = queryset.exclude(vendor_profile__require_encryption=True)
    if pending is not None:
        waiting = Q(Exists(Contact.objects.filter(_PENDING_Q, organization=OuterRef("pk")))) | Q(
            Exists(PublicKey.objects.filter(_PENDING_Q, organization=OuterRef("pk")))
        )
        queryset = queryset.filter(waiting if pending else ~waiting)
    return queryset


def with_directory_columns(queryset: QuerySet[Organization]) -> QuerySet[Organization]:
    """Counts and prefetched active contacts and keys for list pages (a fixed number of queries)."""
    return (
        queryset.select_related("vendor_profile")
        .annotate(
            active_contacts=_count(Contact, Q(status=ACTIVE)),
            active_keys=_count(PublicKey, Q(status=ACTIVE)),
            pending_changes=_count(Contact, _PENDING_Q) + _count(PublicKey, _PENDING_Q),
        )
        .prefetch_related(
            Prefetch(
                "vendor_contacts",
                queryset=Contact.objects.filter(status=ACTIVE).order_by("-role", "email", "id"),
                to_attr="active_contact_list",
            ),
            Prefetch(
                "vendor_keys",
                queryset=PublicKey.objects.filter(status=ACTIVE).order_by("created_at", "id"),
                to_attr="active_key_list",
            ),
        )
    )


def profile_or_none(org: Organization) -> VendorProfile | None:
    """The profile loaded by select_related("vendor_profile"), without another query."""
    try:
        return org.vendor_profile
    except VendorProfile.DoesNotExist:
        return None
