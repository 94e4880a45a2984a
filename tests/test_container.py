"""The container stack (Dockerfile, compose.yaml, scripts/procfile-run) keeps its promises.

No container engine runs where these tests run (nor `docker compose config`, which needs the
compose plugin), so the files are read as text and YAML: the stack's shape, the image's final
stage, and every setting handed to the app. scripts/procfile-run, the image's entry point, runs
for real against the Procfile with stand-in executables. docs/deploy.md is held to the code.

In place of building the image, the e2e test at the end rehearses its start-up sequence
without containers: the package installed as the builder stage installs it (not editable),
/app holding exactly what the final stage copies, the image's ENV and the laptop trial's
settings, then release, web, worker and beat through scripts/procfile-run against real
PostgreSQL and Redis, the HEALTHCHECK command, and SIGTERM as `docker stop` sends it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROCFILE_RUN = ROOT / "scripts" / "procfile-run"
APP_SERVICES = ("release", "web", "worker", "beat", "dispatcher")
LONG_RUNNING = ("web", "worker", "beat", "dispatcher")
# variables compose.yaml reads for itself (never app settings), documented in .env.example
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "PANDAWA_HTTP_PORT"}
# the interpreter's own, set in the image
PYTHON_ENV = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
BUILD_TOOLS = ("gcc", "g++", "build-essential", "make", "libpq-dev", "python3-dev", "clang")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def documented_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped), per stage."""
    text = (ROOT / "Dockerfile").read_text()
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}".strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        logical.append(pending)
        pending = ""
    stages: list[list[str]] = []
    for instruction in logical:
        if instruction.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [i[len(keyword) + 1 :] for i in stage if i.upper().startswith(keyword + " ")]


