"""What the dashboard's pages say about a supervisor's scope (issue 17): the offices she sees,
in the page head, so a branch head's wall screen says whose figures these are."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pandawa.core.extensions import db
from pandawa.hours.models import Office
from pandawa.tickets.queries import is_office_scoped, visible_offices_clause


def my_scope(user: Any) -> str:
    """ "JKT-PUSAT, BANDUNG" for a supervisor bound to offices or regions; "" for anyone else."""
    if not getattr(user, "is_authenticated", False) or not is_office_scoped(user):
        return ""
    stmt = sa.select(Office.code).where(visible_offices_clause(user)).order_by(Office.code)
    return ", ".join(db.session.scalars(stmt))
