"""The README's promises to an operator stay true: two commands on the first screen, every
setting documented, the Procfile as shown, CI running the README's test command."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RUN_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/pandawa dev"
TEST_COMMAND = "scripts/test"


def fenced_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)]


def test_first_screen_has_exactly_the_two_set_up_commands():
    first_screen = "\n".join(README.splitlines()[:40])
    assert fenced_blocks(first_screen) == [RUN_COMMAND, TEST_COMMAND]


def test_every_setting_in_config_is_documented():
    config = (ROOT / "pandawa" / "core" / "config.py").read_text()
    names = set(re.findall(r'env\.get\(\s*"([A-Z][A-Z0-9_]+)"', config))
    assert "DATABASE_URL" in names  # the pattern still finds them
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert names - documented == set()
    procfile = (ROOT / "Procfile").read_text()
    for name in set(re.findall(r"\$\{([A-Z_]+):-", procfile)):
        assert name in documented


def test_procfile_has_the_five_processes_and_the_readme_shows_it():
    procfile = (ROOT / "Procfile").read_text()
    kinds = [line.split(":", 1)[0] for line in procfile.splitlines() if line.strip()]
    assert kinds == ["web", "worker", "beat", "dispatcher", "release"]
    assert "pandawa.wsgi:app" in procfile
    assert re.search(r"^release: pandawa db upgrade && pandawa catalog load$", procfile, re.M)
    assert procfile.strip() in fenced_blocks(README)


def test_ci_runs_the_readme_test_command():
    for script in (ROOT / ".ci" / "run", ROOT / "scripts" / "test"):
        assert os.access(script, os.X_OK), f"{script} is not executable"
    run = (ROOT / ".ci" / "run").read_text()
    assert run.startswith("#!/usr/bin/env bash")
    assert re.search(rf"^exec {re.escape(TEST_COMMAND)}\b", run, re.M)


def test_test_script_never_skips_missing_services():
    script = (ROOT / "scripts" / "test").read_text()
    assert "set -euo pipefail" in script
    assert "pg_isready" in script and "redis-cli" in script
    assert "-m pytest" in script
    assert re.search(r"-eq 5", script)  # "no tests collected" fails the run


def test_architecture_names_every_package_in_its_layer():
    """The diagram shows the layers import-linter enforces, and the table says what each
    package holds: a package added without a place in both fails here."""
    section = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    diagram = fenced_blocks(section)[0]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["type"] == "layers")["layers"]
    packages = {p.name for p in (ROOT / "pandawa").iterdir() if (p / "__init__.py").exists()}
    in_layers = set()
    for layer in layers:
        names = re.split(r"\s*[|:]\s*", layer)
        in_layers.update(names)
        assert re.search(r"\s*[|·]\s*".join(map(re.escape, names)), diagram), layer
    assert packages <= in_layers
    for name in packages:
        assert f"| `{name}`" in section or f"`{name}`," in section, name


def test_production_section_names_the_webhooks():
    for path in ("/webhooks/twilio/whatsapp", "/webhooks/twilio/status", "PUBLIC_BASE_URL"):
        assert path in README.split("## Production", 1)[1]
