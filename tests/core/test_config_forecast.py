"""FORECAST_WEEKS (issue 17): weeks of arrivals the staffing forecast averages."""

from __future__ import annotations

import pytest

from pandawa.core.config import ConfigError, Settings


@pytest.mark.parametrize(("value", "weeks"), [(None, 6), ("", 6), ("1", 1), ("8", 8), ("26", 26)])
def test_forecast_weeks(tmp_path, value, weeks):
    environ = {"PANDAWA_ENV": "test", "PANDAWA_INSTANCE_PATH": str(tmp_path)}
    if value is not None:
        environ["FORECAST_WEEKS"] = value
    assert Settings.from_env(environ).forecast_weeks == weeks


@pytest.mark.parametrize("value", ["0", "-1", "six", "2.5", "27"])
def test_forecast_weeks_refuses_what_is_not_1_to_26(tmp_path, value):
    environ = {"PANDAWA_ENV": "test", "PANDAWA_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="FORECAST_WEEKS"):
        Settings.from_env({**environ, "FORECAST_WEEKS": value})
