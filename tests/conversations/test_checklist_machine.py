"""The checklist's state machine on its own (conversations/checklist.py): how the citizen's
words are read, and — for any checklist and any sequence of messages — that the walk ends in a
handoff or a stop, is never stuck, and never lets a required document be skipped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pandawa.catalog.checklist import ChecklistItem
from pandawa.catalog.loader import load_file
from pandawa.catalog.schema import SHIPPED_CATALOG, MenuItem
from pandawa.conversations import checklist
from pandawa.conversations.checklist import Sent

CATALOG = load_file(SHIPPED_CATALOG)
TEXT = {"id": "Teks", "en": "Text"}


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("ya", True),
        ("Iya", True),
        ("1", True),
        ("yes", True),
        ("sudah", True),
        ("sudahh", True),
        ("udh", True),
        ("sudha", True),  # one letter swapped
        ("ya sudah sesuai", True),
        ("benar", True),
        ("tidak", False),
        ("2", False),
        ("no", False),
        ("gak", False),
        ("belum", False),
        ("blm 3 bln", False),
        ("tidka", False),
        ("tidak sesuai", False),
        ("belom", False),
        ("tidak tahu", None),
        ("not sure", None),
        ("gimana ya", None),
        ("maksudnya apa?", None),
        ("halo", None),
        ("", None),
        ("3", None),
    ],
)
def test_a_yes_or_no_is_read_the_way_people_answer(typed, read):
    assert checklist.yes_or_no(typed) is read


@pytest.mark.parametrize(
    ("typed", "skip"),
    [
        ("lewati", True),
        ("Lewati", True),
        ("skip", True),
        ("lwati", True),
        ("gak ada", True),
        ("tidak punya", True),
        ("i don't have", True),
        ("ada", False),
        ("ini ktp saya", False),
        ("", False),
    ],
)
def test_skipping_a_document(typed, skip):
    assert checklist.is_skip(typed) is skip


# -- the property: any checklist, any messages ----------------------------------------------

items = st.one_of(
    st.builds(
        lambda required: ChecklistItem(kind="document", label=TEXT, required=required),
        st.booleans(),
    ),
    st.builds(
        lambda answer, on_fail: ChecklistItem(
            kind="check",
            question=TEXT,
            qualifying_answer=answer,
            explanation={"id": "Penjelasan", "en": "Explanation"},
            on_fail=on_fail,
        ),
        st.sampled_from(["ya", "tidak"]),
        st.sampled_from(["stop", "continue"]),
    ),
)
PHOTO = {"message_id": 7, "index": 0, "content_type": "image/jpeg"}
PDF = {"message_id": 8, "index": 0, "content_type": "application/pdf"}
messages = st.one_of(
    st.sampled_from(["ya", "tidak", "1", "2", "lewati", "skip", "halo", "", "mungkin", "?"]).map(
        Sent
    ),
    st.text(max_size=30).map(Sent),
    st.lists(st.sampled_from([PHOTO, PDF]), min_size=1, max_size=3).map(
        lambda files: Sent("", tuple(files))
    ),
    st.integers(1, 2).map(lambda n: Sent("", (), n)),  # a voice note, a sticker
)


class Walk:
    """Drives the machine as the bot does: checks, then (collect, not modelled) documents."""

    def __init__(self, item: MenuItem, language: str) -> None:
        self.item, self.language = item, language
        self.answers: dict = {}
        self.phase = checklist.CHECKS
        self.end: str | None = None
        first = self._next()
        self.replies = first

    def _next(self) -> list[str]:
        step = checklist.next_question(CATALOG, self.item, self.language, self.phase, self.answers)
        if step.outcome == checklist.PHASE_DONE:
            if self.phase == checklist.CHECKS:
                self.phase = checklist.DOCUMENTS
                return self._next()
            self.end = "handoff"
        return step.replies

    def send(self, sent: Sent) -> list[str]:
        before = dict(self.answers)
        step = checklist.answer(CATALOG, self.item, self.language, self.phase, self.answers, sent)
        self.answers = step.answers
        assert all(self.answers.get(k) == v for k, v in before.items()), "an answer changed"
        if step.outcome == checklist.STOP:
            self.end = "stop"
            return step.replies
        if step.outcome == checklist.PHASE_DONE:
            return step.replies + self._next()
        return step.replies

    def good_answer(self) -> Sent:
        """What moves the walk on from where it is: "ya" to a check, a photo for a document."""
        return Sent("ya") if self.phase == checklist.CHECKS else Sent("", (PHOTO,))


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(items, min_size=1, max_size=6),
    inputs=st.lists(messages, max_size=25),
    language=st.sampled_from(["id", "en"]),
)
def test_any_messages_end_in_a_handoff_or_a_stop_and_never_skip_a_required_document(
    entries, inputs, language
):
    item = MenuItem(key="1", label=TEXT, queue="Q1", checklist=entries)
    walk = Walk(item, language)
    assert walk.replies, "the first question is asked at once"

    for sent in inputs:
        if walk.end:
            break
        replies = walk.send(sent)
        # every message gets an answer (at the handoff the ticket's number is that answer)
        assert replies or walk.end == "handoff"
        if walk.end is None:
            pending = checklist.pending(item, walk.answers, walk.phase)
            # never stuck: the walk waits at a question it has just asked
            assert pending is not None
            assert replies[-1] == checklist.question(CATALOG, item.checklist[pending], language)

    # whatever happened so far, answering what is asked finishes within one message per item
    for _ in range(len(entries)):
        if walk.end:
            break
        walk.send(walk.good_answer())
    assert walk.end in ("handoff", "stop")

    for index, entry in enumerate(entries):
        answer = walk.answers.get(str(index))
        if entry.is_document and answer is not None and answer["status"] == "skipped":
            assert not entry.is_required, "a required document was skipped"
    if walk.end == "handoff":
        assert set(walk.answers) == {str(i) for i in range(len(entries))}
    else:
        # a stop comes from a check answered the other way whose item says stop
        failed = [
            entries[int(k)]
            for k, v in walk.answers.items()
            if not entries[int(k)].is_document and not v["qualifies"]
        ]
        assert failed and failed[-1].on_fail == "stop"
        assert all(e.on_fail == "continue" for e in failed[:-1])
