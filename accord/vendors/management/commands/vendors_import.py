"""`accord vendors_import FILE [--dry-run]`: import the vendor directory from CSV or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.core.actors import SYSTEM
from accord.vendors import directory_io

PROGRESS_FROM = 200  # files with fewer rows print no progress


class Command(BaseCommand):
    help = (
        "Import vendors from a CSV or JSON file (the export's formats), all or nothing. "
        "Every problem is printed as 'FILE: row N, field F: message' and nothing is imported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="A .csv or .json file, or - for standard input (with --format)")
        parser.add_argument("--format", choices=("csv", "json"), help="Default: from the file name")
        parser.add_argument("--dry-run", action="store_true", help="Check the file only; import nothing")

    def handle(self, *args: Any, file: str, format: str | None, dry_run: bool, **options: Any) -> None:
        fmt = format or directory_io.format_of(file)
        if not fmt:
            raise CommandError(f"{file}: name a .csv or .json file, or give --format.")
        if file == "-":
            data: bytes = sys.stdin.buffer.read()
        else:
            try:
                data = Path(file).read_bytes()
            except OSError as exc:
                raise CommandError(f"{file}: cannot read it ({exc.strerror}).")

        last: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            step = max(100, total // 50)
            if total >= PROGRESS_FROM and (done % step == 0 or done == total) and last.get(stage) != done:
                last[stage] = done
                self.stderr.write(f"{stage} {done}/{total}")
                self.stderr.flush()

        try:
            result = directory_io.import_directory(
                data, filename=file, fmt=fmt, by=SYSTEM, dry_run=dry_run, progress=progress
            )
        except directory_io.DirectoryImportError as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(exc.summary)
        if result.dry_run:
            self.stdout.write(
                f"{file}: checked; an import would create {result.created} and update {result.updated} "
                "vendors. Nothing was imported (--dry-run)."
            )
        else:
            self.stdout.write(f"{file}: created {result.created} and updated {result.updated} vendors.")
