"""`accord csaf_refresh`: bring the CSAF provider directory in step with the public notes now.

The scheduler and every publication do it too (accord.exports.tasks); this is for a first fill after
an import, after setting up the coordinator's key, or to see what would be served.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accord.exports import provider


class Command(BaseCommand):
    help = "Rebuild, re-hash and re-sign the CSAF documents whose bytes changed; remove withdrawn ones."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = provider.refresh(progress=self.stdout.write)
        self.stdout.write(f"CSAF directory: {counts}")
