"""`accord export CASE_ID --format csaf|csaf21|cve5|osv|openvex [--revision N]`: print a published
note's document on standard output, the same bytes as its public URL."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.exports import lookup, registry


class Command(BaseCommand):
    help = (
        "Print a published note as CSAF 2.0 (csaf), CSAF 2.1 (csaf21, when ACCORD_CSAF_21 is on), "
        "CVE JSON 5.2 (cve5: an array of records), OSV or OpenVEX, exactly as its public URL serves it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("case", help="The case id: VU#854306, VU854306 or 854306")
        parser.add_argument("--format", choices=registry.FORMAT_NAMES, default="csaf", help="Default: csaf")
        parser.add_argument(
            "--revision", type=int, help="A published revision's number (default: the latest)"
        )

    def handle(self, *args: Any, case: str, format: str, revision: int | None, **options: Any) -> None:
        try:
            found = lookup.export(case, format, revision)
        except lookup.Unavailable as exc:
            label = lookup.label_of(case)
            detail = exc.detail if exc.detail.startswith(label) else f"{label}: {exc.detail}"
            raise CommandError(detail)
        self.stdout.write(found.content.decode(), ending="")
