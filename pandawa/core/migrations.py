"""Run Alembic from code: `pandawa db upgrade`, tests, the dev stack.

Alembic (with Mako and Pygments behind it, ~9 MiB) is imported when a migration runs, not when
a web or worker process imports this module through the `pandawa` command's registration:
serving requests never needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    from alembic.config import Config


def migrations_dir() -> Path:
    configured = os.environ.get("PANDAWA_MIGRATIONS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(
    database_url: str, revision: str = "head", connection: Connection | None = None
) -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url, connection), revision)


def include_object_for(dialect: str) -> Callable[..., bool]:
    """Alembic's `include_object` for a database of `dialect`: leaves out of autogenerate's
    comparison the indexes the models declare for another database only
    (`Index(...).ddl_if(dialect="postgresql")`: the search's trigram and full-text indexes),
    which that database rightly lacks."""

    def include_object(obj: Any, _name: Any, type_: str, _reflected: bool, _compare: Any) -> bool:
        if type_ != "index":
            return True
        condition = getattr(obj, "_ddl_if", None)
        if condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include_object
