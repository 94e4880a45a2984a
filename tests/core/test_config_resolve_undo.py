"""RESOLVE_UNDO_SECONDS (issue 16): how long a console resolution may be undone."""

from __future__ import annotations

import pytest

from pandawa.core.config import ConfigError, Settings


@pytest.mark.parametrize(("value", "seconds"), [(None, 10), ("", 10), ("0", 0), ("30", 30)])
def test_resolve_undo_seconds(tmp_path, value, seconds):
    environ = {"PANDAWA_ENV": "test", "PANDAWA_INSTANCE_PATH": str(tmp_path)}
    if value is not None:
        environ["RESOLVE_UNDO_SECONDS"] = value
    assert Settings.from_env(environ).resolve_undo_seconds == seconds


@pytest.mark.parametrize("value", ["-1", "ten", "2.5", "301"])
def test_resolve_undo_seconds_refuses_what_is_not_0_to_300_seconds(tmp_path, value):
    environ = {"PANDAWA_ENV": "test", "PANDAWA_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="RESOLVE_UNDO_SECONDS"):
        Settings.from_env({**environ, "RESOLVE_UNDO_SECONDS": value})
