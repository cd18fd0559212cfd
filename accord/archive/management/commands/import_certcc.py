"""`accord import_certcc PATH [--quiet] [--batch N]`: import CERT/CC's Vulnerability Data Archive.

PATH is the archive (holding `data/`) or its `data` folder. See accord.archive.load for what
becomes of each file. Run it again at will: files already read (same sha256) change nothing.

Output: a progress line per 500 reports (not with --quiet), one `error: PATH: FIELD: message`
line per problem on standard error (the import goes on), and a summary with the organisations
merged from several spellings.

Exit status: 0 when at least one report was imported, updated or found unchanged (even if other
files had errors, which are listed); 65 (EX_DATAERR) when there were errors and no report could
be read at all; 66 (EX_NOINPUT) when PATH is no folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.archive.load import BATCH, load_archive

EX_DATAERR = 65
EX_NOINPUT = 66


class Command(BaseCommand):
    help = (
        "Import CERT/CC's Vulnerability Data Archive (data/<N>/vu_<ID>/*.json) as quiet cases. "
        "Idempotent; bad files are reported with path and field and skipped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="The archive folder (with data/ inside) or its data/ folder")
        parser.add_argument(
            "--quiet", action="store_true", help="No progress lines (errors and summary still)"
        )
        parser.add_argument(
            "--batch", type=int, default=BATCH, help=f"Reports per transaction (default {BATCH})"
        )

    def handle(self, *args: Any, path: str, quiet: bool, batch: int, **options: Any) -> None:
        root = Path(path)
        if not root.is_dir():
            raise CommandError(f"{path}: no such folder", returncode=EX_NOINPUT)
        report = load_archive(
            root,
            out=self.stdout.write,
            err=self.stderr.write,
            quiet=quiet,
            batch_size=max(1, batch),
        )
        for line in report.summary():
            self.stdout.write(line)
        if report.error_count and not report.succeeded:
            sys.exit(EX_DATAERR)
