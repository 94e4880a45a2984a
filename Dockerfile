# syntax=docker/dockerfile:1
# Pandawa's image: one image for every process of the Procfile (web, worker, beat, release).
#   docker build -t pandawa .            the image
#   docker compose up                    the whole stack (compose.yaml; docs/deploy.md)
# The default command is the Procfile's `web` line; `scripts/procfile-run NAME` runs another.

# Debian bookworm, pinned: its postgresql-client (15) is the pg_dump/pg_restore `pandawa backup`
# and `pandawa restore` run, and pg_dump refuses a server newer than itself (compose.yaml runs
# PostgreSQL 15; see docs/deploy.md for another server version).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: the locked dependencies and the app, into a virtualenv ------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# exact versions with their hashes (README "Dependencies"): a changed or unknown file fails the
# build; this layer is rebuilt only when the lock file changes
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY pandawa ./pandawa
RUN pip install --no-deps . && python -m compileall -q /opt/venv

# ---- the image: Python, the virtualenv, the files the Procfile needs; no build tools -------
FROM ${PYTHON_IMAGE}
# pg_dump and pg_restore for `pandawa backup` / `pandawa restore`; psycopg's binary wheel
# carries its own libpq, so nothing else is installed
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
# a fixed uid, so a volume's owner is the same in every container and on every rebuild
RUN groupadd --system --gid 10001 pandawa \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin pandawa \
    && install -d -o 10001 -g 10001 /data /data/instance /data/media /backups

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY Procfile gunicorn.conf.py ./
COPY scripts/procfile-run ./scripts/procfile-run
COPY migrations ./migrations

# PANDAWA_MIGRATIONS: the package is installed into the virtualenv, the migrations stay here
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PANDAWA_INSTANCE_PATH=/data/instance \
    MEDIA_STORAGE_DIR=/data/media \
    BACKUP_DIR=/backups \
    PANDAWA_MIGRATIONS=/app/migrations \
    PROMETHEUS_MULTIPROC_DIR=/tmp/pandawa-metrics \
    PORT=5000
# the instance folder (development secret key, beat schedule) and the citizens' media:
# shared by web and worker, kept across upgrades; `pandawa backup` writes to /backups, a
# volume of its own (docs/backup.md: copy the archives off the machine)
VOLUME ["/data", "/backups"]

USER 10001:10001
EXPOSE 5000
# liveness only (the process answers); /readyz says whether it can work. No curl in slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '5000') + '/healthz', timeout=4)"]
CMD ["scripts/procfile-run", "web"]
