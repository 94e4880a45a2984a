"""Settings from the environment: bad values stop the process with the variable's name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pandawa.core.config import ConfigError, Settings


@pytest.fixture
def base(tmp_path) -> dict[str, str]:
    return {"PANDAWA_INSTANCE_PATH": str(tmp_path / "instance")}


def settings(base: dict[str, str], **values: str) -> Settings:
    return Settings.from_env({**base, **values})


def test_embedded_defaults(base, tmp_path):
    s = settings(base)
    instance = tmp_path / "instance"
    assert s.database_url == f"sqlite:///{instance / 'pandawa.sqlite'}"
    assert s.celery_broker_url == f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
    assert s.whatsapp_provider == "simulator"
    assert s.redis_url is None
    assert s.public_base_url == "http://127.0.0.1:5000"
    assert s.twilio_api_base_url == "https://api.twilio.com"


def test_unknown_provider_is_refused(base):
    with pytest.raises(ConfigError, match="WHATSAPP_PROVIDER"):
        settings(base, WHATSAPP_PROVIDER="telegram")


def test_twilio_needs_account_sid(base):
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        settings(base, WHATSAPP_PROVIDER="twilio", TWILIO_AUTH_TOKEN="secret-token")


def test_twilio_needs_auth_token(base):
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        settings(base, WHATSAPP_PROVIDER="twilio", TWILIO_ACCOUNT_SID="AC" + "1" * 32)


def test_twilio_with_credentials(base):
    s = settings(
        base,
        WHATSAPP_PROVIDER="Twilio",
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="secret-token",
    )
    assert s.whatsapp_provider == "twilio"
    assert s.twilio_account_sid == "AC" + "1" * 32


@pytest.mark.parametrize(
    "given",
    [
        "postgres://u:p@db.internal:5432/pandawa",
        "postgresql://u:p@db.internal:5432/pandawa",
        "postgresql+psycopg://u:p@db.internal:5432/pandawa",
    ],
)
def test_platform_database_urls_run_on_psycopg3(base, given):
    s = settings(base, DATABASE_URL=given)
    assert s.database_url == "postgresql+psycopg://u:p@db.internal:5432/pandawa"


@pytest.mark.parametrize("given", ["mysql://u@h/db", "not a url"])
def test_unsupported_database_url(base, given):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        settings(base, DATABASE_URL=given)


@pytest.mark.parametrize(
    "given", ["pandawa.example.go.id", "ftp://pandawa.example.go.id", "https://"]
)
def test_bad_public_base_url(base, given):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        settings(base, PUBLIC_BASE_URL=given)


def test_public_base_url_loses_trailing_slash(base):
    s = settings(base, PUBLIC_BASE_URL="https://pandawa.example.go.id/")
    assert s.public_base_url == "https://pandawa.example.go.id"


def test_bad_broker_url(base):
    with pytest.raises(ConfigError, match="CELERY_BROKER_URL"):
        settings(base, CELERY_BROKER_URL="kafka://broker:9092")


def test_bad_redis_url(base):
    with pytest.raises(ConfigError, match="REDIS_URL"):
        settings(base, REDIS_URL="http://127.0.0.1:6379")


PRODUCTION = {
    "PANDAWA_ENV": "production",
    "WHATSAPP_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://wa.example.go.id",
    "METRICS_TOKEN": "m" * 32,
}


def test_production_requires_secret_key(base, tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings(base, **PRODUCTION)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_short_secret_key_is_refused(base):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings(base, SECRET_KEY="short")


def test_development_secret_key_is_generated_once_and_kept(base, tmp_path):
    first = settings(base).secret_key
    second = settings(base).secret_key
    assert first == second
    assert len(first) >= 32
    kept = tmp_path / "instance" / "secret_key"
    assert kept.read_text().strip() == first
    assert kept.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_each_instance_gets_its_own_secret_key(tmp_path):
    one = Settings.from_env({"PANDAWA_INSTANCE_PATH": str(tmp_path / "one")}).secret_key
    two = Settings.from_env({"PANDAWA_INSTANCE_PATH": str(tmp_path / "two")}).secret_key
    assert one != two


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_TIMEOUT_SECONDS", "0"),
        ("TWILIO_TIMEOUT_SECONDS", "soon"),
        ("PANDAWA_SWEEP_AFTER_SECONDS", "-5"),
        ("LOG_LEVEL", "chatty"),
        ("PANDAWA_ENV", "staging"),
    ],
)
def test_bad_operational_settings(base, name, value):
    with pytest.raises(ConfigError, match=name):
        settings(base, **{name: value})


def test_missing_catalogue_file(base, tmp_path):
    with pytest.raises(ConfigError, match="PANDAWA_CATALOG"):
        settings(base, PANDAWA_CATALOG=str(tmp_path / "nowhere.yaml"))


def pandawa_command() -> str:
    script = Path(sys.executable).with_name("pandawa")
    assert script.is_file(), f"the console script is not installed next to {sys.executable}"
    return str(script)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WHATSAPP_PROVIDER", "pigeon"),
        ("DATABASE_URL", "mysql://root@localhost/pandawa"),
    ],
)
def test_console_script_reports_bad_settings(tmp_path, name, value):
    env = {"PATH": "/usr/bin:/bin", "PANDAWA_INSTANCE_PATH": str(tmp_path), name: value}
    done = subprocess.run(
        [pandawa_command(), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pandawa.sqlite").exists()  # it stopped before touching anything
