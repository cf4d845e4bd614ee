import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a fresh shell has: variables that other tests set in this process
    # must not leak into the settings under test.
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_with_production_environment_passes():
    # Given the variables a production deployment sets
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "peakdesk.example.com",
    }

    # When Django's deployment check runs, failing on any warning
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    # Then it finds nothing
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_settings_without_secret_key_in_production_refuse_to_start():
    # Given production mode without a secret key
    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": ""}

    # When any command loads the settings
    result = run_manage("check", env=env)

    # Then the error names the missing variable
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be a boolean, got 'maybe'."),
        (
            "PEAKDESK_INGEST_MAX_BATCH",
            "many",
            "PEAKDESK_INGEST_MAX_BATCH must be an integer, got 'many'.",
        ),
    ],
)
def test_settings_with_malformed_variable_name_it(name, value, message):
    # Given a malformed environment variable
    env = {name: value}

    # When the settings load
    result = run_manage("check", env=env)

    # Then the error names the variable and the value
    assert result.returncode != 0
    assert message in result.stderr
