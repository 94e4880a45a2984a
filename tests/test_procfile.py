"""A bare clone starts: every Procfile line, exactly as written, with only the documented
production settings, against a PostgreSQL database and a Redis db of its own.

The tree is copied as git sees it (`git ls-files -co --exclude-standard`: tracked files plus
untracked ones not ignored, so locally the uncommitted work and in CI the commit), which leaves
out `instance/`, `.venv/` and everything else generated. `release` must exit 0; then `web`,
`worker`, `beat` and `dispatcher` run together for RUN_SECONDS, and none may exit. Meanwhile
`/healthz` and `/readyz` must answer 200, the latter once beat, a worker and the dispatcher
have stamped their heartbeats.

The only environment beyond the settings: PATH (the venv's bin first, as a platform puts its
runtime's), PYTHONPATH (the copy, which stands in for installing it: the venv's editable
install points at this checkout), and PROMETHEUS_MULTIPROC_DIR and the concurrencies, which
are documented settings, pointed at a directory that does not exist yet and kept small.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.harness import PUBLIC_BASE_URL, TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.services import temporary_database, temporary_redis_db
from tests.stack import free_port, stop_process, wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
RUN_SECONDS = 20.0  # how long web, worker and beat must keep running together
LONG_RUNNING = ("web", "worker", "beat", "dispatcher")


def procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes by name, each command exactly as written."""
    lines = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            lines[name.strip()] = command.strip()
    return lines


def bare_clone(into: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not in the clone
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def production_environ(clone: Path, database_url: str, redis_url: str, tmp: Path) -> dict:
    venv_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(clone),
        "PANDAWA_ENV": "production",
        "SECRET_KEY": "procfile-test-secret-key-0123456789",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "WHATSAPP_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "METRICS_TOKEN": "procfile-test-metrics-token",
        "PORT": str(free_port()),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics" / "not-yet"),
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "2",
    }


def _get(url: str) -> requests.Response | None:
    try:
        return requests.get(url, timeout=3)
    except (requests.ConnectionError, requests.Timeout):
        return None


def _tail(log: Path, lines: int = 25) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "".join(text.splitlines(True)[-lines:])


def test_every_procfile_process_starts_from_a_bare_clone(tmp_path):
    clone = bare_clone(tmp_path / "clone")
    assert not (clone / "instance").exists()
    commands = procfile(clone / "Procfile")
    assert set(commands) == {"release", *LONG_RUNNING}
    logs = tmp_path / "logs"
    logs.mkdir()

    with temporary_database("pandawa_procfile") as database_url, temporary_redis_db() as redis:
        env = production_environ(clone, database_url, redis, tmp_path)
        release = _start(commands["release"], clone, env, logs / "release.log")
        try:
            code = release.wait(timeout=180)
        finally:
            stop_process(release)  # its whole group, had it hung
        assert code == 0, _tail(logs / "release.log", 60)

        processes: dict[str, subprocess.Popen] = {}
        try:
            for name in LONG_RUNNING:
                processes[name] = _start(commands[name], clone, env, logs / f"{name}.log")
            started = time.monotonic()
            base = f"http://127.0.0.1:{env['PORT']}"

            def running() -> None:
                exited = {n: p.returncode for n, p in processes.items() if p.poll() is not None}
                assert not exited, f"exited: {exited}\n" + "\n".join(
                    f"--- {n}.log ---\n{_tail(logs / f'{n}.log')}" for n in exited
                )

            def ready() -> dict | None:
                running()
                answer = _get(base + "/readyz")
                if answer is not None and answer.status_code == 200:
                    body = answer.json()
                    fresh = body["worker"] == "ok" and body["dispatcher"] == "ok"
                    return body if fresh else None
                return None

            body = wait_until(
                ready, 90, interval=0.5, what="/readyz 200 with beat, worker and dispatcher"
            )
            assert body["checks"] == {
                "database": "ok",
                "broker": "ok",
                "redis": "ok",
                "beat": "ok",
            }
            assert _get(base + "/healthz").status_code == 200
            # the rest of the run: every process keeps running
            while time.monotonic() - started < RUN_SECONDS:
                running()
                time.sleep(0.5)
            running()
            assert (clone / "instance" / "celerybeat-schedule").exists() or any(
                (clone / "instance").glob("celerybeat-schedule*")
            )
            assert Path(env["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
        finally:
            for proc in processes.values():
                stop_process(proc)
            for name in processes:
                sys.stderr.write(
                    f"\n--- procfile {name}.log (tail) ---\n{_tail(logs / f'{name}.log')}"
                )


def _start(command: str, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """`bash -c` the Procfile's line in the clone, in a process group (session) of its own."""
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
