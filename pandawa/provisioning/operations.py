"""Writes of the catalogue feature: store a validated catalogue, sync offices and queues.

Add and flush only; the boundary (`pandawa catalog load`, the dev stack, a test) commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.catalog.loader import default_catalog_path, parse, read_source
from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.offices import OfficeSpec
from pandawa.catalog.schema import Catalog, QueueSpec
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.tickets.models import Queue

log = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What a load did, for the command line's summary."""

    revision: CatalogRevision
    catalog: Catalog
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"Katalog dimuat / catalogue loaded: revision {self.revision.id} from "
            f"{self.revision.source}: {contents(self.catalog)}"
        )
        if self.deactivated:
            line += f"; deactivated {', '.join(self.deactivated)}"
        return line


def load_catalog(session: Session, path: str | Path) -> CatalogRevision:
    """Validate the file, store it as the newest revision, upsert offices and queues."""
    return load_catalog_report(session, path).revision


def load_default(session: Session) -> CatalogRevision:
    """Load PANDAWA_CATALOG when set, else the catalogue shipped in the package."""
    return load_catalog(session, default_catalog_path())


def load_catalog_report(session: Session, path: str | Path) -> LoadReport:
    raw = read_source(path)
    catalog = parse(raw, str(path))  # raises CatalogError before anything is written
    at = now()
    revision = CatalogRevision(
        source=str(path)[-500:],
        sha256=hashlib.sha256(raw).hexdigest(),
        document=catalog.model_dump(mode="json"),
        loaded_at=at,
    )
    session.add(revision)
    report = LoadReport(revision=revision, catalog=catalog)
    _sync_offices(session, catalog, report)
    _sync_queues(session, catalog, report)
    session.flush()
    log.info(
        "catalogue revision %s stored (sha256 %s): added %s, updated %s, deactivated %s",
        revision.id,
        revision.sha256[:12],
        report.added or "-",
        report.updated or "-",
        report.deactivated or "-",
    )
    return report


def _sync_offices(session: Session, catalog: Catalog, report: LoadReport) -> None:
    _sync(session, Office, catalog.offices, _office_values, report, kind="office", stamp=True)


def _sync_queues(session: Session, catalog: Catalog, report: LoadReport) -> None:
    _sync(session, Queue, catalog.queues, _queue_values, report, kind="queue", stamp=False)


def _office_values(spec: OfficeSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "whatsapp_address": spec.whatsapp,
        "timezone": spec.timezone,
        "weekly_hours": spec.hours.document(),
        "is_active": True,
    }


def _queue_values(spec: QueueSpec) -> dict[str, Any]:
    return {
        "name_id": spec.name.id,
        "name_en": spec.name.en,
        "sla_seconds": spec.sla_seconds,
        "is_auto_assign": spec.auto_assign,
        "is_active": True,
    }


def _sync(
    session: Session,
    model: type[Office] | type[Queue],
    specs: Sequence[Any],
    values_of: Callable[[Any], dict[str, Any]],
    report: LoadReport,
    *,
    kind: str,
    stamp: bool,
) -> None:
    """Add or update a row per spec (by code); deactivate the rows no spec names."""
    # row locks: two loads at once serialise instead of interleaving their updates
    existing = {r.code: r for r in session.scalars(sa.select(model).with_for_update())}
    for spec in specs:
        row = existing.get(spec.code)
        _upsert(session, model, row, spec.code, values_of(spec), report, kind=kind, stamp=stamp)
    _deactivate(existing, {spec.code for spec in specs}, report, kind, stamp=stamp)


def _upsert(
    session: Session,
    model: type,
    row: Any,
    code: str,
    values: dict[str, Any],
    report: LoadReport,
    *,
    kind: str,
    stamp: bool,
) -> None:
    extra = {"updated_at": now()} if stamp else {}
    if row is None:
        session.add(model(code=code, **values, **extra))
        report.added.append(f"{kind} {code}")
        return
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        for key, value in {**changed, **extra}.items():
            setattr(row, key, value)
        report.updated.append(f"{kind} {code}")


def _deactivate(
    existing: dict[str, Any], keep: set[str], report: LoadReport, kind: str, *, stamp: bool
) -> None:
    # rows stay (tickets refer to them); they just stop taking new work
    for code, row in sorted(existing.items()):
        if code not in keep and row.is_active:
            row.is_active = False
            if stamp:
                row.updated_at = now()
            report.deactivated.append(f"{kind} {code}")


def contents(catalog: Catalog) -> str:
    """E.g. "1 office, 5 queues, 13 menu items, 8 FAQ entries"."""
    return (
        f"{_count(len(catalog.offices), 'office')}, {_count(len(catalog.queues), 'queue')}, "
        f"{_count(catalog.menu_item_count(), 'menu item')}, "
        f"{_count(len(catalog.faq), 'FAQ entry', 'FAQ entries')}"
    )


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
