"""What a catalogue load changes in the services' checklists (issue 17, item 10), one line per
item: `added menu 3 checklist[0] check 'Apakah Bapak/Ibu sudah terdaftar…'`, `changed menu 2.3
checklist[2] required: yes → no`, `removed …`. Pure, like diff.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pandawa.provisioning.diff import ADDED, REMOVED, Change, field_change, short


def _checklists(items: list[dict], path: str = "") -> Iterator[tuple[str, list[dict]]]:
    for item in items:
        key = f"{path}.{item['key']}" if path else str(item["key"])
        yield key, list(item.get("checklist") or [])
        yield from _checklists(item.get("submenu") or [], key)


def _name(entry: dict) -> str:
    """ "check 'Apakah …'" or "document 'KTP-el peserta'"."""
    text = entry.get("label") or entry.get("question") or {}
    return f"{entry.get('kind')} {short(text.get('id') if isinstance(text, dict) else text)}"


def _shown(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) and "id" in value else value


def checklist_changes(old: dict | None, new: dict) -> list[Change]:
    """The checklist lines of a load: nothing on the first load (it counts the menu whole)."""
    if old is None:
        return []
    return list(_menu_changes(old.get("menu") or [], new.get("menu") or []))


def _menu_changes(old_menu: list[dict], new_menu: list[dict]) -> Iterator[Change]:
    before = dict(_checklists(old_menu))
    for key, entries in _checklists(new_menu):
        previous = before.get(key, [])
        for index in range(max(len(entries), len(previous))):
            code = f"{key} checklist[{index}]"
            if index >= len(previous):
                yield Change(ADDED, "menu", code, _name(entries[index]))
            elif index >= len(entries):
                yield Change(REMOVED, "menu", code, _name(previous[index]))
            else:
                old, new = previous[index], entries[index]
                for name in [*new, *(n for n in old if n not in new)]:
                    if old.get(name) != new.get(name):
                        yield field_change(
                            "menu", code, name, _shown(old.get(name)), _shown(new.get(name))
                        )
