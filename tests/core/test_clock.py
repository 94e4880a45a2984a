from datetime import UTC, datetime, timedelta, timezone

import pytest

from pandawa.app import create_app
from pandawa.core.clock import FileClock, clock_from_setting, now
from pandawa.core.config import ConfigError, Settings


def test_file_clock_is_shared_through_a_file(tmp_path):
    path = tmp_path / "clock"
    writer, reader = FileClock(str(path)), clock_from_setting(f"file:{path}")
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=7)))
    writer.set(saturday)
    assert reader.now() == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert reader.now().tzinfo is UTC


def test_the_app_takes_its_clock_from_the_setting(tmp_path):
    path = tmp_path / "clock"
    FileClock(str(path)).set(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    app = create_app({"PANDAWA_CLOCK": f"file:{path}", "PANDAWA_INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        assert now() == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_a_rehearsal_clock_is_refused_in_production(tmp_path):
    with pytest.raises(ConfigError, match="PANDAWA_CLOCK"):
        Settings.from_env(
            {
                "PANDAWA_ENV": "production",
                "WHATSAPP_PROVIDER": "twilio",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": "t" * 32,
                "PUBLIC_BASE_URL": "https://wa.example.go.id",
                "METRICS_TOKEN": "m" * 32,
                "SECRET_KEY": "x" * 32,
                "PANDAWA_CLOCK": f"file:{tmp_path}/c",
            }
        )
    with pytest.raises(ConfigError, match="PANDAWA_CLOCK"):
        Settings.from_env({"PANDAWA_CLOCK": "tomorrow"})
