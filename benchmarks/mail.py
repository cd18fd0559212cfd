"""Measure the mail gateway: inbound throughput (plain, and PGP/MIME encrypted and signed), and the
fan-out of a notification to 2,000 vendors that each have a pinned key.

Each Accord figure stands beside the raw gpg cost of the same work, measured in the same run with
the same parallelism (one worker): gpg in one long-lived home directory, with every key already
imported, which is the floor Accord's pipeline cannot go below. Accord pays more per message: it
checks each key, keeps recipients' keys out of its signing home (so that no key leaks between
organisations), verifies signatures in a fresh home and writes to the database. Writes
benchmarks/results/mail.json.

    .venv/bin/python benchmarks/mail.py [--vendors 2000] [--mails 200]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import socket
import subprocess
import tempfile
import time
import types
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from unittest import mock

import common  # sets Django up: before any Django import (isort keeps it first)
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

# Budgets for one worker on a 2-core machine.
BUDGETS = {
    "ingest, plain (mails/s)": 20.0,
    "ingest, PGP/MIME encrypted and signed (mails/s)": 4.0,
    "fan-out to vendors with keys: queue (s)": 30.0,
    "fan-out to vendors with keys: sign, encrypt and send every mail (s)": 900.0,
}
KEY_VARIETY = 10  # distinct vendor keys, reused round robin (key generation is not what is measured)


class Gpg:
    """gpg in one home directory kept for the whole run: the raw cost, without Accord."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="accord-bench-gpg-"))

    def run(self, *args: str, data: bytes = b"") -> bytes:
        return subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--quiet",
                "--trust-model",
                "always",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                *args,
            ],
            input=data,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout

    def import_key(self, armour: str) -> None:
        self.run("--import", data=armour.encode())

    def close(self) -> None:
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


def fingerprint(armour: str) -> str:
    from accord.lib import openpgp

    return openpgp.fingerprint_of(armour)


