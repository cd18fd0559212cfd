"""`accord ingest_mail`: store one mail read on stdin, for an MTA's pipe transport.

Exit codes follow sysexits(3), so that the MTA bounces what is broken and retries the rest:
0 stored (or stored before), 65 (EX_DATAERR) empty input, 75 (EX_TEMPFAIL) the database is
unavailable.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accord.mailgate.inbound import receive

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one mail read on stdin and have it processed (for an MTA pipe)."
    stealth_options = ("stdin",)

    def handle(self, *args: Any, **options: Any) -> None:
        stream = options.get("stdin") or sys.stdin.buffer
        raw = stream.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if not raw.strip():
            raise CommandError("No mail on standard input.", returncode=EX_DATAERR)
        try:
            row = receive(raw, "pipe")
        except DatabaseError as exc:
            raise CommandError(
                f"The database is unavailable ({exc}); try again later.", returncode=EX_TEMPFAIL
            )
        if options.get("verbosity", 1) > 1:
            self.stdout.write(f"stored inbound {row.pk}")
