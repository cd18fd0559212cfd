"""What every benchmark script shares: a throw-away Django set-up, and the results writer.

Import this module first (`import common`): it points Accord at a temporary data directory and
an in-process task backend, then sets Django up.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["ACCORD_DATA_DIR"] = tempfile.mkdtemp(prefix="accord-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
os.environ["ACCORD_TASK_BACKEND"] = "immediate"
os.environ["ACCORD_LOGIN_THROTTLING"] = "0"
os.environ["ACCORD_ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()


def write_results(name: str, **content: Any) -> Path:
    """benchmarks/results/<name>.json: the machine, the database, then what the script measured."""
    from django.db import connection

    out = ROOT / "benchmarks" / "results" / f"{name}.json"
    document = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "database": connection.vendor,
        **content,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return out
