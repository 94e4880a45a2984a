"""The eligibility checklist of a service, walked through before the handoff (issue 17, item 10).

Order, once the citizen picks a service whose catalogue option has a `checklist`:

1. one message lists the whole checklist (every check and document), after the option's
   `conditions`;
2. the yes/no **checks**, one by one: a citizen who does not qualify hears the item's
   explanation and either stops there (`on_fail: stop`: the menu again, no ticket, no personal
   data asked for) or goes on (`on_fail: continue`);
3. the option's `collect` details (NIK, …), as before;
4. the **documents**, one by one: a photo or PDF each ("lewati"/"skip" for one that is not
   required; a text instead of a file gets a polite re-ask);
5. the handoff: the ticket keeps every answer and which stored message holds each document.

Checks come first so that nobody is asked for a NIK or a KK photo for a service they cannot
get; documents come last because they take the longest to find and photograph.

This module is the state machine, pure: `answer` reads one message (`Sent`) against the answers
so far (the JSON kept in the conversation's `state_data`, so any worker continues it after a
restart) and says what to reply and what comes next. The bot (bot.py) stores the answers and
moves between the phases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from pandawa.catalog.checklist import ChecklistItem
from pandawa.catalog.schema import Catalog, MenuItem
from pandawa.channels.media import TYPE_ALIASES
from pandawa.channels.media_store import STORED_TYPES
from pandawa.conversations import keywords
from pandawa.conversations.understand import normalise

CHECKS = "checks"
DOCUMENTS = "documents"
# what `answer` says comes next
ASK = "ask"  # a question of this phase is waiting for its answer
PHASE_DONE = "done"  # every item of the phase is answered
STOP = "stop"  # the citizen does not qualify and the item says stop

_YES_WORDS = frozenset("sudah benar betul sesuai pernah memenuhi already done".split())
# yes only as the first word: elsewhere "ya" is a filler ("gimana ya", "tidak ya")
_SOFT_YES_WORDS = frozenset("ya iya y yes yep yup yeah ok oke okay".split())
# a question back is no answer: "maksudnya apa?", "gimana ya"
_QUESTION_WORDS = frozenset("bagaimana apa kenapa mengapa maksud maksudnya what why how".split())
_NO_WORDS = frozenset("tidak belum bukan no n not nope never blm salah".split())
# "tidak tahu", "not sure", "mungkin": neither yes nor no
_UNSURE_WORDS = frozenset("tahu tau know sure ragu mungkin maybe lupa kurang".split())
# one edit away from these (4+ letters) still counts: "sudha", "belom", "tidka"
_TYPO_WORDS = ("sudah", "belum", "tidak", "benar", "betul", "sesuai", "bukan")
_SKIP_WORDS = frozenset("lewati lewat lewatkan lewatin skip lompati lompat".split())
_SKIP_PHRASES = frozenset(
    {
        "tidak ada",
        "tidak punya",
        "belum ada",
        "belum punya",
        "none",
        "no document",
        "dont have",
        "i dont have",
        "i dont have it",
        "do not have",
    }
)
_DOUBLED = re.compile(r"([^\W\d_])\1+")


def _squeezed(words: frozenset[str]) -> frozenset[str]:
    return frozenset(_DOUBLED.sub(r"\1", word) for word in words)


# compared with the citizen's words squeezed the same way ("iyaa" → "iya", "already" → "alredy")
_YES_WORDS, _SOFT_YES_WORDS, _NO_WORDS, _UNSURE_WORDS, _QUESTION_WORDS = map(
    _squeezed, (_YES_WORDS, _SOFT_YES_WORDS, _NO_WORDS, _UNSURE_WORDS, _QUESTION_WORDS)
)


@dataclass(frozen=True)
class Sent:
    """One citizen message as the checklist reads it: the text, the files that can satisfy a
    document (`{"message_id", "index", "content_type"}`, in order) and how many other media
    items (a voice note, a sticker, a contact card) it held."""

    text: str = ""
    documents: tuple[dict[str, Any], ...] = ()
    other_media: int = 0


@dataclass
class Step:
    answers: dict[str, dict[str, Any]]
    replies: list[str] = field(default_factory=list)
    outcome: str = ASK


def sent_of(message_id: int, body: str | None, media: list | None) -> Sent:
    """A stored inbound message as the checklist reads it."""
    documents, other = [], 0
    for index, item in enumerate(media or []):
        kind = item.get("content_type", "") if isinstance(item, dict) else ""
        kind = TYPE_ALIASES.get(kind.lower(), kind.lower())
        if kind in STORED_TYPES:
            documents.append({"message_id": message_id, "index": index, "content_type": kind})
        else:
            other += 1
    return Sent(body or "", tuple(documents), other)


def kind_of(phase: str) -> str:
    return "check" if phase == CHECKS else "document"


def pending(item: MenuItem, answers: dict[str, Any], phase: str) -> int | None:
    """The index of the first unanswered item of the phase, None when all are answered."""
    kind = kind_of(phase)
    for index, entry in enumerate(item.checklist):
        if entry.kind == kind and str(index) not in answers:
            return index
    return None


def has_phase(item: MenuItem, phase: str) -> bool:
    return any(entry.kind == kind_of(phase) for entry in item.checklist)


def overview(catalog: Catalog, item: MenuItem, language: str) -> str:
    """The whole checklist in one message, before the first question."""
    lines = []
    for entry in item.checklist:
        if entry.is_document:
            key = "checklist_line_document" if entry.is_required else "checklist_line_optional"
            lines.append(catalog.text(key, language, label=entry.text(language)))
        else:
            lines.append(
                catalog.text("checklist_line_check", language, question=entry.text(language))
            )
    return catalog.text(
        "checklist_intro", language, service=item.label_for(language), items="\n".join(lines)
    )


def question(catalog: Catalog, entry: ChecklistItem, language: str) -> str:
    if not entry.is_document:
        return catalog.text("checklist_check_ask", language, question=entry.text(language))
    key = "checklist_document_ask" if entry.is_required else "checklist_document_ask_optional"
    return catalog.text(key, language, label=entry.text(language))


def next_question(
    catalog: Catalog, item: MenuItem, language: str, phase: str, answers: dict[str, Any]
) -> Step:
    """Ask the phase's next item, or say the phase is done."""
    index = pending(item, answers, phase)
    if index is None:
        return Step(answers, outcome=PHASE_DONE)
    return Step(answers, [question(catalog, item.checklist[index], language)])


