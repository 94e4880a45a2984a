"""Eligibility checklists of a service (issue 17, item 10): what the citizen must have before a
ticket reaches an agent, so agents stop asking for the KTP or the KK again and again.

A handoff option (`queue:`) may list `checklist:` items of two kinds:

- `document`: a photo or PDF the citizen sends (`label` in both languages; `required`, true
  unless said otherwise, may not be skipped with "lewati"/"skip");
- `check`: a yes/no `question` in both languages, the `qualifying_answer` (`ya` or `tidak`), the
  `explanation` given when the citizen answers the other way, and `on_fail`: `stop` (the
  explanation and the menu; no ticket) or `continue` (the explanation, then on to an agent).

The bot (pandawa/conversations/checklist.py) walks the citizen through them; the ticket keeps
what was answered and which stored message holds each document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from pandawa.catalog.checks import Problems, suggestion
from pandawa.catalog.fields import Localized, Strict

KINDS = ("document", "check")
ANSWERS = ("ya", "tidak")
ON_FAIL = ("stop", "continue")
MAX_ITEMS = 10

# which keys belong to which kind, and which of them must be written
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (allowed, required)
    "document": (("label", "required"), ("label",)),
    "check": (
        ("question", "qualifying_answer", "explanation", "on_fail"),
        ("question", "qualifying_answer", "explanation", "on_fail"),
    ),
}
_FIX = {
    "document": "write label: {id: ..., en: ...} and, when it may be skipped, required: false",
    "check": "write question: {id: ..., en: ...}, qualifying_answer: ya or tidak, "
    "explanation: {id: ..., en: ...} and on_fail: stop or continue",
}


def _answer(value: Any) -> Any:
    # YAML 1.1 reads a bare yes/no as true/false: accept them as ya/tidak
    if value is True:
        return "ya"
    if value is False:
        return "tidak"
    return value.strip().lower() if isinstance(value, str) else value


class ChecklistItem(Strict):
    kind: str
    label: Localized | None = None
    required: bool | None = None
    question: Localized | None = None
    qualifying_answer: Annotated[Literal["ya", "tidak"] | None, BeforeValidator(_answer)] = None
    explanation: Localized | None = None
    on_fail: Literal["stop", "continue"] | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> ChecklistItem:
        check_checklist_item(self).raise_any("ChecklistItem")
        return self

    @property
    def is_document(self) -> bool:
        return self.kind == "document"

    @property
    def is_required(self) -> bool:
        return self.required is not False

    def text(self, language: str | None) -> str:
        """What the citizen and the agent read: the document's name or the question."""
        shown = self.label if self.is_document else self.question
        assert shown is not None
        return shown.get(language)


Checklist = Annotated[list[ChecklistItem], Field(max_length=MAX_ITEMS)]


def check_checklist_item(item: ChecklistItem) -> Problems:
    """A known kind, with the keys of that kind and no others."""
    problems = Problems()
    if item.kind not in KINDS:
        problems.add(
            ("kind",),
            f"{item.kind!r} is not a checklist kind",
            f"{suggestion(item.kind, KINDS)}use document (a photo or PDF the citizen sends) "
            "or check (a yes/no question)",
            item.kind,
        )
        return problems
    allowed, required = _KEYS[item.kind]
    for name in ChecklistItem.model_fields:
        if name == "kind":
            continue
        value = getattr(item, name)
        if value is not None and name not in allowed:
            problems.add(
                (name,),
                f"{name} does not belong to a {item.kind}",
                f"remove it; a {item.kind} has {', '.join(allowed)}",
            )
        elif value is None and name in required:
            problems.add(
                (name,),
                f"a {item.kind} needs {name}",
                _FIX[item.kind],
            )
    return problems
