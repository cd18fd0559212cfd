import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accord.accounts.queries import roles_of
from accord.cases.views.dashboard import analyst_sections
from accord.core.access import access
from accord.lib import openpgp
from accord.mailgate import coordinator_key

log = logging.getLogger(__name__)


@access("public")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return redirect("accounts:login")


@access("authenticated")
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = list(request.user.memberships.select_related("organization"))  # type: ignore[union-attr]
    context: dict[str, Any] = {"memberships": memberships, "roles": roles_of(request.user, memberships)}  # type: ignore[arg-type]
    if request.user.is_analyst:  # type: ignore[union-attr]
        # What needs an analyst's attention; one query per list, whatever the numbers.
        context["analyst"] = analyst_sections(request.user)
    elif any(m.organization.kind == "vendor" for m in memberships):
        from accord.cases.views.portal import waiting_for

        # A vendor member's dashboard shows what waits in the portal, with the same counts.
        context["vendor_waiting"] = waiting_for(request.user)  # type: ignore[arg-type]
    return render(request, "core/dashboard.html", context)


@access("public")
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


@access("public")
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says (a JSON export, a text file): answer
    with the site's icon rather than a 404."""
    icon = settings.BASE_DIR / "static" / "favicon.svg"
    response = HttpResponse(icon.read_bytes(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@access("public")
@require_safe
def openpgp_key(request: HttpRequest) -> HttpResponse:
    """The coordinator's public key (`accord keys`), for encrypting to us and checking our mail."""
    key = coordinator_key.public_key()
    if key is None:
        return HttpResponse(
            "No OpenPGP key is published here yet: the coordinator has not set one up.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(key.armored, content_type="application/pgp-keys")
    response["Content-Disposition"] = 'inline; filename="openpgpkey.asc"'
    return response


# RFC 9116 recommends an Expires less than a year ahead; the file is made per request, so it is
# always this far from today.
SECURITY_TXT_DAYS = 180


def security_txt_text() -> str:
    """/.well-known/security.txt (RFC 9116): how to reach the coordinator, built from the settings."""
    site = settings.SITE_URL
    today = timezone.now().astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = today + dt.timedelta(days=SECURITY_TXT_DAYS)
    lines = [
        f"# How to report a vulnerability to {settings.INSTANCE_NAME}: write to us, or use {site}"
        f"{reverse('cases:report_new')}",
        f"Contact: mailto:{settings.DEFAULT_FROM_EMAIL}",
        f"Contact: {site}{reverse('cases:report_new')}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%S}Z",
    ]
    if coordinator_key.is_set_up():
        lines.append(f"Encryption: {site}{reverse('core:openpgp_key')}")
    lines += [
        "Preferred-Languages: en",
        f"Policy: {site}{reverse('cases:policy')}",
    ]
    # CSAF 2.0 §7.1.8: the provider metadata; the well-known one first. While CSAF 2.1 is served too,
    # the 2.1 draft's transition section adds each version's own metadata.
    lines.append(f"CSAF: {site}{reverse('exports:provider_metadata')}")
    if settings.CSAF_21:
        lines.append(f"CSAF: {site}{reverse('exports:provider_metadata_20')}")
        lines.append(f"CSAF: {site}{reverse('exports:provider_metadata_21')}")
    lines.append(f"Canonical: {site}{reverse('core:security_txt')}")
    return "\n".join(lines) + "\n"


_signed: dict[str, str] = {}  # the text's SHA-256 → its clearsigned form; the text changes once a day


def signed_security_txt(text: str) -> str:
    """The text clearsigned with the coordinator's key, as RFC 9116 §2.3 recommends; unsigned when no
    key is set up or it cannot sign (the file must stay reachable: it says how to reach us)."""
    try:
        signer = coordinator_key.signing_key()
    except coordinator_key.KeyProblem as exc:
        log.warning("security.txt is served unsigned: %s", exc)
        return text
    if signer is None:
        return text
    digest = hashlib.sha256(text.encode() + signer[0].encode()).hexdigest()
    if digest not in _signed:
        try:
            signed = openpgp.clearsign(text, *signer)
        except openpgp.OpenPGPError as exc:
            log.warning("security.txt is served unsigned: %s", exc)
            return text
        _signed.clear()
        _signed[digest] = signed
    return _signed[digest]


@access("public")
@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    text = signed_security_txt(security_txt_text())
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
