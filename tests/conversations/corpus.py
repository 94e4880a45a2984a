"""The labelled corpus of citizen messages (corpus.yaml) and how the bot's reading of them is
scored: by label, by category, overall; for the development part and the held-out part apart.
Used by test_understand.py and bench/intents.py."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pandawa.catalog.schema import Catalog
from pandawa.conversations.understand import understand

CORPUS = Path(__file__).with_name("corpus.yaml")

# the report's categories; a label's category is its prefix ("faq:rujukan" → faq)
CATEGORIES = {
    "status": "status",
    "cancel": "batal",
    "menu": "menu",
    "agent": "petugas",
    "yes": "ya/tidak",
    "no": "ya/tidak",
    "english": "bahasa",
    "indonesia": "bahasa",
    "greeting": "salam",
    "thanks": "terima kasih",
    "choice": "nomor menu",
    "faq": "faq",
    "unknown": "tidak dikenal",
}
KEYWORD_CATEGORIES = ("status", "batal", "menu", "petugas")


@dataclass(frozen=True)
class Example:
    text: str
    label: str

    @property
    def category(self) -> str:
        return CATEGORIES[self.label.split(":", 1)[0]]


@dataclass
class Score:
    total: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)
    wrong: list[tuple[Example, str]] = field(default_factory=list)

    def accuracy(self, category: str | None = None) -> float:
        if category is None:
            total, correct = sum(self.total.values()), sum(self.correct.values())
        else:
            total, correct = self.total[category], self.correct[category]
        return correct / total if total else 1.0

    def count(self, category: str | None = None) -> int:
        return sum(self.total.values()) if category is None else self.total[category]


def load(part: str = "messages") -> list[Example]:
    """`messages` (development) or `held_out`."""
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [Example(str(item["text"]), str(item["intent"])) for item in data.get(part) or []]


def faq_topics() -> dict[str, str]:
    """Indonesian question of an FAQ entry → its topic in the corpus."""
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return {question: topic for topic, question in data["faq_topics"].items()}


def label_of(catalog: Catalog, text: str, topics: dict[str, str]) -> str:
    """The corpus label for what the bot understood of `text`."""
    seen = understand(catalog, text, "id")
    if seen.intent == "choice":
        return f"choice:{seen.choice}"
    if seen.intent == "faq":
        question = seen.answers[0].entry.question.get("id")
        return f"faq:{topics.get(question, question)}"
    return seen.intent


def score(catalog: Catalog, examples: list[Example]) -> Score:
    topics = faq_topics()
    result = Score()
    for example in examples:
        got = label_of(catalog, example.text, topics)
        result.total[example.category] += 1
        if got == example.label:
            result.correct[example.category] += 1
        else:
            result.wrong.append((example, got))
    return result


def table(scores: dict[str, Score]) -> str:
    """A Markdown table: one row per category, one column per part."""
    parts = list(scores)
    header = "| category | " + " | ".join(f"{p} (n)" for p in parts) + " |"
    lines = [header, "|" + "---|" * (len(parts) + 1)]
    categories = sorted({c for s in scores.values() for c in s.total}, key=_order)
    for category in [*categories, None]:
        cells = []
        for part in parts:
            s = scores[part]
            n = s.count(category)
            cells.append(f"{100 * s.accuracy(category):.1f} % ({n})" if n else "–")
        name = "**all**" if category is None else category
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _order(category: str) -> tuple[int, str]:
    order = [*KEYWORD_CATEGORIES, *dict.fromkeys(CATEGORIES.values())]
    return (order.index(category), category)


def by_label(examples: list[Example]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for example in examples:
        counts[example.label] += 1
    return dict(counts)
