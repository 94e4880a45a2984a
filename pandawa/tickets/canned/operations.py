"""Writes to canned responses: add and flush, never commit. Each deliberate act leaves one
audit row in the same transaction (who, which answer, what changed), never the citizen's data
(the texts are the agency's own)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.core.clock import now
from pandawa.tickets.canned.models import LANGUAGES, CannedResponse
from pandawa.tickets.canned.variables import check
from pandawa.tickets.models import Queue

MAX_TITLE = 100
MAX_BODY = 4096  # a WhatsApp message's length, as the reply box allows


class CannedError(ValueError):
    """The form's mistakes, each "Indonesian / English"."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Draft:
    """What the editor's form carries, already stripped."""

    queue: Queue | None
    language: str
    title: str
    body: str

    @classmethod
    def of(cls, queue: Queue | None, language: str, title: str, body: str) -> Draft:
        return cls(
            queue, language, (title or "").strip(), (body or "").strip().replace("\r\n", "\n")
        )


def problems(draft: Draft) -> list[str]:
    """Every mistake in `draft`, in the form's order (title, language, text)."""
    found = []
    if not draft.title:
        found.append("Judul wajib diisi. / The title is required.")
    elif len(draft.title) > MAX_TITLE:
        found.append(
            f"Judul paling panjang {MAX_TITLE} karakter. / "
            f"The title is at most {MAX_TITLE} characters."
        )
    if draft.language not in LANGUAGES:
        found.append("Bahasa tidak dikenal. / Unknown language.")
    if not draft.body:
        found.append("Teks jawaban wajib diisi. / The text is required.")
    elif len(draft.body) > MAX_BODY:
        found.append(
            f"Teks paling panjang {MAX_BODY} karakter. / The text is at most {MAX_BODY} characters."
        )
    found.extend(error.message for error in check(draft.body))
    return found


def _audit(
    session: Session, action: str, user: User, canned: CannedResponse, address: str, **extra: object
) -> None:
    record(
        session,
        action,
        actor_id=user.id,
        address=address,
        details={
            "canned_id": canned.id,
            "title": canned.title,
            "queue": canned.queue.code if canned.queue is not None else None,
            "language": canned.language,
            **extra,
        },
    )


def create(session: Session, user: User, draft: Draft, *, address: str = "") -> CannedResponse:
    errors = problems(draft)
    if errors:
        raise CannedError(errors)
    at = now()
    canned = CannedResponse(
        queue_id=draft.queue.id if draft.queue is not None else None,
        queue=draft.queue,
        language=draft.language,
        title=draft.title,
        body=draft.body,
        created_at=at,
        created_by_id=user.id,
        updated_at=at,
        updated_by_id=user.id,
    )
    session.add(canned)
    session.flush()
    _audit(session, "canned_created", user, canned, address)
    session.flush()
    return canned


def update(
    session: Session, user: User, canned: CannedResponse, draft: Draft, *, address: str = ""
) -> list[str]:
    """Apply `draft`; the names of the fields that changed (none: nothing written)."""
    errors = problems(draft)
    if errors:
        raise CannedError(errors)
    new_queue_id = draft.queue.id if draft.queue is not None else None
    changed = [
        name
        for name, old, new in (
            ("queue", canned.queue_id, new_queue_id),
            ("language", canned.language, draft.language),
            ("title", canned.title, draft.title),
            ("body", canned.body, draft.body),
        )
        if old != new
    ]
    if not changed:
        return []
    before = canned.queue.code if canned.queue is not None else None
    canned.queue_id, canned.queue = new_queue_id, draft.queue
    canned.language, canned.title, canned.body = draft.language, draft.title, draft.body
    canned.updated_at, canned.updated_by_id = now(), user.id
    session.flush()
    extra: dict[str, object] = {"changed": changed}
    if "queue" in changed:
        extra["queue_before"] = before
    _audit(session, "canned_updated", user, canned, address, **extra)
    session.flush()
    return changed


def retire(session: Session, user: User, canned: CannedResponse, *, address: str = "") -> bool:
    """Hide the answer from agents; False when it was already retired (nothing written)."""
    if canned.retired_at is not None:
        return False
    at = now()
    canned.retired_at, canned.updated_at, canned.updated_by_id = at, at, user.id
    session.flush()
    _audit(session, "canned_retired", user, canned, address)
    session.flush()
    return True


def restore(session: Session, user: User, canned: CannedResponse, *, address: str = "") -> bool:
    """Offer a retired answer again; False when it was active (nothing written)."""
    if canned.retired_at is None:
        return False
    canned.retired_at, canned.updated_at, canned.updated_by_id = None, now(), user.id
    session.flush()
    _audit(session, "canned_restored", user, canned, address)
    session.flush()
    return True
