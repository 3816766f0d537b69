"""Settings are read in a fresh process, as a deployment would start."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

STRONG_KEY = secrets.token_urlsafe(50)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    drop = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )


def test_production_without_secret_key_refuses_to_start_with_one_line():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert result.stderr.strip() == "error: SECRET_KEY is not set; with DEBUG off Hindsight needs a strong secret key"


def test_production_with_weak_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0", SECRET_KEY="changeme")
    assert result.returncode != 0
    assert result.stderr.startswith("error: SECRET_KEY is too weak")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_boolean_is_one_clear_line():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert result.stderr.strip() == "error: DEBUG='maybe' is not a boolean (use 1/0, true/false, yes/no, on/off)"


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="hindsight.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_laptop_defaults_are_sqlite_with_wal(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection; c = connection.cursor();"
        "print(connection.vendor, c.execute('PRAGMA journal_mode').fetchone()[0])"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["sqlite", "wal"], result.stderr


def test_bad_database_url_is_one_clear_line():
    result = _manage("check", DATABASE_URL="nonsense://x")
    assert result.returncode != 0
    assert result.stderr.startswith("error: DATABASE_URL is not a database URL")
