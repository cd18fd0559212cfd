"""Pages of the vendor directory: analysts' directory, pending queue, import/export and
discovery; each vendor's page, which its own admins use for self-service."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.accounts.models import Organization, User
from accord.core.access import access
from accord.core.confirm import Confirmation, Fact, confirm
from accord.core.redirects import local_next
from accord.lib.errors import InvalidInput, RuleViolation
from accord.vendors import actions, directory_io, discovery
from accord.vendors.forms import (
    ContactForm,
    DirectorySearchForm,
    DiscoverForm,
    ImportForm,
    KeyForm,
    ProfileForm,
    VendorCreateForm,
    yes_no,
)
from accord.vendors.models import ChangeStatus, Contact, PublicKey
from accord.vendors.queries import (
    access_contact,
    access_key,
    access_pending,
    access_vendor,
    can_edit_vendor,
    contacts_of,
    history_of,
    keys_of,
    notification_contacts,
    pending_changes,
    profile_of,
    removal_reasons,
    search_vendors,
    vendors_visible_to,
    with_directory_columns,
)

PAGE_SIZE = 100
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _detail(org: Organization) -> str:
    return reverse("vendors:detail", kwargs={"org_id": org.pk})


# --- The directory (analysts) ----------------------------------------------------------------------


@access("analyst")
def directory_view(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "q": form.cleaned_data["q"],
            "has_key": yes_no(form.cleaned_data["has_key"]),
            "require_encryption": yes_no(form.cleaned_data["require_encryption"]),
            "pending": yes_no(form.cleaned_data["pending"]),
        }
    vendors = with_directory_columns(search_vendors(vendors_visible_to(_user(request)), **filters))
    page = Paginator(vendors.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vendors/directory.html",
        {"form": form, "page": page, "query": query.urlencode(), "searched": bool(request.GET)},
    )


@access("analyst")
def vendor_new_view(request: HttpRequest) -> HttpResponse:
    form = VendorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        name = data.pop("name")
        try:
            org = actions.create_vendor(name, by=_user(request), **data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{org.name} is in the directory.")
            return redirect(_detail(org))
    return render(request, "vendors/new.html", {"form": form})


# --- One vendor (analysts, and its own members; its admins edit) ------------------------------------


def _render_detail(request: HttpRequest, org: Organization, status: int = 200, **forms: Any) -> HttpResponse:
    user = _user(request)
    analyst = bool(user.is_analyst)
    profile = profile_of(org)
    if "profile_form" not in forms:
        forms["profile_form"] = ProfileForm(
            analyst=analyst,
            initial={
                "website": profile.website,
                "security_txt_url": profile.security_txt_url,
                "phones": profile.phones,
                "tracking_prefix": profile.tracking_prefix,
                "require_encryption": profile.require_encryption,
                "notes": profile.notes,
            },
        )
    forms.setdefault("contact_form", ContactForm(auto_id="id_contact_%s"))
    forms.setdefault("key_form", KeyForm(auto_id="id_key_%s"))
    contacts = contacts_of(org)
    keys = keys_of(org)
    items: list[Contact | PublicKey] = [*contacts, *keys]
    pending = [item for item in items if item.is_pending]
    return render(
        request,
        "vendors/detail.html",
        {
            "org": org,
            "profile": profile,
            "analyst": analyst,
            "can_edit": can_edit_vendor(user, org),
            "contacts": contacts,
            "keys": keys,
            "pending": pending,
            "history": history_of(org) if analyst else [],
            **forms,
        },
        status=status,
    )


@access("object:organization")
def vendor_detail_view(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_vendor(_user(request), org_id)
    return _render_detail(request, org)


def _pending_note(request: HttpRequest, analyst: bool, done: str) -> None:
    if analyst:
        messages.success(request, done)
    else:
        messages.info(request, f"{done} It is pending approval by the coordinator.")


@require_POST
@access("object:organization")
def profile_view(request: HttpRequest, org_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    form = ProfileForm(request.POST, analyst=bool(user.is_analyst))
    if form.is_valid():
        try:
            actions.set_profile(org, by=user, **form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The profile is saved.")
            return redirect(_detail(org))
    return _render_detail(request, org, status=400, profile_form=form)


@require_POST
@access("object:organization")
def contact_add_view(request: HttpRequest, org_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    form = ContactForm(request.POST, auto_id="id_contact_%s")
    if form.is_valid():
        try:
            contact = actions.add_contact(
                org,
                form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
                by=user,
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            _pending_note(
                request, user.is_analyst, f"{contact.email} was added as a “{contact.role}” contact."
            )
            return redirect(_detail(org))
    return _render_detail(request, org, status=400, contact_form=form)


@access("object:organization")
def contact_edit_view(request: HttpRequest, org_id: int, contact_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write" if request.method == "POST" else "read")
    contact = access_contact(org, contact_id)
    form = ContactForm(
        request.POST or None, initial={"email": contact.email, "name": contact.name, "role": contact.role}
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.update_contact(
                contact,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
                by=user,
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            if result.pk != contact.pk:
                _pending_note(request, False, f"The change to {contact.email} was requested.")
            else:
                messages.success(request, f"{result.email} is saved.")
            return redirect(_detail(org))
    return render(
        request,
        "vendors/contact_edit.html",
        {"org": org, "contact": contact, "form": form, "can_edit": can_edit_vendor(user, org)},
    )


@access("object:organization")
def contact_remove_view(request: HttpRequest, org_id: int, contact_id: int) -> HttpResponse:
    """Removing an active contact: a confirmation page with the reason (GET), then the removal
    (POST). Withdrawing a pending or rejected request is a plain POST: nothing is lost."""
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    contact = access_contact(org, contact_id)
    if contact.status != ChangeStatus.ACTIVE:
        if request.method != "POST":
            return redirect(_detail(org))
        try:
            actions.remove_contact(contact, by=user)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The request for {contact.email} was withdrawn.")
        return redirect(_detail(org))
    analyst = bool(user.is_analyst)
    if analyst:
        happens = [
            f"Notifications of {org.name}'s cases stop going to {contact.email} at once.",
            "Your reason is kept in the vendor's history.",
        ]
        undo = "This cannot be undone: to use the address again, add it as a new contact."
        submit = "Remove the contact"
    else:
        happens = [
            f"The coordinator is asked to remove {contact.email}; until an analyst approves, "
            "notifications still go to it.",
            "Your reason goes with the request to the coordinator.",
        ]
        undo = "Once approved, it cannot be undone: the address would have to be added again."
        submit = "Ask to remove the contact"
    left = [c for c in notification_contacts(org) if c.pk != contact.pk]
    page = Confirmation(
        title=f"Remove {contact.email} from {org.name}?",
        back_label=org.name,
        back_url=_detail(org),
        happens=happens
        + ([] if left else [f"{org.name} then has no address left that notifications reach."]),
        undo=undo,
        submit=submit,
        reason_help="Why: for example, the person left, or the address bounces.",
        facts=[
            Fact(
                "Contact", f"{contact.email} ({contact.role}){' · ' + contact.name if contact.name else ''}"
            ),
            Fact("Other addresses notifications reach", ", ".join(c.email for c in left) or "none"),
        ],
        blocked=None
        if contact.removal_requested_at is None or analyst
        else "Its removal was already requested: it waits for the coordinator's approval.",
    )

    def act(reason: str) -> str:
        gone = actions.remove_contact(contact, by=user, reason=reason)
        if gone is None:
            return f"{contact.email} was removed. Your reason is in the vendor's history."
        return f"The removal of {contact.email} was requested. It is pending approval by the coordinator."

    return confirm(request, page, act)


@require_POST
@access("object:organization")
def key_upload_view(request: HttpRequest, org_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    form = KeyForm(request.POST, request.FILES, auto_id="id_key_%s")
    if form.is_valid():
        try:
            key = actions.upload_key(org, form.cleaned_data["key"], by=user)
        except InvalidInput as exc:
            form.add_error("armored", exc.message)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            _pending_note(request, user.is_analyst, f"Key {key.grouped_fingerprint} was uploaded.")
            if key.flags:
                messages.warning(request, f"This key is flagged: {', '.join(key.flags)}.")
            return redirect(_detail(org))
    return _render_detail(request, org, status=400, key_form=form)


@require_POST
@access("object:organization")
def key_remove_view(request: HttpRequest, org_id: int, key_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    key = access_key(org, key_id)
    try:
        left = actions.remove_key(key, by=user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        if left is None:
            messages.success(request, f"Key {key.grouped_fingerprint} was removed.")
        else:
            _pending_note(request, False, f"The removal of key {key.grouped_fingerprint} was requested.")
    return redirect(_detail(org))


@access("object:organization")
def key_download_view(request: HttpRequest, org_id: int, key_id: int) -> HttpResponse:
    org = access_vendor(_user(request), org_id)
    key = access_key(org, key_id)
    response = HttpResponse(key.armored, content_type="application/pgp-keys; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key.fingerprint}.asc"'
    return response


# --- Pending changes (analysts) -----------------------------------------------------------------------


@access("analyst")
def pending_view(request: HttpRequest) -> HttpResponse:
    items = pending_changes()
    reasons = removal_reasons([item for item in items if isinstance(item, Contact)])
    for item in items:
        item.removal_reason = reasons.get(item.pk, "") if isinstance(item, Contact) else ""  # type: ignore[union-attr]
    return render(request, "vendors/pending.html", {"items": items})


def _back(request: HttpRequest, fallback: str) -> str:
    return local_next(request, request.POST.get("next")) or fallback


@require_POST
@access("analyst")
def pending_decide_view(request: HttpRequest, kind: str, item_id: int, decision: str) -> HttpResponse:
    user = _user(request)
    item = access_pending(user, kind, item_id)
    what = item.email if kind == "contact" else f"key {item.grouped_fingerprint}"  # type: ignore[union-attr]
    change = item.pending_change
    try:
        if decision == "approve":
            actions.approve_change(item, by=user)
            messages.success(request, f"Approved: {change} {what} ({item.organization.name}).")
        else:
            actions.reject_change(item, by=user)
            messages.success(request, f"Rejected: {change} {what} ({item.organization.name}).")
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect(_back(request, reverse("vendors:pending")))


# --- Import and export (analysts) ----------------------------------------------------------------------


@access("analyst")
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    summary = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = directory_io.format_of(upload.name)
        if not fmt:
            form.add_error("file", "Choose a .csv or .json file.")
        elif upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", f"An import file has at most {MAX_IMPORT_BYTES // (1024 * 1024)} MiB.")
        else:
            try:
                result = directory_io.import_directory(
                    upload.read(),
                    filename=upload.name,
                    fmt=fmt,
                    by=_user(request),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except directory_io.DirectoryImportError as exc:
                problems, summary = exc.lines(), exc.summary
            else:
                verb = "would create" if result.dry_run else "created"
                text = f"{upload.name}: {verb} {result.created} and {'would update' if result.dry_run else 'updated'} {result.updated} vendors."
                if result.dry_run:
                    messages.info(request, f"{text} Nothing was imported (check only).")
                    return redirect("vendors:import")
                messages.success(request, text)
                return redirect("vendors:directory")
    return render(
        request,
        "vendors/import.html",
        {"form": form, "problems": problems, "summary": summary},
        status=400 if problems else 200,
    )


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M%S")


@access("analyst")
def export_csv_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(directory_io.export_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vendors-{_stamp()}.csv"'
    return response


@access("analyst")
def export_json_view(request: HttpRequest) -> HttpResponse:
    body = json.dumps(directory_io.export_json(), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vendors-{_stamp()}.json"'
    return response


# --- security.txt discovery (analysts) ----------------------------------------------------------------


def _domain_of(url: str) -> str:
    try:
        return urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    except ValueError:
        return ""


@access("analyst")
def discover_view(request: HttpRequest, org_id: int) -> HttpResponse:
    user = _user(request)
    org = access_vendor(user, org_id, need="write")
    profile = profile_of(org)
    if request.method == "POST" and request.POST.get("step") == "accept":
        return _accept_discovery(request, org)
    form = DiscoverForm(request.POST or None, initial={"domain": _domain_of(profile.website)})
    finding = None
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            finding = discovery.discover(form.cleaned_data["domain"])
        except discovery.DiscoveryError as exc:
            error = exc.message
    known = {c.email for c in contacts_of(org)}
    return render(
        request,
        "vendors/discover.html",
        {"org": org, "form": form, "finding": finding, "error": error, "known": known},
        status=400 if error else 200,
    )


def _accept_discovery(request: HttpRequest, org: Organization) -> HttpResponse:
    user = _user(request)
    done: list[str] = []
    failed: list[str] = []
    for email in request.POST.getlist("contacts"):
        try:
            actions.add_contact(org, email, role="to", by=user)
            done.append(f"contact {email}")
        except (InvalidInput, RuleViolation) as exc:
            failed.append(f"{email}: {exc.message}")
    for url in request.POST.getlist("key_urls"):
        try:
            key = actions.upload_key(org, discovery.fetch_key(url), by=user)
            done.append(f"key {key.grouped_fingerprint}")
        except discovery.DiscoveryError as exc:
            failed.append(f"{url}: {exc.message}")
        except (InvalidInput, RuleViolation) as exc:
            failed.append(f"{url}: {exc.message}")
    url = request.POST.get("security_txt_url", "")
    if url:
        try:
            actions.set_profile(org, security_txt_url=url, by=user)
            done.append("the security.txt URL")
        except (InvalidInput, RuleViolation) as exc:
            failed.append(f"{url}: {exc.message}")
    if done:
        messages.success(request, "Accepted: " + "; ".join(done) + ".")
    for problem in failed:
        messages.error(request, problem)
    if not done and not failed:
        messages.info(request, "Nothing was selected, so nothing changed.")
    return redirect(_detail(org))
