from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.accounts import actions
from accord.accounts.models import User
from accord.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (the token is the last word)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if not user.is_active:
            raise CommandError(f"{email} is deactivated.")
        try:
            token, secret = actions.create_token(user, name, by=user)
        except InvalidInput as exc:
            raise CommandError(f"{exc.field}: {exc.message}")
        self.stdout.write(f"API token {token.name!r} for {user.email} (shown once): {secret}")
