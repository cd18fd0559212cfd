"""`accord vendors_export [--format csv|json] [-o FILE]`: write the vendor directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.vendors import directory_io


class Command(BaseCommand):
    help = (
        "Export the vendor directory (active contacts and keys) as JSON (default, with keys) or CSV "
        "(without keys). `accord vendors_import` reads both back."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--format", choices=("csv", "json"), default=None, help="Default: json, or from -o"
        )
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output")

    def handle(self, *args: Any, format: str | None, output: str | None, **options: Any) -> None:
        fmt = format or (directory_io.format_of(output) if output else "") or "json"
        if fmt == "csv":
            text = directory_io.export_csv()
        else:
            text = json.dumps(directory_io.export_json(), indent=2, ensure_ascii=False) + "\n"
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8", newline="")
            except OSError as exc:
                raise CommandError(f"{output}: cannot write it ({exc.strerror}).")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
