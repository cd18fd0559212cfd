"""Settings come from ACCORD_* variables through helpers that fail loudly; production passes
`check --deploy`; every answer carries the security headers."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accord.core.middleware import CONTENT_SECURITY_POLICY
from accord.core.routes import all_routes
from accord.lib import env
from accord.testing import World, login

# --- The helpers -------------------------------------------------------------------------------

NAME = "ACCORD_TEST_KNOB"


@pytest.fixture(autouse=True)
def _unset(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv(NAME, raising=False)
    yield
    env.REGISTRY.pop(NAME, None)  # the README test checks every registered variable


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_reads_booleans(monkeypatch, raw: str, value: bool) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(NAME, raw)
    assert env.env_bool(NAME, not value) is value


def test_env_bool_default_when_unset_or_empty(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert env.env_bool(NAME, True) is True
    monkeypatch.setenv(NAME, "  ")
    assert env.env_bool(NAME, False) is False


@pytest.mark.parametrize("raw", ["2", "maybe", "tru"])
def test_env_bool_refuses_anything_else(monkeypatch, raw: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env.env_bool(NAME, True)


def test_env_int(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert env.env_int(NAME, 7) == 7
    monkeypatch.setenv(NAME, "42")
    assert env.env_int(NAME, 7, minimum=1) == 42
    for bad in ("4.5", "forty", "0x10"):
        monkeypatch.setenv(NAME, bad)
        with pytest.raises(ImproperlyConfigured, match=NAME):
            env.env_int(NAME, 7)
    monkeypatch.setenv(NAME, "0")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}=0 must be at least 1"):
        env.env_int(NAME, 7, minimum=1)


def test_env_choice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert env.env_choice(NAME, "a", ("a", "b")) == "a"
    monkeypatch.setenv(NAME, "b")
    assert env.env_choice(NAME, "a", ("a", "b")) == "b"
    monkeypatch.setenv(NAME, "B")
    with pytest.raises(ImproperlyConfigured, match=NAME) as raised:
        env.env_choice(NAME, "a", ("a", "b"))
    assert "a, b" in str(raised.value)


def test_env_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    default = ["x"]
    got = env.env_list(NAME, default)
    assert got == ["x"]
    got.append("y")
    assert default == ["x"]  # the default is not shared
    monkeypatch.setenv(NAME, " a.example , b.example,, ")
    assert env.env_list(NAME, default) == ["a.example", "b.example"]


def test_env_path(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert env.env_path(NAME, tmp_path / "d") == (tmp_path / "d").resolve()
    monkeypatch.setenv(NAME, "~/accord-data")
    assert env.env_path(NAME, tmp_path) == Path.home().resolve() / "accord-data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(NAME, "relative/dir")
    resolved = env.env_path(NAME, Path("/"))
    assert resolved.is_absolute()
    assert resolved == tmp_path.resolve() / "relative" / "dir"


def test_env_str_and_optional(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert env.env_str(NAME, "dflt") == "dflt"
    assert env.env_optional(NAME) is None
    monkeypatch.setenv(NAME, " value ")
    assert env.env_str(NAME, "dflt") == "value"
    assert env.env_optional(NAME) == "value"


def test_variables_must_be_named_accord(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEBUG", "1")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env.env_bool("DEBUG", False)


def test_every_variable_read_is_registered_with_help() -> None:
    env.env_int(NAME, 3, "A knob for this test.")
    assert env.REGISTRY[NAME] == env.Variable(NAME, "3", "A knob for this test.")
    # The settings module registered its own variables when it was loaded.
    for name in ("ACCORD_DEBUG", "ACCORD_DATABASE_URL", "ACCORD_SECRET_KEY_FILE", "ACCORD_SMTP_URL"):
        assert name in env.REGISTRY
        assert env.REGISTRY[name].help


def test_secret_files(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("  s3cret\n", encoding="utf-8")
    assert env.read_secret_file(NAME, str(key)) == "s3cret"
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env.read_secret_file(NAME, str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}: .* is empty"):
        env.read_secret_file(NAME, str(tmp_path / "empty"))


# --- Production configuration, in a fresh process ---------------------------------------------------------


def accord(args: list[str], env_vars: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        env={**clean, **env_vars},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(45)[:60], encoding="utf-8")
    return {
        "ACCORD_DEBUG": "0",
        "ACCORD_SECRET_KEY_FILE": str(key_file),
        "ACCORD_ALLOWED_HOSTS": "accord.example.org",
        "ACCORD_HTTPS": "1",
        "ACCORD_HSTS_SECONDS": "31536000",
        "ACCORD_HSTS_INCLUDE_SUBDOMAINS": "1",
        "ACCORD_HSTS_PRELOAD": "1",
        "ACCORD_DATA_DIR": str(tmp_path / "data"),
    }


def test_a_production_configuration_passes_the_deploy_check(tmp_path: Path) -> None:
    result = accord(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_catches_a_missing_https_setting(tmp_path: Path) -> None:
    settings = production_env(tmp_path)
    settings["ACCORD_HTTPS"] = "0"
    result = accord(["check", "--deploy", "--fail-level", "WARNING"], settings, tmp_path)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    settings = production_env(tmp_path)
    del settings["ACCORD_SECRET_KEY_FILE"]
    result = accord(["check"], settings, tmp_path)
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY_FILE" in result.stderr


def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    result = accord(["check"], {"ACCORD_DATA_DIR": str(tmp_path), "ACCORD_HSTS_SECONDS": "a year"}, tmp_path)
    assert result.returncode != 0
    assert "ACCORD_HSTS_SECONDS" in result.stderr


def test_a_database_url_must_be_postgresql(tmp_path: Path) -> None:
    result = accord(
        ["check"], {"ACCORD_DATA_DIR": str(tmp_path), "ACCORD_DATABASE_URL": "mysql://x@y/z"}, tmp_path
    )
    assert result.returncode != 0
    assert "ACCORD_DATABASE_URL" in result.stderr


def test_development_needs_no_variables(tmp_path: Path) -> None:
    result = accord(["check"], {"ACCORD_DATA_DIR": str(tmp_path)}, tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert key.exists()
    assert oct(key.stat().st_mode & 0o777) == "0o600"


# --- Security headers on every answer --------------------------------------------------------------------------

PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def every_get_url() -> list[str]:
    urls = []
    for route in all_routes():
        if "GET" not in route.methods:
            continue
        urls.append("/" + PARAM.sub("1", route.pattern).removeprefix("/"))
    return sorted(set(urls)) + ["/no/such/page/"]


def script_src(policy: str) -> str:
    for directive in policy.split(";"):
        parts = directive.split()
        if parts and parts[0] == "script-src":
            return directive
    raise AssertionError(f"no script-src in {policy!r}")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "analyst"])
def test_every_answer_has_the_security_headers(world: World, persona: str) -> None:
    client = login(Client(), world.persona(persona))
    urls = every_get_url()
    assert len(urls) > 10
    for url in urls:
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        assert policy, url
        assert "frame-ancestors 'none'" in policy, url
        # The API docs too: Swagger UI comes from this instance's static files.
        assert "'unsafe-inline'" not in policy, url
        assert "'unsafe-eval'" not in policy, url
        assert response.get("X-Frame-Options") == "DENY", url
        assert response.get("X-Content-Type-Options") == "nosniff", url
        assert response.get("Referrer-Policy") == "same-origin", url


@pytest.mark.django_db
def test_the_api_docs_load_only_this_instances_assets(client: Client) -> None:
    """On 633bd74 they came from a CDN, which the CSP blocked: the page stayed blank."""
    from django.contrib.staticfiles import finders

    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    for tag in re.findall(r"<script\b[^>]*>", html):  # no inline script: JSON data or a file
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_pages_have_no_inline_scripts(world: World) -> None:
    client = login(Client(), world.analyst)
    for url in ("/accounts/login/", "/dashboard/", "/accounts/profile/", "/accounts/tokens/"):
        html = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url
