"""`accord run`: every long-running part of Accord in one command, for the embedded default."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


def _accord(*args: str) -> list[str]:
    return [sys.executable, "-m", "accord.cli", *args]


class Command(BaseCommand):
    help = (
        "Start the web server, the task worker, the scheduler, the SMTP receiver and, with ACCORD_IMAP_URL,"
        " the IMAP poller; stop them all on Ctrl-C."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=settings.BIND, help="host:port of the web server.")

    def handle(self, *args: Any, bind: str, **options: Any) -> None:
        parts = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "accord.wsgi",
                "--bind",
                bind,
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            "worker": _accord("db_worker", "--interval", "1", "--no-startup-delay"),
            "scheduler": _accord("scheduler"),
            "smtp": _accord("mail_serve"),
        }
        if settings.IMAP_URL:
            parts["imap"] = _accord("mail_fetch")
        children = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in parts.items()}  # noqa: S603
        imap = ", IMAP poller" if "imap" in parts else ""
        self.stdout.write(
            f"Accord is running: http://{bind}/ (web, worker, scheduler, SMTP receiver on {settings.SMTP_LISTEN}{imap}). Ctrl-C stops it."
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        failed = None
        while not stopping and failed is None:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = name
            time.sleep(0.2)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if failed:
            self.stderr.write(
                f"accord run: the {failed} process stopped (exit {children[failed].returncode})."
            )
            sys.exit(1)
