from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accord.lib.env import REGISTRY


class Command(BaseCommand):
    help = "Print the ACCORD_* environment variables as the README's Markdown table."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("| variable | default | meaning |\n|---|---|---|")
        for name in sorted(REGISTRY):
            variable = REGISTRY[name]
            default = variable.default.replace(str(settings.BASE_DIR), ".")
            shown = f"`{default}`" if default else "(unset)"
            self.stdout.write(f"| `{name}` | {shown} | {variable.help} |")
