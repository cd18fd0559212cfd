"""TOTP two-factor authentication and recovery codes, on django-otp."""

from __future__ import annotations

import base64

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User
from accord.core import audit
from accord.lib.errors import InvalidInput

RECOVERY_CODES = 10


def has_2fa(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verify_code(user: User, code: str) -> Device | None:
    """The device that accepts `code`: a TOTP code (never twice in its step) or a recovery code."""
    code = "".join(code.split())
    if not code or len(code) > 32:
        return None
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii")


def qr_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an SVG data URI (no script, allowed by the CSP's img-src data:)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=4))


@transaction.atomic
def start_totp_setup(user: User) -> TOTPDevice:
    """An unconfirmed device; it counts only after the user proves it with a code."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def confirm_totp(user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the device with a code from the app; returns fresh recovery codes (shown once)."""
    if not device.verify_token("".join(code.split())):
        raise InvalidInput(
            "code", "That code is not right. Check the time on your phone and try the newest code."
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(user, "2fa.enabled", user)
    return regenerate_recovery_codes(user)


@transaction.atomic
def regenerate_recovery_codes(user: User) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    audit.record(user, "2fa.recovery_codes_generated", user)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def disable_2fa(user: User, *, by: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(by, "2fa.disabled", user)
