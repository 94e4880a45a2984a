"""Words of the messages, for the ticket search (tickets/search.py): which words a text holds,
the clause that finds them (PostgreSQL full text with the `simple` configuration, else LIKE),
rare words looked up first, and the matching message shown with each result."""

from __future__ import annotations

import re
from time import monotonic

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.channels.models import Message

MAX_WORDS = 8
# at most this many matching messages are looked up first (rare_word_ticket_ids); a word in
# at least this share of messages counts as common
RARE_CAP = 5000
COMMON_FREQUENCY = 0.001
COMMON_TTL_SECONDS = 300.0
# letters and digits (what PostgreSQL's parser keeps in a word), a `*` at the end: a prefix
_WORD = re.compile(r"[^\W_]+\*?")


def words_of(text: str) -> list[str]:
    """The words to look for, lower-cased: at least two characters each (a prefix: three; a
    shorter one matches nearly everything), at most MAX_WORDS."""
    words = [w.lower() for w in _WORD.findall(text) if len(w) >= (4 if w.endswith("*") else 2)]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def rare_word_ticket_ids(session: Session, words: list[str]) -> list[int] | None:
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
    common = common_words(session)
    if all(common.get(word, 0.0) >= COMMON_FREQUENCY for word in words):
        return None
    stmt = (
        sa.select(Message.ticket_id)
        .where(Message.ticket_id.is_not(None), words_clause(words, postgres=True))
        .limit(RARE_CAP + 1)
    )
    ids = list(dict.fromkeys(session.scalars(stmt)))
    return None if len(ids) > RARE_CAP else ids


_COMMON: dict[str, tuple[float, dict[str, float]]] = {}


def common_words(session: Session) -> dict[str, float]:
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


def ticket_ids_by_words(words: list[str], postgres: bool) -> sa.Select:
    stmt = sa.select(Message.ticket_id).where(Message.ticket_id.is_not(None))
    return stmt.where(words_clause(words, postgres))


def words_clause(
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
        *(body.ilike(f"%{escape_like(word.rstrip('*'))}%", escape="\\") for word in words)
    )


def snippets(
    session: Session, ticket_ids: list[int], words: list[str], postgres: bool
) -> dict[int, str]:
    """The newest message of each ticket holding `words`: one query.

    The tickets' messages are read first (MATERIALIZED: the full-text index is not asked — for
    a common word it would build a bitmap of every message holding it, 95 ms, to keep the few
    dozen of a page), then matched."""
    page = sa.select(Message.id, Message.ticket_id, Message.body).where(
        Message.ticket_id.in_(ticket_ids)
    )
    messages = page.cte("page_messages")
    if postgres:
        messages = messages.prefix_with("MATERIALIZED")
    newest = (
        sa.select(sa.func.max(messages.c.id))
        .where(words_clause(words, postgres, messages.c.body))
        .group_by(messages.c.ticket_id)
    )
    rows = session.execute(
        sa.select(messages.c.ticket_id, messages.c.body).where(messages.c.id.in_(newest))
    )
    return {ticket_id: body for ticket_id, body in rows}


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
