"""The layers of README.md's "Architecture" hold, and an import against them fails the build.

`lint-imports` reads the contracts in pyproject.toml. The broken variants run it on a copy of
the package with one import added, found through PYTHONPATH ahead of the editable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(package_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=package_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_with(tmp_path: Path, module: str, added: str) -> Path:
    shutil.copytree(ROOT / "pandawa", tmp_path / "pandawa", ignore=shutil.ignore_patterns("*.pyc"))
    target = tmp_path / "pandawa" / module
    target.write_text(target.read_text(encoding="utf-8") + added, encoding="utf-8")
    return tmp_path


def test_the_layers_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added", "broken"),
    [
        # the ticket layer reaching up into a page, hidden inside a function
        (
            "tickets/operations.py",
            "\n\ndef _peek():\n    from pandawa.console import views  # noqa\n",
            "pandawa.tickets.operations -> pandawa.console.views",
        ),
        # the provider layer learning about tickets, at module level
        (
            "channels/ingest.py",
            "\nfrom pandawa.tickets.models import Ticket  # noqa\n",
            "pandawa.channels.ingest -> pandawa.tickets.models",
        ),
        # two features side by side: the dashboard borrowing the console's queries
        (
            "dashboard/exports.py",
            "\nfrom pandawa.console import queries  # noqa\n",
            "pandawa.dashboard.exports -> pandawa.console.queries",
        ),
        # the calendar knowing about users
        (
            "hours/calendar.py",
            "\nfrom pandawa.accounts.models import User  # noqa\n",
            "pandawa.hours.calendar -> pandawa.accounts.models",
        ),
    ],
)
def test_an_import_against_the_layers_fails(tmp_path, module, added, broken):
    result = lint(copy_with(tmp_path, module, added))
    assert result.returncode != 0
    assert broken in result.stdout
