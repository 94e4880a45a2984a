"""Reads of the catalogue: the revision in force, as a validated `Catalog`.

Every web and worker process asks the database which revision is newest on each call (one
indexed `SELECT id, sha256 … ORDER BY id DESC LIMIT 1`), and validates a revision's document
only once per process: a `pandawa catalog load` is seen by every machine on its next message.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from pydantic import ValidationError

from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.schema import Catalog
from pandawa.core.extensions import db

_lock = threading.Lock()
_cached: tuple[tuple[int, str], Catalog] | None = None


class CatalogMissing(LookupError):
    """No usable catalogue is in force; the message tells the operator what to run."""


def latest_revision_key() -> tuple[int, str] | None:
    row = db.session.execute(
        sa.select(CatalogRevision.id, CatalogRevision.sha256)
        .order_by(CatalogRevision.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.sha256) if row else None


def active_catalog() -> Catalog:
    """The newest loaded catalogue; raises CatalogMissing when none was loaded."""
    global _cached
    key = latest_revision_key()
    if key is None:
        raise CatalogMissing(
            "no service catalogue is loaded; run `pandawa catalog load` (it loads "
            "PANDAWA_CATALOG, else the shipped pandawa/catalog/default.yaml) or "
            "`pandawa catalog load FILE`"
        )
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    document = db.session.scalar(
        sa.select(CatalogRevision.document).where(CatalogRevision.id == key[0])
    )
    try:
        catalog = Catalog.model_validate(document)
    except ValidationError as exc:
        raise CatalogMissing(
            f"catalogue revision {key[0]} does not validate with this version of Pandawa "
            f"({exc.error_count()} problems); run `pandawa catalog check FILE`, fix the file "
            "and `pandawa catalog load FILE` again"
        ) from exc
    with _lock:
        # keyed by id and content hash: ids restart when a test database is truncated
        _cached = (key, catalog)
    return catalog
