"""`accord mail_fetch`: poll the IMAP mailbox ACCORD_IMAP_URL; store each mail, then move it to
ACCORD_IMAP_DONE_FOLDER. `--once` for one pass; otherwise a pass every ACCORD_IMAP_INTERVAL
seconds until stopped.

Once: a mailbox that cannot be used (URL, server, credentials) or a database that is down exits
non-zero with the reason. Looping: the first pass must succeed (a misconfiguration shows at
once); a later failure is reported and retried at the next interval, as servers come and go.
"""

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accord.lib.env import read_secret_file
from accord.mailgate.imap import ImapError, Mailbox, Pass, fetch_once, parse_url


class Command(BaseCommand):
    help = "Store the mail of the IMAP mailbox ACCORD_IMAP_URL and move it to ACCORD_IMAP_DONE_FOLDER."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=int, default=settings.IMAP_INTERVAL, help="Seconds between passes."
        )

    def _config(self) -> tuple[Mailbox, str]:
        if not settings.IMAP_URL:
            raise CommandError("Set ACCORD_IMAP_URL (imap://user@host:143/INBOX) first.")
        if not settings.IMAP_PASSWORD_FILE:
            raise CommandError("Set ACCORD_IMAP_PASSWORD_FILE to a file holding the IMAP password.")
        try:
            box = parse_url(settings.IMAP_URL)
            password = read_secret_file("ACCORD_IMAP_PASSWORD_FILE", settings.IMAP_PASSWORD_FILE)
        except (ImapError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        return box, password

    def _pass(self, box: Mailbox, password: str, *, quiet: bool = False) -> Pass:
        try:
            result = fetch_once(
                box,
                password,
                done_folder=settings.IMAP_DONE_FOLDER,
                max_bytes=settings.INBOUND_MAX_BYTES,
                timeout=settings.IMAP_TIMEOUT,
                progress=self.stdout.write if self.verbosity > 1 else None,
            )
        except ImapError as exc:
            raise CommandError(f"IMAP {box}: {exc}") from None
        except DatabaseError as exc:
            raise CommandError(f"The database is unavailable ({exc}); the mail stays in {box}.") from None
        for reason in result.skipped:
            self.stderr.write(f"left in {box.folder}: {reason}")
        if not quiet or result.stored or result.again or result.moved:
            self.stdout.write(f"{box}: {result.summary()}")
        return result

    def handle(self, *args: Any, once: bool, interval: int, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        box, password = self._config()
        self._pass(box, password)
        if once:
            return
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Polling {box} every {interval} s. Ctrl-C stops it.")
        while not stop.wait(max(1, interval)):
            try:
                self._pass(box, password, quiet=True)
            except CommandError as exc:  # the server or database may be back next time
                self.stderr.write(f"{exc}; trying again in {interval} s")
