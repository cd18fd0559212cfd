import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accord.core.schedule import tick


class Command(BaseCommand):
    help = "Run periodic and timed jobs (embargo expiry, reminders, scheduled publication). Run exactly one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument(
            "--interval", type=int, default=settings.SCHEDULER_INTERVAL, help="Seconds between ticks."
        )

    def handle(self, *args: Any, once: bool, interval: int, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            self.stdout.write(f"scheduler: ticking every {interval}s")
        while True:
            started = tick()
            if started:
                self.stdout.write("scheduler: enqueued " + ", ".join(started))
            if once or stopping:
                return
            for _ in range(interval * 10):
                if stopping:
                    return
                time.sleep(0.1)
