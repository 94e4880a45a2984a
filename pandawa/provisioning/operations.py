"""Writes of the catalogue feature: store a validated catalogue, sync offices and queues.

Add and flush only; the boundary (`pandawa catalog load`, the dev stack, a test) commits.

A load is planned before anything is written: the offices' and queues' rows (row-locked, so
two loads serialise) are compared with the file, the document with the revision in force, and
the open tickets of what would be removed are counted. The same content again changes nothing
and stores no revision; a change that would orphan open tickets is refused (`LoadRefused`)
unless the operator said where each queue's open tickets go.
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
from pandawa.provisioning import diff
from pandawa.provisioning.checklist_diff import checklist_changes
from pandawa.provisioning.diff import Change
from pandawa.provisioning.moves import Progress, move_open_tickets, open_ticket_counts
from pandawa.tickets.models import Queue, Ticket

log = logging.getLogger(__name__)


class LoadRefused(Exception):
    """The load would orphan open tickets, or a move names the wrong queues; nothing written.

    `str()` is one line per problem (Bahasa Indonesia first, English second).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        # the plan that was refused, so the command can still show what it would change
        self.report: LoadReport | None = None
        super().__init__("\n".join(problems))


@dataclass
class RowPlan:
    """One office or queue of the file: its row (None: new), values, and what changes."""

    row: Any
    code: str
    values: dict[str, Any]
    changed: dict[str, tuple[Any, Any]]


@dataclass
class Plan:
    offices: list[RowPlan]
    queues: list[RowPlan]
    gone_offices: list[Office]
    gone_queues: list[Queue]

    def row_changes(self) -> list[Change]:
        changes: list[Change] = []
        for kind, plans, new, fields in (
            ("office", self.offices, diff.new_office, diff.office_row_changes),
            ("queue", self.queues, diff.new_queue, diff.queue_row_changes),
        ):
            for plan in plans:
                if plan.row is None:
                    changes.append(new(plan.code, plan.values))
                else:
                    changes.extend(fields(plan.code, plan.changed))
            gone = self.gone_offices if kind == "office" else self.gone_queues
            changes.extend(
                Change(diff.REMOVED, kind, row.code, "(deactivated; its closed tickets keep it)")
                for row in gone
            )
        return changes


@dataclass
class LoadReport:
    """What a load did (or would do), for the command line."""

    revision: CatalogRevision | None
    catalog: Catalog
    source: str
    changes: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    moved: dict[str, tuple[str, int]] = field(default_factory=dict)
    unchanged: bool = False
    dry_run: bool = False

    def summary(self) -> str:
        if self.unchanged:
            assert self.revision is not None
            return (
                f"Tidak ada perubahan / no change: catalogue revision {self.revision.id} "
                f"(sha256 {self.revision.sha256[:12]}) is already in force"
            )
        if self.dry_run:
            return (
                f"Uji coba, tidak ada yang diubah / dry run, nothing changed: "
                f"{diff_count(self.changes)} from {self.source}: {contents(self.catalog)}"
            )
        assert self.revision is not None
        line = (
            f"Katalog dimuat / catalogue loaded: revision {self.revision.id} from "
            f"{self.revision.source}: {contents(self.catalog)}"
        )
        if self.deactivated:
            line += f"; deactivated {', '.join(self.deactivated)}"
        if self.moved:
            line += "; moved " + ", ".join(
                f"{n} open tickets {source} → {target}"
                for source, (target, n) in self.moved.items()
            )
        return line


def diff_count(changes: list[Change]) -> str:
    return _count(len(changes), "change")


def load_catalog(session: Session, path: str | Path) -> CatalogRevision:
    """Validate the file; store it as the newest revision and upsert offices and queues,
    unless the same content is already in force. Returns the revision in force."""
    revision = load_catalog_report(session, path).revision
    assert revision is not None
    return revision


def load_default(session: Session) -> CatalogRevision:
    """Load PANDAWA_CATALOG when set, else the catalogue shipped in the package."""
    return load_catalog(session, default_catalog_path())


