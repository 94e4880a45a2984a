"""The back-tests in bench/ run (their figures are for the report, not asserted): the ETA
replay (bench/eta_backtest.py) and the staffing forecast (bench/forecast_backtest.py), each on
a tiny fixture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "args", "header"),
    [
        ("eta_backtest.py", ["--days", "1", "--total", "20000", "--agents", "2"], "med.err"),
        ("forecast_backtest.py", ["--days", "2", "--total", "20000", "--weeks", "2"], "MAE/h"),
    ],
)
def test_the_backtest_runs_and_prints_its_table(script, args, header):
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(header in line for line in lines)
    assert any(line.split()[:1] in (["all"], ["seed"], ["poisson"]) for line in lines)
