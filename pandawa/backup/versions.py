"""Which schema and code an archive comes from, against the code running now."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pandawa.core.migrations import alembic_config


def pandawa_version() -> str:
    try:
        return version("pandawa")
    except PackageNotFoundError:  # a checkout run without installing
        return "unknown"


def schema_heads(database_url: str) -> tuple[str | None, set[str]]:
    """The newest migration of this code and every revision it knows."""
    from alembic.script import ScriptDirectory  # Alembic only when a backup runs (as core does)

    script = ScriptDirectory.from_config(alembic_config(database_url))
    return script.get_current_head(), {rev.revision for rev in script.walk_revisions()}
