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
list is looked up first (`_rare_word_ticket_ids`). The embedded default (SQLite) runs the same
search with LIKE (any part of a word) and no index: small databases.

Pages are keyset pages on (created_at, id), newest first, not offsets: a page costs the same at
any depth, and tickets arriving while an agent pages do not shift the rows under them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload

from pandawa.accounts.models import User
from pandawa.channels.models import Message
from pandawa.citizens.models import Contact
from pandawa.tickets.models import TICKET_STATUSES, Queue, Ticket
from pandawa.tickets.queries import visibility_clause

FIELDS = ("all", "number", "phone", "name", "text")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 200  # the API's largest page
MIN_LENGTH = 3  # a trigram: shorter text cannot use an index
MAX_LENGTH = 100
MAX_WORDS = 8
# word searches: at most this many matching messages are looked up first (see
# _rare_word_ticket_ids); a word in at least this share of messages counts as common
RARE_CAP = 5000
COMMON_FREQUENCY = 0.001
COMMON_TTL_SECONDS = 300.0
# dates typed in the console and the API are the offices' calendar days (WIB by default)
SEARCH_TIMEZONE = "Asia/Jakarta"

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a cursor whose ticket is gone: from the start
_ALWAYS = datetime(9999, 1, 1, tzinfo=UTC)  # ... or from the end
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PHONE_CHARS = re.compile(r"[0-9 +\-().]+")
_TICKET_NUMBER = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9-]+|PDW.*", re.IGNORECASE)
# letters and digits (what PostgreSQL's parser keeps in a word), a `*` at the end: a prefix
_WORD = re.compile(r"[^\W_]+\*?")


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
        if not _words(text):
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
        if postgres and searched in ("text", "all") and _words(text):
            found = _rare_word_ticket_ids(session, _words(text))
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
    if text and searched in ("text", "all") and hits:
        _add_snippets(session, hits, text, postgres)
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
    they are few and already known (`_rare_word_ticket_ids`)."""
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
    words = _words(text)
    if searched == "text":
        if found is not None:
            return Ticket.id.in_(found)
        return Ticket.id.in_(_ticket_ids_by_words(words, postgres))
    # "all": a name or words of the messages, each found through its own index
    by_name = Ticket.contact_id.in_(_contact_ids_by_name(text))
    if found is not None:  # the words are rare: their few tickets are known
        return sa.or_(by_name, Ticket.id.in_(found)) if found else by_name
    if not words:
        return by_name
    by_name_ids = sa.select(Ticket.id).where(by_name)
    return Ticket.id.in_(sa.union(by_name_ids, _ticket_ids_by_words(words, postgres)))


def _rare_word_ticket_ids(session: Session, words: list[str]) -> list[int] | None:
    """The tickets whose messages hold all `words`, when that is a short list; None when the
    words are common (the main statement then walks the tickets newest first and stops at a
    page: quick exactly when matches are many).

    Why not leave it to the planner: PostgreSQL guesses a word missing from the index's
    statistics — most words, and nearly every specific one (a name, a place, a reference) — at
    0.5 % of the messages, and for a page of 20 then prefers walking the tickets newest first,
    which reads every ticket when the word is in 30 messages (14 s on 1,000,000 tickets).
    So a word the statistics do not list as common is looked up in the index first (a few
    milliseconds), at most RARE_CAP rows; more than that, and the main statement runs alone.
    """
    common = _common_words(session)
    if all(common.get(word, 0.0) >= COMMON_FREQUENCY for word in words):
        return None
    stmt = (
        sa.select(Message.ticket_id)
        .where(Message.ticket_id.is_not(None), _words_clause(words, postgres=True))
        .limit(RARE_CAP + 1)
    )
    ids = list(dict.fromkeys(session.scalars(stmt)))
    return None if len(ids) > RARE_CAP else ids


_COMMON: dict[str, tuple[float, dict[str, float]]] = {}


def _common_words(session: Session) -> dict[str, float]:
    """The words PostgreSQL's statistics list as common in messages, with their frequency
    (from ANALYZE of the full-text index), kept a few minutes per database."""
    bind = session.get_bind()
    key = str(bind.engine.url) if hasattr(bind, "engine") else ""
    kept = _COMMON.get(key)
    if kept is not None and monotonic() - kept[0] < COMMON_TTL_SECONDS:
        return kept[1]
    row = session.execute(
        sa.text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'ix_message_body_fts' AND schemaname = current_schema()"
        )
    ).first()
    words: dict[str, float] = {}
    if row is not None and row[0] is not None:
        words = dict(zip(row[0], row[1], strict=False))
    _COMMON[key] = (monotonic(), words)
    return words


def _number_clause(text: str) -> sa.ColumnElement[bool]:
    return Ticket.number.ilike(f"%{_escape_like(text.strip())}%", escape="\\")


def _contact_ids_by_phone(text: str) -> sa.Select:
    # digits only: nothing to escape
    return sa.select(Contact.id).where(Contact.address.like(f"%{phone_digits(text)}%"))


def _contact_ids_by_name(text: str) -> sa.Select:
    return sa.select(Contact.id).where(Contact.name.ilike(f"%{_escape_like(text)}%", escape="\\"))


def _ticket_ids_by_words(words: list[str], postgres: bool) -> sa.Select:
    stmt = sa.select(Message.ticket_id).where(Message.ticket_id.is_not(None))
    return stmt.where(_words_clause(words, postgres))


def _words_clause(
    words: list[str], postgres: bool, body: sa.ColumnElement[str] | None = None
) -> sa.ColumnElement[bool]:
    body = Message.body if body is None else body
    if postgres:
        # all the words in one message; the words hold only letters and digits (a trailing
        # `*` kept: a prefix), so the tsquery needs no quoting. The expression is the index's.
        tsquery = " & ".join(f"{word[:-1]}:*" if word.endswith("*") else word for word in words)
        vector = sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), body)
        return vector.op("@@")(
            sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), tsquery)
        )
    return sa.and_(
        *(body.ilike(f"%{_escape_like(word.rstrip('*'))}%", escape="\\") for word in words)
    )


def _add_snippets(session: Session, hits: list[SearchHit], text: str, postgres: bool) -> None:
    """The newest matching message of each ticket on the page: one query.

    The page's messages are read first (MATERIALIZED: the full-text index is not asked — for a
    common word it would build a bitmap of every message holding it, 95 ms, to keep the few
    dozen of the page), then matched."""
    words = _words(text)
    if not words:
        return
    ids = [hit.ticket.id for hit in hits]
    page = sa.select(Message.id, Message.ticket_id, Message.body).where(Message.ticket_id.in_(ids))
    messages = page.cte("page_messages")
    if postgres:
        messages = messages.prefix_with("MATERIALIZED")
    newest = (
        sa.select(sa.func.max(messages.c.id))
        .where(_words_clause(words, postgres, messages.c.body))
        .group_by(messages.c.ticket_id)
    )
    rows = session.execute(
        sa.select(messages.c.ticket_id, messages.c.body).where(messages.c.id.in_(newest))
    )
    found = {ticket_id: body for ticket_id, body in rows}
    for hit in hits:
        hit.snippet = found.get(hit.ticket.id)


def _words(text: str) -> list[str]:
    """The words to look for, lower-cased: at least two characters each (a prefix: three; a
    shorter one matches nearly everything), at most MAX_WORDS."""
    words = [w.lower() for w in _WORD.findall(text) if len(w) >= (4 if w.endswith("*") else 2)]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
