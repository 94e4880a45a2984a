"""Canned responses per queue, from canned.yaml beside this file, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PATH = Path(__file__).with_name("canned.yaml")


@dataclass(frozen=True)
class Canned:
    title: str
    body: str


@cache
def _all() -> dict[str, tuple[Canned, ...]]:
    raw = yaml.safe_load(PATH.read_text(encoding="utf-8")) or {}
    return {
        str(code): tuple(Canned(str(item["title"]), str(item["body"])) for item in items or ())
        for code, items in raw.items()
    }


def responses_for(queue_code: str, *, name: str, ticket: str) -> list[Canned]:
    """The queue's responses then the shared ones, with {nama} and {tiket} filled in."""
    table = _all()
    items = [*table.get(queue_code, ()), *table.get("*", ())]
    return [
        Canned(item.title, item.body.replace("{nama}", name).replace("{tiket}", ticket))
        for item in items
    ]
