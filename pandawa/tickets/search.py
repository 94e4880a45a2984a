"""Finding tickets: by ticket number, part of a phone number, the citizen's name, words of the
messages, a date range and status — always within what the user may see (agents: their
queues), newest first, one keyset page at a time.

PostgreSQL answers from GIN indexes (migration 0012): trigrams (pg_trgm) for any part of a
name, a ticket number or the contact's number — the number is searched where it is already
stored, `contact.address`, so no copy of it is kept anywhere; full-text search with the
`simple` configuration for message words: matched as written, lower-cased, no stop words; all
the words in one message; a word ending in `*` is a prefix (`fask*` finds "faskesnya").
Not `indonesian`: PostgreSQL 13+ ships that Snowball stemmer, but it is made for formal
Indonesian — citizens write `gmn`, `sy`, `tdk`, which it leaves alone anyway — and it cuts
names and plain words down to other words: "Megawati" → `gawat`, "berikan" → `ikan`,
"Pertiwi" → `tiwi`, "kenapa" → `napa`; an agent looking for a name or a reference finds
strangers. What it would add (finding "kepindahan" by "pindah") is left to the agent
typing the form she remembers.

Whole words, not prefixes, by default: PostgreSQL knows how common a listed whole word is from
the index's statistics, while it guesses every prefix at 2 % of the messages — and then walks
the tickets newest first, reading all of them for a rare prefix. A word the statistics do not
list is looked up first (tickets/words.py). The embedded default (SQLite) runs the same
search with LIKE (any part of a word) and no index: small databases.

Pages are keyset pages on (created_at, id), newest first, not offsets: a page costs the same at
any depth, and tickets arriving while an agent pages do not shift the rows under them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts.models import User
from pandawa.audit.operations import record
from pandawa.citizens.models import Contact
from pandawa.tickets.models import TICKET_STATUSES, Queue, Ticket
from pandawa.tickets.queries import visibility_clause
from pandawa.tickets.words import (
    escape_like,
    rare_word_ticket_ids,
    snippets,
    ticket_ids_by_words,
    words_of,
)

FIELDS = ("all", "number", "phone", "name", "text")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 200  # the API's largest page
MIN_LENGTH = 3  # a trigram: shorter text cannot use an index
MAX_LENGTH = 100
# dates typed in the console and the API are the offices' calendar days (WIB by default)
SEARCH_TIMEZONE = "Asia/Jakarta"

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a cursor whose ticket is gone: from the start
_ALWAYS = datetime(9999, 1, 1, tzinfo=UTC)  # ... or from the end
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PHONE_CHARS = re.compile(r"[0-9 +\-().]+")
_TICKET_NUMBER = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9-]+|PDW.*", re.IGNORECASE)


class SearchError(ValueError):
    """A query the search refuses (too short, unknown field); `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SearchQuery:
    """What to look for. `created_from`/`created_to`: aware instants, [from, to)."""

    text: str = ""
    field: str = "all"
    statuses: tuple[str, ...] = ()
    queue_codes: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None

    def __post_init__(self) -> None:
        # control characters (a NUL PostgreSQL refuses, pasted tabs and line breaks) are spaces
        object.__setattr__(self, "text", _CONTROL.sub(" ", self.text or "").strip())

    @property
    def is_empty(self) -> bool:
        return not (
            self.text.strip()
            or self.statuses
            or self.queue_codes
            or self.created_from
            or self.created_to
        )


@dataclass
class SearchHit:
    ticket: Ticket
    contact: Contact
    # the newest message of the ticket holding the searched words (unmasked: the page masks)
    snippet: str | None = None


@dataclass
class SearchPage:
    hits: list[SearchHit] = field(default_factory=list)
    # keyset cursors: older rows are below `older_than`, newer above `newer_than`
    older_than: int | None = None
    newer_than: int | None = None
    searched: str = "all"  # the field searched ("all" resolved to what the text looks like)


def day_range(
    first: date | None, last: date | None, timezone: str = SEARCH_TIMEZONE
) -> tuple[datetime | None, datetime | None]:
    """Inclusive local days as instants [from, to): `1–3 Dec` → 1 Dec 00:00 to 4 Dec 00:00."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return start, end


def phone_digits(text: str) -> str:
    """The digits of a typed (part of a) number as `contact.address` holds them: `0812-3456`
    → `628123456` (the local 0 is Indonesia's +62), `+62 812` → `62812`, `7890` → `7890`."""
    digits = re.sub(r"[^0-9]", "", text)
    if digits.startswith("08"):
        digits = "62" + digits[1:]
    return digits


def resolve_field(query: SearchQuery) -> str:
    """What `all` means for this text: `digits` (part of a phone or of a ticket number) for
    digits alone, `number` for what looks like a ticket number, else `all` (name or words)."""
    if query.field != "all":
        return query.field
    text = query.text.strip()
    if _PHONE_CHARS.fullmatch(text) and sum(ch.isdigit() for ch in text) >= MIN_LENGTH:
        return "digits"
    if " " not in text and _TICKET_NUMBER.fullmatch(text):
        return "number"
    return "all"


def validate(query: SearchQuery) -> None:
    """Raise SearchError for a query that cannot run (the page shows why)."""
    if query.field not in FIELDS:
        raise SearchError("unknown_field")
    if any(status not in TICKET_STATUSES for status in query.statuses):
        raise SearchError("unknown_status")
    text = query.text.strip()
    if len(text) > MAX_LENGTH:
        raise SearchError("too_long")
    if not text:
        if query.field != "all":
            raise SearchError("too_short")
        return
    searched = resolve_field(query)
    if searched in ("phone", "digits"):
        if len(phone_digits(text)) < MIN_LENGTH:
            raise SearchError("too_short")
    elif searched == "text":
        if not words_of(text):
            raise SearchError("too_short")
    elif len(text) < MIN_LENGTH:
        raise SearchError("too_short")


def search_tickets(
    session: Session,
    user: User,
    query: SearchQuery,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
    limit: int = PAGE_SIZE,
) -> SearchPage:
    """One page of the tickets `user` may see matching `query`, newest first.

    `older_than`/`newer_than`: the cursors of a page already shown (next / previous page).
    Three queries at most whatever the page size: the tickets with their contacts, and the
    snippets of a word search.
    """
    validate(query)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    postgres = session.get_bind().dialect.name == "postgresql"
    searched = resolve_field(query)
    stmt = (
        sa.select(Ticket, Contact)
        .join(Contact, Contact.id == Ticket.contact_id)
        .where(visibility_clause(user))
        .options(defaultload(Ticket.assignee).lazyload(User.queues))
    )
    text = query.text.strip()
    if text:
        found = None
        if postgres and searched in ("text", "all") and words_of(text):
            found = rare_word_ticket_ids(session, words_of(text))
        stmt = stmt.where(_text_clause(searched, text, postgres, found))
    if query.statuses:
        stmt = stmt.where(Ticket.status.in_(list(query.statuses)))
    if query.queue_codes:
        queue_ids = sa.select(Queue.id).where(Queue.code.in_(list(query.queue_codes)))
        stmt = stmt.where(Ticket.queue_id.in_(queue_ids))
    if query.created_from is not None:
        stmt = stmt.where(Ticket.created_at >= query.created_from)
    if query.created_to is not None:
        stmt = stmt.where(Ticket.created_at < query.created_to)

    # newest first by creation, the id breaking ties: ix_ticket_created_at serves both the
    # order and a date range (by id alone, a range in March walked every ticket since)
    key = sa.tuple_(Ticket.created_at, Ticket.id)
    backwards = newer_than is not None and older_than is None
    if backwards:
        stmt = stmt.where(key > _position(session, newer_than, gone=_NEVER))
        stmt = stmt.order_by(Ticket.created_at.asc(), Ticket.id.asc())
    else:
        if older_than is not None:
            stmt = stmt.where(key < _position(session, older_than, gone=_ALWAYS))
        stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    rows = list(session.execute(stmt.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    hits = [SearchHit(ticket, contact) for ticket, contact in rows]
    page = SearchPage(hits=hits, searched=searched)
    if hits:
        first, last = hits[0].ticket.id, hits[-1].ticket.id
        # going back: there are older rows (we came from them); newer ones if more were found
        page.older_than = last if (more or backwards) else None
        page.newer_than = first if ((more and backwards) or older_than is not None) else None
    if text and searched in ("text", "all") and hits and words_of(text):
        found = snippets(session, [hit.ticket.id for hit in hits], words_of(text), postgres)
        for hit in hits:
            hit.snippet = found.get(hit.ticket.id)
    return page


def _position(session: Session, ticket_id: int, *, gone: datetime) -> sa.Tuple:
    """Where a cursor's ticket stands in the order: (created_at, id); a ticket gone since (or
    a made-up id) stands at `gone`."""
    created_at = session.scalar(sa.select(Ticket.created_at).where(Ticket.id == ticket_id))
    at = created_at if created_at is not None else gone
    return sa.tuple_(sa.literal(at, Ticket.created_at.type), sa.literal(ticket_id))


def _text_clause(
    searched: str, text: str, postgres: bool, found: list[int] | None = None
) -> sa.ColumnElement[bool]:
    """The WHERE clause of the text; `found`: the tickets whose messages hold the words, when
    they are few and already known (tickets/words.py)."""
    if searched == "number":
        return _number_clause(text)
    if searched == "phone":
        return Ticket.contact_id.in_(_contact_ids_by_phone(text))
    if searched == "digits":
        by_phone = sa.select(Ticket.id).where(Ticket.contact_id.in_(_contact_ids_by_phone(text)))
        by_number = sa.select(Ticket.id).where(_number_clause(re.sub(r"[^0-9]", "", text)))
        return Ticket.id.in_(sa.union(by_phone, by_number))
    if searched == "name":
        return Ticket.contact_id.in_(_contact_ids_by_name(text))
    words = words_of(text)
    if searched == "text":
        if found is not None:
            return Ticket.id.in_(found)
        return Ticket.id.in_(ticket_ids_by_words(words, postgres))
    # "all": a name or words of the messages, each found through its own index
    by_name = Ticket.contact_id.in_(_contact_ids_by_name(text))
    if found is not None:  # the words are rare: their few tickets are known
        return sa.or_(by_name, Ticket.id.in_(found)) if found else by_name
    if not words:
        return by_name
    by_name_ids = sa.select(Ticket.id).where(by_name)
    return Ticket.id.in_(sa.union(by_name_ids, ticket_ids_by_words(words, postgres)))


def _number_clause(text: str) -> sa.ColumnElement[bool]:
    return Ticket.number.ilike(f"%{escape_like(text.strip())}%", escape="\\")


def _contact_ids_by_phone(text: str) -> sa.Select:
    # digits only: nothing to escape. "0856" is either the local start of a number (+62 856…)
    # or its last four digits (…0856): both are searched
    typed = re.sub(r"[^0-9]", "", text)
    patterns = {phone_digits(text), typed}
    return sa.select(Contact.id).where(sa.or_(*(Contact.address.like(f"%{p}%") for p in patterns)))


def _contact_ids_by_name(text: str) -> sa.Select:
    return sa.select(Contact.id).where(Contact.name.ilike(f"%{escape_like(text)}%", escape="\\"))


def audit_phone_search(
    session: Session, user: User, query: SearchQuery, page: SearchPage, address: str
) -> bool:
    """A search by part of a phone number leaves an access-audit row (the caller commits):
    the masked number shows the operator prefix and the last four digits, and digits typed
    beyond them, tried one after the other, would find the hidden ones without the audited
    reveal. The row holds how many digits were typed and how many tickets came back — not
    the digits, which are part of a citizen's number. True when a row was added."""
    if page.searched not in ("phone", "digits"):
        return False
    record(
        session,
        "phone_search",
        actor_id=user.id,
        actor_label=user.email,
        field="phone",
        address=address,
        details={"digits": len(phone_digits(query.text)), "results": len(page.hits)},
    )
    return True
