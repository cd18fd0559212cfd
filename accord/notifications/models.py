"""Per-case mutes and the items waiting for a person's daily digest.

Rows change only through accord.notifications (actions, send, digest). A person's choice of
immediate mail, a digest or none is `User.notify_mode` (accord.accounts.models).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CaseMute(models.Model):
    """`user` gets no mail and no digest item about `case` (they still see it in the portal)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_mutes")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="one_mute_per_user_and_case")]
        indexes = [models.Index(fields=["case", "user"], name="case_mute_case_user")]

    def __str__(self) -> str:
        return f"{self.user_id} muted case {self.case_id}"


class DigestItem(models.Model):
    """One notification waiting for `user`'s next daily digest.

    `neutral` and `link` may go out in plaintext (the VU# comes from `case`); `full_text` was
    rendered for this reader through the presenter and leaves only encrypted. `sent_at` is set
    once the item was handled: put in a digest, or dropped because the reader muted the case,
    chose no mail or no longer reaches the case.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_items")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    neutral = models.CharField(max_length=200)
    full_text = models.TextField(blank=True)
    link = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(
                fields=["user", "created_at"], condition=Q(sent_at__isnull=True), name="digest_item_waiting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.neutral} for {self.user_id} ({'sent' if self.sent_at else 'waiting'})"
