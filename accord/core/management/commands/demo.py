import json as jsonlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accord.core import demo


class Command(BaseCommand):
    help = "Create the demo organisations and accounts (idempotent) and print their logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--json", action="store_true", help="Print the accounts as JSON and nothing else."
        )
        parser.add_argument("--force", action="store_true", help="Allow demo accounts with ACCORD_DEBUG=0.")
        parser.add_argument(
            "--sample",
            action="store_true",
            help="Also a report waiting in triage and a case whose demo vendors were notified (made once).",
        )

    def handle(self, *args: Any, json: bool, force: bool, sample: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo accounts have public passwords: refusing with ACCORD_DEBUG=0 (use --force)."
            )
        rows = demo.load()
        made = demo.load_sample() if sample else None
        if json:
            self.stdout.write(_dumps(rows))
            return
        self.stdout.write(f"Demo logins for {settings.SITE_URL}/ (passwords are fixed):")
        for row in rows:
            line = f"  {row['email']:<32} {row['password']:<28} {', '.join(row['roles'])}"
            if row["totp_secret"]:
                line += f"\n  {'':<32} TOTP secret {row['totp_secret']} (add it to an authenticator app)"
            self.stdout.write(line)
        self.stdout.write("Demo vendors and where their notifications go (by default to var/mail/):")
        for entry in demo.CONTACTS:
            self.stdout.write(f"  {entry.organization:<32} {entry.email}")
        if made:
            self.stdout.write(
                f"Sample: report {made['report']} waits in triage; case {made['case']} waits for "
                "Acme Networks and Globex Software to accept its embargo and answer; the note of "
                f"{made['published']} is published at {settings.SITE_URL}/vuls/."
            )


def _dumps(rows: object) -> str:
    return jsonlib.dumps(rows, indent=2)
