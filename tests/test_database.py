"""Which database the suite runs on, and how the default SQLite database is set up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_asked_for() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql":
        assert connection.vendor == "postgresql"
    if os.environ.get("ACCORD_DATABASE_URL"):
        # The PostgreSQL pass: it must really be PostgreSQL, never a silent SQLite fallback.
        assert engine == "django.db.backends.postgresql"
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) >= 150000  # PostgreSQL 15+
    else:
        assert engine == "django.db.backends.sqlite3"
        assert connection.vendor == "sqlite"


@pytest.mark.django_db
def test_foreign_keys_are_enforced() -> None:
    from django.db import IntegrityError, transaction

    from accord.accounts.models import Membership

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user_id=987654, organization_id=987654)
        # SQLite checks deferred constraints at commit; make it check now.
        connection.check_constraints()


def test_a_file_database_made_with_the_projects_settings_uses_wal(tmp_path: Path) -> None:
    """Open a fresh file database in a new process with Accord's default (SQLite) settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_DATA_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "accord.settings"
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(connection.vendor, connection.settings_dict['NAME'])\n"
        "    for pragma in ('journal_mode', 'foreign_keys', 'synchronous'):\n"
        "        c.execute('PRAGMA ' + pragma); print(pragma, c.fetchone()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"sqlite {tmp_path / 'accord.sqlite3'}"
    assert "journal_mode wal" in lines
    assert "foreign_keys 1" in lines
    assert "synchronous 1" in lines  # NORMAL
    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(tmp_path / "accord.sqlite3") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite settings only"
)
def test_the_sqlite_init_command_turns_on_wal(tmp_path: Path) -> None:
    init_command = settings.DATABASES["default"]["OPTIONS"]["init_command"]
    with sqlite3.connect(tmp_path / "x.sqlite3") as raw:
        raw.executescript(init_command)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
