import pytest
from django.conf import settings

from accord.testing import World, make_world


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    # Jobs run in-process at commit; mail goes to a per-test sink; no lockouts across tests.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SMTP_URL = f"file://{tmp_path / 'mail'}"
    # No coordinator key unless a test sets one up (`accord keys`): mail goes unsigned.
    settings.OPENPGP_DIR = tmp_path / "openpgp"
    settings.OPENPGP_PASSPHRASE_FILE = None
    # Django's test setup swaps in its locmem mail backend; Accord's mail goes through the outbox.
    settings.EMAIL_BACKEND = "accord.mailgate.backend.OutboxBackend"
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return make_world()


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Keep every revision the suite publishes, for the export test that runs last.
    from django.db.models.signals import post_save

    from accord.publication.models import Revision
    from tests import published_revisions

    post_save.connect(published_revisions.record, sender=Revision, dispatch_uid="tests-published-revisions")


LAST = "test_every_published_revision.py"


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    # The export test of every published revision reads what the other tests published: run it last.
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith(LAST))


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    return f"database: {settings.DATABASES['default']['ENGINE']}"