def load_catalog_report(
    session: Session,
    path: str | Path,
    *,
    moves: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Plan the load, refuse it if it would orphan open tickets, then (unless `dry_run` or
    nothing changes) apply it. `moves`: {removed queue code: queue code of the new catalogue}
    for the open tickets of removed queues. Raises CatalogError or LoadRefused before any
    write."""
    raw = read_source(path)
    catalog = parse(raw, str(path))  # raises CatalogError before anything is written
    document = catalog.model_dump(mode="json")
    previous = session.scalar(
        sa.select(CatalogRevision).order_by(CatalogRevision.id.desc()).limit(1)
    )
    plan = _plan(session, catalog)
    report = LoadReport(revision=previous, catalog=catalog, source=str(path))
    report.changes = plan.row_changes() + diff.document_changes(
        previous.document if previous is not None else None, document
    )
    # the services' checklists item by item (issue 17)
    report.changes += checklist_changes(previous.document if previous else None, document)
    if previous is not None and previous.document == document and not report.changes:
        report.unchanged = True
        log.info("catalogue %s: no change, revision %s in force", path, previous.id)
        return report
    try:
        _refuse_orphans(session, plan, catalog, moves or {})
    except LoadRefused as exc:
        exc.report = report
        raise
    if dry_run:
        report.dry_run = True
        return report

    revision = CatalogRevision(
        source=str(path)[-500:],
        sha256=hashlib.sha256(raw).hexdigest(),
        document=document,
        loaded_at=now(),
    )
    session.add(revision)
    session.flush()
    report.revision = revision
    _apply(session, Office, plan.offices, plan.gone_offices, report, "office", progress)
    _apply(session, Queue, plan.queues, plan.gone_queues, report, "queue", progress)
    session.flush()
    if moves:
        _move(session, moves, revision, report, progress)
    log.info(
        "catalogue revision %s stored (sha256 %s): added %s, updated %s, deactivated %s",
        revision.id,
        revision.sha256[:12],
        report.added or "-",
        report.updated or "-",
        report.deactivated or "-",
    )
    return report


# -- planning ---------------------------------------------------------------------------------
def _plan(session: Session, catalog: Catalog) -> Plan:
    offices, gone_offices = _plan_rows(session, Office, catalog.offices, _office_values)
    queues, gone_queues = _plan_rows(session, Queue, catalog.queues, _queue_values)
    _keep_page_settings(queues)
    return Plan(offices, queues, gone_offices, gone_queues)


def _plan_rows(
    session: Session,
    model: type[Office] | type[Queue],
    specs: Sequence[Any],
    values_of: Callable[[Any], dict[str, Any]],
) -> tuple[list[RowPlan], list[Any]]:
    # row locks: two loads at once serialise instead of interleaving their updates, and a
    # ticket cannot be opened in (nor moved into) a queue or office this load removes
    existing = {
        r.code: r for r in session.scalars(sa.select(model).order_by(model.id).with_for_update())
    }
    plans = []
    for spec in specs:
        row = existing.get(spec.code)
        values = values_of(spec)
        changed = (
            {k: (getattr(row, k), v) for k, v in values.items() if getattr(row, k) != v}
            if row is not None
            else {}
        )
        plans.append(RowPlan(row, spec.code, values, changed))
    keep = {spec.code for spec in specs}
    gone = [row for code, row in sorted(existing.items()) if code not in keep and row.is_active]
    return plans, gone


def _office_values(spec: OfficeSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "whatsapp_address": spec.whatsapp,
        "timezone": spec.timezone,
        "weekly_hours": spec.hours.document(),
        "is_active": True,
        "region": spec.region,
    }


def _queue_values(spec: QueueSpec) -> dict[str, Any]:
    return {
        "name_id": spec.name.id,
        "name_en": spec.name.en,
        "sla_seconds": spec.sla_seconds,
        "is_auto_assign": spec.auto_assign,
        "is_active": True,
        "resolution_seconds": spec.resolution_seconds,
        "sla_template": spec.sla_template,
    }


# Settings a supervisor changed in /dashboard/settings (issue 17) win over the catalogue: a later
# load keeps them (the log says so) until the queue's `settings_edited_at` is cleared. The
# catalogue stays the source for new queues and for queues never edited in the page.
PAGE_OWNED = ("sla_seconds", "resolution_seconds", "is_auto_assign")


def _keep_page_settings(plans: list[RowPlan]) -> None:
    for plan in plans:
        if plan.row is None or plan.row.settings_edited_at is None:
            continue
        kept = sorted(key for key in plan.changed if key in PAGE_OWNED)
        if kept:
            log.info("queue %s: keeping %s set in the settings page", plan.code, ", ".join(kept))
            plan.changed = {k: v for k, v in plan.changed.items() if k not in PAGE_OWNED}


def _refuse_orphans(session: Session, plan: Plan, catalog: Catalog, moves: dict[str, str]) -> None:
    problems = []
    gone = {row.code for row in plan.gone_queues}
    for source, target in moves.items():
        if source not in gone:
            problems.append(
                f"Ditolak / refused: --move-open {source}={target}: antrean {source} tidak "
                f"dihapus oleh katalog ini / queue {source} is not removed by this catalogue "
                f"(queues it removes: {', '.join(sorted(gone)) or 'none'})"
            )
        elif catalog.queue(target) is None:
            problems.append(
                f"Ditolak / refused: --move-open {source}={target}: antrean {target} tidak ada "
                f"di katalog baru / queue {target} is not in the new catalogue; name one of "
                f"{', '.join(q.code for q in catalog.queues)}"
            )
    queue_counts = open_ticket_counts(session, Ticket.queue_id, (r.id for r in plan.gone_queues))
    for row in plan.gone_queues:
        count = queue_counts.get(row.id, 0)
        if count and row.code not in moves:
            problems.append(
                f"Ditolak / refused: antrean {row.code} dihapus padahal {count} tiketnya masih "
                f"terbuka / queue {row.code} would be removed while {count} of its tickets are "
                f"open (deferred, waiting or assigned); move them with "
                f"--move-open {row.code}=QUEUE (a queue of the new catalogue), or keep the queue"
            )
    office_counts = open_ticket_counts(session, Ticket.office_id, (r.id for r in plan.gone_offices))
    for row in plan.gone_offices:
        count = office_counts.get(row.id, 0)
        if count:
            problems.append(
                f"Ditolak / refused: kantor {row.code} dihapus padahal {count} tiketnya masih "
                f"terbuka / office {row.code} would be removed while {count} of its tickets are "
                "open; resolve or cancel them first, or keep the office in the catalogue"
            )
    if problems:
        raise LoadRefused(problems)


# -- applying ---------------------------------------------------------------------------------
def _apply(
    session: Session,
    model: type[Office] | type[Queue],
    plans: list[RowPlan],
    gone: list[Any],
    report: LoadReport,
    kind: str,
    progress: Progress | None,
) -> None:
    """Add or update a row per plan; deactivate the rows the file no longer names (they stay:
    tickets refer to them; they just stop taking new work)."""
    stamp = {"updated_at": now()} if model is Office else {}
    label = f"{kind}s"
    total = len(plans) + len(gone)
    for done, plan in enumerate(plans, start=1):
        if plan.row is None:
            session.add(model(code=plan.code, **plan.values, **stamp))
            report.added.append(f"{kind} {plan.code}")
        elif plan.changed:
            for key, (_old, new) in plan.changed.items():
                setattr(plan.row, key, new)
            for key, value in stamp.items():
                setattr(plan.row, key, value)
            report.updated.append(f"{kind} {plan.code}")
        if progress:
            progress(label, done, total)
    for done, row in enumerate(gone, start=len(plans) + 1):
        row.is_active = False
        for key, value in stamp.items():
            setattr(row, key, value)
        report.deactivated.append(f"{kind} {row.code}")
        if progress:
            progress(label, done, total)


def _move(
    session: Session,
    moves: dict[str, str],
    revision: CatalogRevision,
    report: LoadReport,
    progress: Progress | None,
) -> None:
    rows = {
        q.code: q
        for q in session.scalars(sa.select(Queue).where(Queue.code.in_([*moves, *moves.values()])))
    }
    pairs = {rows[source]: rows[target] for source, target in moves.items()}
    reason = f"katalog revisi {revision.id} / catalogue revision {revision.id}"
    moved = move_open_tickets(session, pairs, reason, progress)
    report.moved = {source: (moves[source], n) for source, n in moved.items()}


def contents(catalog: Catalog) -> str:
    """E.g. "1 office, 5 queues, 13 menu items, 8 FAQ entries"."""
    return (
        f"{_count(len(catalog.offices), 'office')}, {_count(len(catalog.queues), 'queue')}, "
        f"{_count(catalog.menu_item_count(), 'menu item')}, "
        f"{_count(len(catalog.faq), 'FAQ entry', 'FAQ entries')}"
    )


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