def answer(
    catalog: Catalog,
    item: MenuItem,
    language: str,
    phase: str,
    answers: dict[str, Any],
    sent: Sent,
) -> Step:
    """Read `sent` as the answer to the phase's pending item; the replies and what follows."""
    answers = dict(answers)
    index = pending(item, answers, phase)
    if index is None:
        return Step(answers, outcome=PHASE_DONE)
    entry = item.checklist[index]
    replies: list[str] = []
    if phase == CHECKS:
        said = yes_or_no(sent.text) if not sent.documents and not sent.other_media else None
        if said is None:
            unclear = catalog.text("checklist_check_unclear", language)
            return Step(answers, [unclear, question(catalog, entry, language)])
        qualifies = said == (entry.qualifying_answer == "ya")
        answers[str(index)] = {"answer": "ya" if said else "tidak", "qualifies": qualifies}
        if not qualifies:
            assert entry.explanation is not None
            replies.append(entry.explanation.get(language))
            if entry.on_fail == "stop":
                return Step(answers, replies, STOP)
            replies.append(catalog.text("checklist_not_eligible_continue", language))
    else:
        label = entry.text(language)
        if sent.documents:
            # several files at once fill the pending documents in order (KTP and KK together)
            for ref in sent.documents:
                at = pending(item, answers, phase)
                if at is None:
                    break
                answers[str(at)] = {"status": "received", **ref}
                name = item.checklist[at].text(language)
                replies.append(catalog.text("checklist_document_received", language, label=name))
        elif is_skip(sent.text) and not sent.other_media:
            if entry.is_required:
                replies.append(catalog.text("checklist_document_required", language, label=label))
                return Step(answers, [*replies, question(catalog, entry, language)])
            answers[str(index)] = {"status": "skipped"}
            replies.append(catalog.text("checklist_document_skipped", language, label=label))
        else:
            replies.append(catalog.text("checklist_document_not_file", language, label=label))
            return Step(answers, [*replies, question(catalog, entry, language)])
    follow = next_question(catalog, item, language, phase, answers)
    return Step(answers, replies + follow.replies, follow.outcome)


# -- reading the citizen's words --------------------------------------------------------------
def _words(text: str) -> list[str]:
    return [_DOUBLED.sub(r"\1", word) for word in normalise(text).split()]


def _corrected(word: str) -> str:
    if len(word) < 4 or word in _YES_WORDS or word in _NO_WORDS:
        return word
    close = process.extract(word, _TYPO_WORDS, scorer=OSA.distance, score_cutoff=1, limit=2)
    return close[0][0] if len(close) == 1 else word


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None when the answer is neither (or both).

    `1`/`2`, the keywords' yes and no (typos in no-words tolerated), and the words people
    answer such questions with: "sudah", "belum 3 bulan", "iya benar", "gak", "blm".
    """
    raw = text.strip().rstrip(".")
    if raw in ("1", "2"):
        return raw == "1"
    said = keywords.classify(raw)
    if said in ("yes", "no"):
        return said == "yes"
    words = [_corrected(word) for word in _words(raw)][:8]
    if not words or "?" in raw or any(w in _UNSURE_WORDS | _QUESTION_WORDS for w in words):
        return None
    if any(word in _NO_WORDS for word in words):
        return False
    if words[0] in _SOFT_YES_WORDS or any(word in _YES_WORDS for word in words):
        return True
    return None


def is_skip(text: str) -> bool:
    """ "lewati", "skip", "tidak ada", "gak punya": the citizen has no such document."""
    words = _words(text)
    if not words or len(words) > 5:
        return False
    phrase = " ".join(words)
    if phrase in _SKIP_PHRASES or words[0] in _SKIP_WORDS:
        return True
    close = process.extract(words[0], ("lewati",), scorer=OSA.distance, score_cutoff=1, limit=1)
    return len(words) == 1 and len(words[0]) >= 5 and bool(close)
