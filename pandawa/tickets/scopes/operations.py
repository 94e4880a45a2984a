"""Setting a supervisor's scope: the offices and regions she is bound to (issue 17).

Replacing the whole set is the one write (`set_scope`): `pandawa users scope` and
/admin/users both call it, and it records the change in the audit with the set before and
after. Only supervisors carry a scope: admins are always agency-wide, agents are bound by
their queues. Flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.core.clock import now
from pandawa.hours.models import Office
from pandawa.tickets.scopes.models import UserScope


class ScopeRefused(ValueError):
    """A scope that cannot be set; the message is bilingual ("Indonesian / English")."""


@dataclass(frozen=True)
class ScopeSet:
    offices: tuple[str, ...]  # office codes
    regions: tuple[str, ...]

    @property
    def is_agency_wide(self) -> bool:
        return not self.offices and not self.regions

    def describe(self) -> str:
        """ "agency-wide" / "offices: KC-A, KC-B; regions: DKI-JAKARTA" (CLI, audit)."""
        if self.is_agency_wide:
            return "agency-wide"
        parts = []
        if self.offices:
            parts.append("offices: " + ", ".join(self.offices))
        if self.regions:
            parts.append("regions: " + ", ".join(self.regions))
        return "; ".join(parts)


def scope_of(user: User) -> ScopeSet:
    rows = list(getattr(user, "scopes", ()))
    return ScopeSet(
        offices=tuple(sorted(r.office.code for r in rows if r.office is not None)),
        regions=tuple(sorted(r.region for r in rows if r.region is not None)),
    )


def known_regions(session: Session) -> list[str]:
    """The regions the catalogue gives the offices, sorted."""
    stmt = sa.select(Office.region).where(Office.region.is_not(None)).distinct()
    return sorted(session.scalars(stmt))


def set_scope(
    session: Session,
    user: User,
    office_codes: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    actor_id: int | None = None,
    actor_label: str = "",
    address: str = "",
) -> ScopeSet:
    """Bind `user` to exactly these offices and regions (none: agency-wide); audited when it
    changes. Unknown codes or regions are refused, naming the known ones."""
    codes = list(dict.fromkeys(c.strip() for c in office_codes if c.strip()))
    wanted_regions = list(dict.fromkeys(r.strip() for r in regions if r.strip()))
    if (codes or wanted_regions) and user.role != "supervisor":
        raise ScopeRefused(
            f"Hanya pengawas yang dapat dibatasi ke kantor atau wilayah; {user.role} tidak. / "
            f"Only supervisors can be bound to offices or regions, not a {user.role} "
            "(admins are always agency-wide; agents are bound by their queues)."
        )
    offices = _offices_by_code(session, codes)
    missing = [r for r in wanted_regions if r not in known_regions(session)]
    if missing:
        known = ", ".join(known_regions(session)) or "-"
        raise ScopeRefused(
            f"Wilayah tidak dikenal: {', '.join(missing)} (yang ada: {known}). / "
            f"Unknown region: {', '.join(missing)} (known: {known}); give offices a `region` "
            "in the catalogue first."
        )
    before = scope_of(user)
    after = ScopeSet(tuple(sorted(codes)), tuple(sorted(wanted_regions)))
    if before == after:
        return after
    session.execute(sa.delete(UserScope).where(UserScope.user_id == user.id))
    at = now()
    for office in offices:
        session.add(UserScope(user_id=user.id, office_id=office.id, created_at=at))
    for region in wanted_regions:
        session.add(UserScope(user_id=user.id, region=region, created_at=at))
    session.flush()
    session.expire(user, ["scopes"])
    record(
        session,
        "user_scope_changed",
        actor_id=actor_id,
        actor_label=actor_label,
        address=address,
        details={"user_id": user.id, "before": before.describe(), "after": after.describe()},
    )
    return after


def _offices_by_code(session: Session, codes: list[str]) -> list[Office]:
    if not codes:
        return []
    found = {o.code: o for o in session.scalars(sa.select(Office).where(Office.code.in_(codes)))}
    missing = [code for code in codes if code not in found]
    if missing:
        known = ", ".join(session.scalars(sa.select(Office.code).order_by(Office.code))) or "-"
        raise ScopeRefused(
            f"Kantor tidak dikenal: {', '.join(missing)} (yang ada: {known}). / "
            f"Unknown office: {', '.join(missing)} (known: {known})."
        )
    return [found[code] for code in codes]
