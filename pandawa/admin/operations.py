"""Accounts with their queue membership: what `pandawa users create` and /admin/users do.

The account itself is `pandawa.accounts`; which queues it works is the ticket layer's
(`tickets.models.queue_member`); this feature, above both, puts them together.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.accounts.operations import AccountError, create_account
from pandawa.tickets.models import Queue


def create_user(
    session: Session,
    email: str,
    role: str,
    queue_codes: Sequence[str] = (),
    password: str | None = None,
    name: str = "",
) -> User:
    """A new account in `queue_codes`; without a password it cannot sign in to the web yet."""
    queues = queues_by_code(session, queue_codes)
    user = create_account(session, email, role, password=password, name=name)
    user.queues = queues
    session.flush()
    return user


def queues_by_code(session: Session, codes: Sequence[str]) -> list[Queue]:
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    if not wanted:
        return []
    found = {q.code: q for q in session.scalars(sa.select(Queue).where(Queue.code.in_(wanted)))}
    missing = [code for code in wanted if code not in found]
    if missing:
        known = ", ".join(session.scalars(sa.select(Queue.code).order_by(Queue.code))) or "-"
        raise AccountError(
            f"Antrean tidak dikenal: {', '.join(missing)} (yang ada: {known}). / "
            f"Unknown queue: {', '.join(missing)} (known: {known}); load the catalogue first."
        )
    return [found[code] for code in wanted]