def test_compose_has_the_whole_stack_with_its_volumes():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert re.fullmatch(r"postgres:1[5-9](\.\d+)?", services["postgres"]["image"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    # web serves the media the worker fetched: the same named volume on the image's /data
    mounts = {name: set(services[name]["volumes"]) for name in APP_SERVICES}
    assert "pandawa-data:/data" in mounts["web"] & mounts["worker"]
    assert "pandawa-backups:/backups" in mounts["worker"]  # BACKUP_DIR in the image
    assert {"postgres-data", "pandawa-data", "pandawa-backups"} <= set(compose()["volumes"])
    assert services["web"]["ports"] == ["${PANDAWA_HTTP_PORT:-5000}:5000"]


def test_exactly_one_beat():
    services = compose()["services"]
    beat = services["beat"]
    assert "replicas" not in beat.get("deploy", {})
    assert "scale" not in beat
    runs_beat = [name for name, svc in services.items() if "beat" in svc.get("command", [])]
    assert runs_beat == ["beat"]
    text = (ROOT / "compose.yaml").read_text()
    assert re.search(r"#.*[Ee]xactly one beat", text), "say why there is one beat"


def test_release_runs_once_before_web_worker_and_beat():
    services = compose()["services"]
    release = services["release"]
    assert release["restart"] == "no"
    for needed in ("postgres", "redis"):
        assert release["depends_on"][needed]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["release"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert services[name]["restart"] == "unless-stopped", name
    # docker stop waits longer than gunicorn's graceful timeout before it kills
    graceful = int(re.search(r"--graceful-timeout (\d+)", procfile()["web"]).group(1))
    assert int(services["web"]["stop_grace_period"].removesuffix("s")) > graceful


def test_every_container_runs_its_procfile_line():
    processes = procfile()
    services = compose()["services"]
    for name in APP_SERVICES:
        assert services[name]["command"] == ["scripts/procfile-run", name]
        assert name in processes
    final = dockerfile_stages()[-1]
    assert instructions(final, "CMD") == ['["scripts/procfile-run", "web"]']
    copied = " ".join(instructions(final, "COPY"))
    for needed in ("Procfile", "gunicorn.conf.py", "scripts/procfile-run", "migrations"):
        assert needed in copied
    assert os.access(PROCFILE_RUN, os.X_OK)


def run_procfile(name: str, tmp_path: Path, procfile_path: Path | None = None, **env: str):
    """procfile-run NAME with stand-ins for gunicorn, celery and pandawa that print their pid,
    name, arguments and the metrics directory they were given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("gunicorn", "celery", "pandawa"):
        fake = bin_dir / tool
        fake.write_text(
            '#!/bin/sh\necho "$$ $(basename "$0") $* metrics=${PROMETHEUS_MULTIPROC_DIR-}"\n'
        )
        fake.chmod(0o755)
    environ = {"PATH": f"{bin_dir}:/usr/bin:/bin", **env}
    if procfile_path is not None:
        environ["PROCFILE"] = str(procfile_path)
    proc = subprocess.Popen(
        [str(PROCFILE_RUN), name], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = proc.communicate(timeout=30)
    return proc.pid, proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "name, tool", [("web", "gunicorn"), ("worker", "celery"), ("beat", "celery")]
)
def test_procfile_run_execs_the_real_line_in_its_own_place(tmp_path, name, tool):
    pid, code, out, err = run_procfile(name, tmp_path)
    assert code == 0, err
    fake_pid, ran, *_ = out.split()
    # exec, not a child: the container's SIGTERM reaches gunicorn or celery themselves
    assert int(fake_pid) == pid
    assert ran == tool
    assert procfile()[name].split(f"{tool} ", 1)[1].split()[0] in out  # its first argument


def test_procfile_run_expands_the_defaults_and_the_settings(tmp_path):
    _, _, out, _ = run_procfile("web", tmp_path)
    assert " -w 2 " in out and " --threads 32 " in out and "0.0.0.0:5000" in out
    assert "pandawa.wsgi:app" in out and out.strip().endswith("metrics=/tmp/pandawa-metrics")
    _, _, out, _ = run_procfile(
        "web", tmp_path, WEB_CONCURRENCY="3", PORT="8080", PROMETHEUS_MULTIPROC_DIR="/m"
    )
    assert " -w 3 " in out and "0.0.0.0:8080" in out and out.strip().endswith("metrics=/m")


def test_procfile_run_runs_a_compound_release_line_whole(tmp_path):
    release = procfile()["release"]
    _, code, out, err = run_procfile("release", tmp_path)
    assert code == 0, err
    ran = [line.split(" ", 1)[1] for line in out.splitlines()]
    expected = [part.strip() for part in release.split("&&")]
    assert [line.rsplit(" metrics=", 1)[0] for line in ran] == expected


def test_procfile_run_stops_at_a_failing_step_and_an_unknown_name(tmp_path):
    fake = tmp_path / "Procfile"
    fake.write_text("release: false && pandawa catalog load\nweb: gunicorn app\n")
    _, code, out, _ = run_procfile("release", tmp_path, fake)
    assert code != 0 and "catalog" not in out
    _, code, _, err = run_procfile("nope", tmp_path, fake)
    assert code == 64 and "no process 'nope'" in err
    # a name is a whole process name, not a prefix of another
    _, code, _, _ = run_procfile("we", tmp_path, fake)
    assert code == 64


def test_image_final_stage_is_small_non_root_and_checks_its_health():
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: dependencies are built apart from the image"
    builder, final = stages[0], stages[-1]
    arg = next(i for i in (ROOT / "Dockerfile").read_text().splitlines() if i.startswith("ARG "))
    assert re.search(r"python:3\.11-slim", arg)
    assert all(i.startswith("FROM ${PYTHON_IMAGE}") for i in (builder[0], final[0]))

    runs = " ".join(instructions(builder, "RUN"))
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert "pip install --no-deps ." in runs
    assert any("--from=builder /opt/venv" in c for c in instructions(final, "COPY"))

    final_runs = " ".join(instructions(final, "RUN"))
    for tool in BUILD_TOOLS:
        assert not re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", final_runs), tool
    assert "--no-install-recommends postgresql-client" in final_runs  # pg_dump for backups
    assert "pip install" not in final_runs

    users = instructions(final, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert users[-1].split(":")[0] == "10001"
    healthcheck = " ".join(instructions(final, "HEALTHCHECK"))
    assert "/healthz" in healthcheck and '"python"' in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck
    assert instructions(final, "EXPOSE") == ["5000"]
    assert instructions(final, "WORKDIR") == ["/app"]

    env = dockerfile_env(final)
    assert env["PANDAWA_INSTANCE_PATH"].startswith("/data/")
    assert env["MEDIA_STORAGE_DIR"].startswith("/data/")
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    assert env["BACKUP_DIR"] == "/backups"
    assert instructions(final, "VOLUME") == ['["/data", "/backups"]']


def dockerfile_env(stage: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in instructions(stage, "ENV"):
        env.update(re.findall(r"([A-Z][A-Z0-9_]*)=(\S+)", line))
    return env


def app_environment(service: dict) -> set[str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return {item.split("=", 1)[0] for item in environment}
    return set(environment)


def test_every_variable_handed_to_the_app_is_a_documented_setting():
    documented = documented_settings()
    assert "DATABASE_URL" in documented  # the README table is still found
    services = compose()["services"]
    for name in APP_SERVICES:
        assert app_environment(services[name]) - documented == set(), name
        assert services[name]["env_file"] == [{"path": ".env", "required": False}]
    postgres = app_environment(services["postgres"])
    assert all(key.startswith("POSTGRES_") for key in postgres)

    text = (ROOT / "compose.yaml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert interpolated - documented - COMPOSE_ONLY == set()

    # .env becomes every app container's environment: the template names only settings
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.M))
    assert {"PANDAWA_ENV", "SECRET_KEY", "METRICS_TOKEN", "PUBLIC_BASE_URL"} <= names
    assert names - documented - COMPOSE_ONLY == set()
    assert COMPOSE_ONLY <= names & interpolated
    # no secret in the committed template: the secret settings are left empty
    for secret in ("SECRET_KEY", "METRICS_TOKEN", "TWILIO_AUTH_TOKEN"):
        assert re.search(rf"^#?\s*{secret}=\s*(#|$)", example, re.M), secret

    image_env = set(dockerfile_env(dockerfile_stages()[-1]))
    assert image_env - documented - PYTHON_ENV == set()


def test_local_state_and_secrets_stay_out_of_the_image_and_the_repository():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".git", ".env", ".venv", "instance", "tests"} <= ignored
    for stage in dockerfile_stages():
        for copy in instructions(stage, "COPY"):
            if copy.startswith("--from="):
                continue
            for source in copy.split()[:-1]:  # what the build needs is sent to it
                assert not any(fnmatch(source, pattern) for pattern in ignored), source
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# -- docs/deploy.md: the operator's path, in both languages, true to the code ------------------

DEPLOY = ROOT / "docs" / "deploy.md"


def deploy_halves() -> tuple[str, str]:
    text = DEPLOY.read_text()
    indonesian, english = text.split("\n## English\n", 1)
    return indonesian.split("\n## Bahasa Indonesia\n", 1)[1], english


def test_deploy_doc_has_the_same_sections_in_both_languages():
    indonesian, english = deploy_halves()

    def shape(half: str) -> list[str]:
        return re.findall(r"^(#{3,4}) ", half, re.M)

    assert len(shape(english)) >= 10
    assert shape(indonesian) == shape(english)
    for half in (indonesian, english):
        numbered = re.findall(r"^### (\d+)\. ", half, re.M)
        assert numbered == [str(n) for n in range(1, len(numbered) + 1)]


def test_deploy_doc_names_everything_production_requires_or_refuses():
    config = (ROOT / "pandawa" / "core" / "config.py").read_text()
    blocks = re.findall(r"ConfigError\((.*?)\)\n", config, re.S)
    named = {
        re.search(r'"([A-Z][A-Z0-9_]+)', block).group(1)
        for block in blocks
        if "production" in block
    }
    assert {"SECRET_KEY", "METRICS_TOKEN", "PANDAWA_CLOCK", "FLASK_DEBUG"} <= named
    for half in deploy_halves():
        for name in named | {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TRUSTED_PROXIES"}:
            assert f"`{name}`" in half, name
        for path in ("/webhooks/twilio/whatsapp", "/webhooks/twilio/status", "(backup.md)"):
            assert path in half, path
        assert "release → web → worker → beat" in half


def test_deploy_doc_metrics_and_settings_exist():
    sources = " ".join(
        (ROOT / "pandawa" / path).read_text()
        for path in ("core/metrics.py", "reports/board.py", "health/views.py", "core/outbox.py")
    )
    defined = set(re.findall(r'"(pandawa_[a-z_]+)"', sources))
    text = DEPLOY.read_text()
    for name in set(re.findall(r"\bpandawa_[a-z_]*[a-z*]", text)):
        if name.endswith("_*"):  # a family: pandawa_tasks_*
            assert any(d.startswith(name[:-1]) for d in defined), name
        else:
            assert name.removesuffix("_total") in defined, name
    documented = documented_settings()
    words = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})(?:=[^`]*)?`", text))
    assert words - documented - {"HSTS"} == set()


# -- the image's start-up sequence, rehearsed without a container engine ----------------------


def image_layout(tmp: Path) -> tuple[Path, dict[str, str]]:
    """What the Dockerfile builds, laid out under `tmp`: the package installed (not editable)
    into a site directory standing for /opt/venv, WORKDIR /app with exactly the files the
    final stage COPYs, the folders it creates, and its ENV with /app, /data, /backups and /tmp
    mapped under `tmp`."""
    from tests.test_procfile import bare_clone

    clone = bare_clone(tmp / "clone")
    site = tmp / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", str(site), str(clone)], check=True, capture_output=True, timeout=300
    )
    final = dockerfile_stages()[-1]
    (workdir,) = instructions(final, "WORKDIR")
    places = {"/app": tmp / "app", "/data": tmp / "data", "/backups": tmp / "backups"}
    places["/tmp"] = tmp / "tmp"

    def mapped(path: str) -> Path:
        for prefix, there in places.items():
            if path == prefix or path.startswith(prefix + "/"):
                return there / path[len(prefix) :].lstrip("/")
        raise AssertionError(f"unexpected path in the Dockerfile: {path}")

    for run in instructions(final, "RUN"):
        for folders in re.findall(r"install -d [^&]*?((?: /[\w/]+)+)", run):
            for folder in folders.split():
                mapped(folder).mkdir(parents=True, exist_ok=True)
    app = mapped(workdir)
    for copy in instructions(final, "COPY"):
        if copy.startswith("--from="):
            continue
        *sources, dest = copy.split()
        target = app / dest if not dest.startswith("/") else mapped(dest)
        for source in sources:
            to = target / Path(source).name if dest.endswith("/") else target
            to.parent.mkdir(parents=True, exist_ok=True)
            if (clone / source).is_dir():
                shutil.copytree(clone / source, to)
            else:
                shutil.copy2(clone / source, to)
    env = {}
    for name, value in dockerfile_env(final).items():
        if name == "PATH":
            value = f"{site / 'bin'}:{Path(sys.executable).parent}:/usr/bin:/bin"
        elif value.startswith("/"):
            value = str(mapped(value))
        env[name] = value
    env["PYTHONPATH"] = str(site)  # the virtualenv's site-packages
    return app, env


def laptop_trial_settings() -> dict[str, str]:
    """The settings .env.example gives a laptop trial (its uncommented lines), without the
    variables only compose reads."""
    example = (ROOT / ".env.example").read_text()
    pairs = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(\S*)", example, re.M))
    return {k: v for k, v in pairs.items() if k not in COMPOSE_ONLY}


@pytest.mark.e2e
def test_the_image_starts_release_then_web_worker_and_beat_and_stops_on_sigterm(tmp_path):
    from tests.services import temporary_database, temporary_redis_db
    from tests.stack import free_port, stop_process, wait_until

    app, env = image_layout(tmp_path)
    assert sorted(p.name for p in app.iterdir()) == [
        "Procfile",
        "gunicorn.conf.py",
        "migrations",
        "scripts",
    ]
    settings = laptop_trial_settings()
    assert settings["PANDAWA_ENV"] == "development"
    assert settings["WHATSAPP_PROVIDER"] == "simulator"
    declared = " ".join(instructions(dockerfile_stages()[-1], "HEALTHCHECK"))
    healthcheck = json.loads(declared.split(" CMD ", 1)[1])  # ["python", "-c", "…"]
    logs = tmp_path / "logs"
    logs.mkdir()

    with temporary_database("pandawa_image") as database_url, temporary_redis_db() as redis:
        env.update(settings)
        # compose's environment, its services replaced by this run's
        env.update(DATABASE_URL=database_url, CELERY_BROKER_URL=redis, REDIS_URL=redis)
        env.update(PORT=str(free_port()), WEB_CONCURRENCY="1", WORKER_CONCURRENCY="2")
        release = subprocess.run(
            ["scripts/procfile-run", "release"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert release.returncode == 0, release.stdout[-3000:] + release.stderr[-3000:]
        # development's secret key, made once by release in the shared volume, for the others
        assert (Path(env["PANDAWA_INSTANCE_PATH"]) / "secret_key").is_file()

        processes: dict[str, subprocess.Popen] = {}
        try:
            for name in LONG_RUNNING:
                with (logs / f"{name}.log").open("w") as log:
                    processes[name] = subprocess.Popen(
                        ["scripts/procfile-run", name],
                        cwd=app,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
            base = f"http://127.0.0.1:{env['PORT']}"

            def ready() -> bool:
                exited = {n: p.returncode for n, p in processes.items() if p.poll() is not None}
                assert not exited, f"exited: {exited}: " + "".join(
                    (logs / f"{n}.log").read_text()[-2000:] for n in exited
                )
                try:
                    answer = requests.get(base + "/readyz", timeout=3)
                except requests.RequestException:
                    return False
                return answer.status_code == 200 and answer.json()["worker"] == "ok"

            wait_until(ready, 90, interval=0.5, what="/readyz 200 with beat and worker")
            # the image's HEALTHCHECK, as Docker runs it
            check = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30)
            assert check.returncode == 0, check.stderr
            assert requests.get(base + "/simulator", timeout=5).status_code == 200
            for name, proc in processes.items():
                # exec'd: the container's main process is gunicorn or celery itself
                cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
                tool = {"web": "gunicorn", "dispatcher": "pandawa"}.get(name, "celery")
                assert tool in cmdline, cmdline
            # `docker stop`: SIGTERM to that process alone, and a graceful end
            for proc in processes.values():
                os.kill(proc.pid, signal.SIGTERM)
            for name, proc in processes.items():
                assert proc.wait(timeout=60) == 0, name
            assert "Shutting down: Master" in (logs / "web.log").read_text()
            assert "Warm shutdown" in (logs / "worker.log").read_text()
        finally:
            for proc in processes.values():
                stop_process(proc)
