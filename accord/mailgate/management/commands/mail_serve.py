"""`accord mail_serve`: receive mail over SMTP on ACCORD_SMTP_LISTEN until stopped."""

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accord.mailgate.smtp import controller, parse_listen


class Command(BaseCommand):
    help = "Receive mail over SMTP for ACCORD_MAIL_RECIPIENTS and store it for processing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--listen", default=settings.SMTP_LISTEN, help="host:port to listen on.")

    def handle(self, *args: Any, listen: str, **options: Any) -> None:
        host, port = parse_listen(listen)
        server = controller(
            host, port, recipients=settings.MAIL_RECIPIENTS, max_bytes=settings.INBOUND_MAX_BYTES
        )
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        server.start()
        self.stdout.write(
            f"Receiving mail on {host}:{port} for {', '.join(settings.MAIL_RECIPIENTS)}. Ctrl-C stops it."
        )
        try:
            stop.wait()
        finally:
            server.stop()
