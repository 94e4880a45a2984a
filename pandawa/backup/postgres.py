"""PostgreSQL's own tools, run on DATABASE_URL: `pg_dump` in one snapshot and `pg_restore` in
one transaction. The password goes to them in PGPASSWORD, never on a command line that every
user of the machine can read in the process list."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

NEEDS_POSTGRES = (
    "Cadangan hanya untuk PostgreSQL: DATABASE_URL menunjuk SQLite (tumpukan pengembangan). "
    "Atur DATABASE_URL=postgresql://… / Backups need PostgreSQL: DATABASE_URL points at "
    "SQLite (the development stack). Set DATABASE_URL=postgresql://…"
)


class ToolFailed(Exception):
    """pg_dump or pg_restore is missing or failed; the message says which and why."""


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolFailed(
            f"{name} tidak ditemukan di PATH; pasang klien PostgreSQL (postgresql-client) "
            f"/ {name} is not on PATH; install the PostgreSQL client tools"
        )
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    # the tool found on PATH, arguments we built; no shell
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(args[0]).name
        error = (done.stderr or done.stdout).strip().splitlines()
        raise ToolFailed(f"{tool} gagal / failed ({done.returncode}): {' | '.join(error[-5:])}")


@contextmanager
def snapshot(engine: Engine) -> Iterator[tuple[str, str]]:
    """Hold one REPEATABLE READ snapshot open: yields its id (for `pg_dump --snapshot`) and
    the Alembic revision read in that same snapshot, so the two always agree."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot_id = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            revision = alembic_revision(conn)
            yield snapshot_id, revision


def alembic_revision(conn: sa.Connection) -> str:
    if not sa.inspect(conn).has_table("alembic_version"):
        raise ToolFailed(
            "Database belum bermigrasi (tidak ada alembic_version); jalankan `pandawa db upgrade` "
            "/ the database has no schema (no alembic_version); run `pandawa db upgrade`"
        )
    revisions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    if len(revisions) != 1:
        raise ToolFailed(f"alembic_version holds {len(revisions)} revisions; expected one")
    return str(revisions[0])


def dump(database_url: str, snapshot_id: str, target: Path) -> None:
    """`pg_dump --format=custom` of the whole database as the snapshot sees it."""
    uri, env = libpq_target(database_url)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            f"--snapshot={snapshot_id}",
            f"--file={target}",
            f"--dbname={uri}",
        ],
        env,
    )


def restore(database_url: str, source: Path) -> None:
    """`pg_restore` into DATABASE_URL in one transaction: all of it, or nothing. Owners and
    grants of the old server are left out: the restoring user owns what it creates."""
    uri, env = libpq_target(database_url)
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={uri}",
            str(source),
        ],
        env,
    )


def tables_in(engine: Engine) -> list[str]:
    """Every table, view or sequence outside PostgreSQL's own schemas."""
    query = sa.text(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
        "ORDER BY c.relkind = 'S', 1"  # tables first, sequences last
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())
