"""`accord keys generate|import|show`: the coordinator's OpenPGP key (accord/mailgate/coordinator_key.py).

    accord keys generate --name "Example CERT" --email cert@example.org
    accord keys import secret-key.asc        # an armoured (or binary) secret key; - reads standard input
    accord keys show                         # the fingerprint and the public key

The passphrase is read from the file named by ACCORD_OPENPGP_PASSPHRASE_FILE: a generated key is
protected by it, an imported key must open with it. Without that variable the key has no passphrase.
Every problem is one line on standard error and a non-zero exit status.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.lib import openpgp
from accord.mailgate import coordinator_key


class Command(BaseCommand):
    help = "Set up (generate or import) and show the coordinator's OpenPGP key."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="generate|import|show")
        generate = actions.add_parser("generate", help="Generate a new key (Ed25519 and Curve25519)")
        generate.add_argument("--name", required=True, help="The user ID's name, e.g. 'Example CERT'")
        generate.add_argument("--email", required=True, help="The user ID's address, e.g. cert@example.org")
        generate.add_argument("--replace", action="store_true", help="Replace the key already set up")
        load = actions.add_parser("import", help="Use an existing secret key")
        load.add_argument("file", help="An armoured or binary secret key, or - for standard input")
        load.add_argument("--replace", action="store_true", help="Replace the key already set up")
        actions.add_parser("show", help="Print the fingerprint and the public key")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "show":
                self.show()
                return
            if coordinator_key.is_set_up() and not options["replace"]:
                current = coordinator_key.public_key()
                which = f" ({current.fingerprint})" if current else ""
                raise CommandError(
                    f"A coordinator key is already set up{which}; add --replace to replace it."
                )
            passphrase = coordinator_key.passphrase()
            if action == "generate":
                secret: str | bytes = openpgp.generate_key(options["name"], options["email"], passphrase)
            else:
                secret = self.read(options["file"])
            installed = coordinator_key.install(secret, passphrase)
        except (openpgp.OpenPGPError, coordinator_key.KeyProblem) as exc:
            raise CommandError(str(exc))
        info = installed.info
        protected = "protected by the passphrase in ACCORD_OPENPGP_PASSPHRASE_FILE"
        self.stdout.write(f"The coordinator's key is {info.fingerprint} ({', '.join(info.user_ids)}).")
        self.stdout.write(
            f"Its secret key is {protected if installed.protected else 'not protected by a passphrase'}. "
            "From now on every mail Accord sends is signed with it."
        )

    def read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read(openpgp.MAX_KEY_BYTES + 1)
        try:
            with open(Path(file), "rb") as handle:
                return handle.read(openpgp.MAX_KEY_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{file}: cannot read it ({exc.strerror}).")

    def show(self) -> None:
        key = coordinator_key.public_key()
        if key is None:
            raise CommandError(
                "No coordinator key is set up: run `accord keys generate --name NAME --email EMAIL`"
                " or `accord keys import FILE`."
            )
        self.stdout.write(f"Fingerprint: {key.fingerprint}")
        for user_id in key.user_ids:
            self.stdout.write(f"User ID: {user_id}")
        self.stdout.write(key.armored.rstrip("\n"))