class Sink:
    """A real SMTP server on 127.0.0.1 that counts what it receives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.count += 1
        return "250 OK"


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 2) if seconds else 0.0


def figure(name: str, value: float, unit: str, raw: float | None = None, **extra: object) -> dict:
    budget = BUDGETS[name]
    higher_is_better = unit == "mails/s"
    within = value >= budget if higher_is_better else value <= budget
    row = {"figure": name, "value": value, "unit": unit, "budget": budget, "within_budget": within}
    if raw is not None:
        row["raw_gpg"] = raw
    row.update(extra)
    print(f"{name:75} {value:>9} {unit} (budget {budget}{'' if raw is None else f'; raw gpg {raw}'})")
    return row


def vendor_mail(sender: str, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "cert@localhost"
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="vendor.test")
    mail.set_content(body)
    return mail


def pgp_mime(outer: EmailMessage, armour: bytes) -> bytes:
    """An RFC 3156 multipart/encrypted mail with these headers around this OpenPGP message."""
    boundary = "bench-" + make_msgid().strip("<>").replace("@", ".")
    headers = "".join(f"{k}: {v}\r\n" for k, v in outer.items() if k.lower() != "content-type")
    body = (
        f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{boundary}"\r\n'
        "MIME-Version: 1.0\r\n\r\n"
        f"--{boundary}\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
        + armour.decode("ascii").replace("\n", "\r\n")
        + f"\r\n--{boundary}--\r\n"
    )
    return headers.encode() + body.encode()


@contextlib.contextmanager
def outbox_held() -> Iterator[None]:
    """Mail that processing queues (the analysts' notices) waits in the outbox instead of being
    sent in-process: the outbox worker sends it, and the fan-out below measures that."""
    from accord.mailgate import tasks

    held = types.SimpleNamespace(enqueue=lambda *args, **kwargs: None)
    with mock.patch.object(tasks, "send_outbound", held):
        yield


def ingest(world, gpg: Gpg, count: int, coordinator_fpr: str, vendor_fpr: str) -> list[dict]:  # type: ignore[no-untyped-def]
    from accord.mailgate.inbound import receive
    from accord.mailgate.models import InboundMessage

    case = world.case
    sender = str(world.extras["sender"])
    plain = [
        vendor_mail(sender, f"Re: [{case.label}] status {i}", f"Our answer number {i}.\n").as_bytes()
        for i in range(count)
    ]
    parse_start = time.perf_counter()
    import email
    import email.policy

    for raw in plain:
        email.message_from_bytes(raw, policy=email.policy.default).get_body()
    parse_only = time.perf_counter() - parse_start
    start = time.perf_counter()
    with outbox_held():
        for raw in plain:
            receive(raw, "smtp")
    plain_s = time.perf_counter() - start
    processed = InboundMessage.objects.filter(status="processed").count()
    rows = [
        figure(
            "ingest, plain (mails/s)",
            rate(count, plain_s),
            "mails/s",
            mails=count,
            processed=processed,
            stdlib_parse_only_mails_per_s=rate(count, parse_only),
        )
    ]

    secret = [
        gpg.run(
            "--armor",
            "--encrypt",
            "--sign",
            "--local-user",
            vendor_fpr,
            "--recipient",
            coordinator_fpr,
            data=vendor_mail(sender, "", f"Our secret answer number {i}.\n").as_bytes(),
        )
        for i in range(count)
    ]
    encrypted = [
        pgp_mime(vendor_mail(sender, f"Re: [{case.label}] secret {i}", ""), armour)
        for i, armour in enumerate(secret)
    ]
    start = time.perf_counter()
    for armour in secret:
        gpg.run("--decrypt", data=armour)
    raw_s = time.perf_counter() - start
    before = InboundMessage.objects.filter(status="processed").count()
    start = time.perf_counter()
    with outbox_held():
        for raw in encrypted:
            receive(raw, "smtp")
    accord_s = time.perf_counter() - start
    done = InboundMessage.objects.filter(status="processed").count() - before
    verified = InboundMessage.objects.filter(signature="verified").count()
    rows.append(
        figure(
            "ingest, PGP/MIME encrypted and signed (mails/s)",
            rate(count, accord_s),
            "mails/s",
            raw=rate(count, raw_s),
            mails=count,
            processed=done,
            verified=verified,
        )
    )
    return rows


def fan_out(world, gpg: Gpg, vendors: int, keys: list[str], sink: Sink) -> list[dict]:  # type: ignore[no-untyped-def]
    from accord.accounts.models import Organization
    from accord.cases import actions
    from accord.cases.actions.participants import add_vendors, notify_vendors
    from accord.cases.actions.reports import ReportInput
    from accord.cases.models import Participant
    from accord.lib import openpgp
    from accord.mailgate.models import OutboundMessage
    from accord.vendors.actions import upload_key
    from accord.vendors.models import Contact

    report, _ = actions.submit_report(
        ReportInput(product="Fan-out", version="1", description="d", credit=False), by=None
    )
    case = actions.accept_report(report, by=world.analyst)
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Fan-out Vendor {i:05d}", kind="vendor") for i in range(vendors)]
    )
    Contact.objects.bulk_create(
        [Contact(organization=o, email=f"psirt@fanout{i}.test") for i, o in enumerate(orgs)]
    )
    infos = [openpgp.inspect_key(key) for key in keys]
    start = time.perf_counter()
    for i, org in enumerate(orgs):
        upload_key(org, keys[i % len(keys)], by=world.analyst, info=infos[i % len(keys)])
    print(f"pinned {vendors} keys in {time.perf_counter() - start:.1f} s")
    add_vendors(case, orgs, by=world.analyst)
    participants = list(Participant.objects.filter(case=case, kind="vendor"))

    body = b"A notification of the size Accord sends.\n" * 20
    fingerprints = [fingerprint(key) for key in keys]  # outside the clock: gpg alone is measured
    start = time.perf_counter()
    for i in range(vendors):
        gpg.run("--armor", "--encrypt", "--sign", "--recipient", fingerprints[i % len(keys)], data=body)
    raw_s = time.perf_counter() - start

    sent_before = sink.count
    start = time.perf_counter()
    with transaction.atomic():
        notify_vendors(case, participants, by=world.analyst)
        queued_s = time.perf_counter() - start
        # Leaving the block commits, and the in-process task backend sends every row then.
    send_s = time.perf_counter() - start - queued_s
    rows_for_case = OutboundMessage.objects.filter(case=case)
    encrypted = rows_for_case.filter(sent_encrypted=True).count()
    return [
        figure(
            "fan-out to vendors with keys: queue (s)",
            round(queued_s, 2),
            "s",
            vendors=vendors,
            rows=rows_for_case.count(),
        ),
        figure(
            "fan-out to vendors with keys: sign, encrypt and send every mail (s)",
            round(send_s, 2),
            "s",
            raw=round(raw_s, 2),
            vendors=vendors,
            s_per_mail=round(send_s / max(sink.count - sent_before, 1), 4),
            raw_gpg_s_per_mail=round(raw_s / vendors, 4),
            delivered=sink.count - sent_before,
            sent_encrypted=encrypted,
            distinct_keys=len(keys),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=2000)
    parser.add_argument("--mails", type=int, default=200)
    options = parser.parse_args()
    logging.disable(logging.INFO)  # the task backend and the SMTP sink log every mail

    call_command("migrate", verbosity=0)
    from accord.lib import openpgp
    from accord.mailgate import coordinator_key
    from accord.testing import make_world, start_embargo
    from accord.vendors.actions import upload_key
    from accord.vendors.models import Contact

    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.SMTP_URL = f"smtp://127.0.0.1:{port}"
    gpg = Gpg()
    try:
        coordinator = openpgp.generate_key("Bench CERT", "cert@localhost")
        coordinator_key.install(coordinator, None)
        gpg.import_key(coordinator)
        keys: list[str] = []
        start = time.perf_counter()
        for i in range(KEY_VARIETY):
            secret = openpgp.generate_key(f"Vendor {i}", f"psirt@key{i}.test")
            gpg.import_key(secret)
            keys.append(gpg.run("--armor", "--export", f"psirt@key{i}.test").decode("ascii"))
        print(f"made {KEY_VARIETY} vendor keys in {time.perf_counter() - start:.1f} s")

        world = make_world()
        start_embargo(world)
        Contact.objects.create(organization=world.vendor_org, email="psirt@vendor.test")
        upload_key(world.vendor_org, keys[0], by=world.analyst)
        world.extras["sender"] = "psirt@vendor.test"
        coordinator_fpr = fingerprint(gpg.run("--armor", "--export", "cert@localhost").decode("ascii"))
        results = ingest(world, gpg, options.mails, coordinator_fpr, fingerprint(keys[0]))
        results += fan_out(world, gpg, options.vendors, keys, sink)
    finally:
        controller.stop()
        gpg.close()
    common.write_results("mail", parallelism=1, results=results)


if __name__ == "__main__":
    main()
