"""What a catalogue load will change, as lines an operator reads before it is applied.

Pure functions: rows' current values and the previous revision's document in, `Change`s out.
Offices and queues are compared with their rows (what the service runs on); holidays,
closures, regions, texts, templates, the menu and the FAQ live only in the catalogue document,
so they are compared with the revision in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

ADDED, CHANGED, REMOVED = "added", "changed", "removed"
SHORT = 40


@dataclass(frozen=True)
class Change:
    action: str  # added | changed | removed
    kind: str  # office | queue | text | template | menu | faq | catalogue
    code: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f" {self.detail}" if self.detail else ""
        return f"  {self.action:<8} {self.kind} {self.code}{detail}"


def short(value: Any) -> str:
    """A value as the diff shows it: lists joined, long texts cut to SHORT characters."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(short(v) for v in value)
    if isinstance(value, int | float):
        return str(value)
    text = str(value).replace("\n", " ")
    return repr(text if len(text) <= SHORT else text[: SHORT - 1] + "…")


def field_change(kind: str, code: str, name: str, old: Any, new: Any) -> Change:
    label = f"{name}: " if name else ""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > SHORT:
        old, new = _around_difference(old, new)
    return Change(CHANGED, kind, code, f"{label}{short(old)} → {short(new)}")


def _around_difference(old: str, new: str) -> tuple[str, str]:
    """Two long texts cut to where they start to differ (`…` marks the cut)."""
    same = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    if same is None:
        same = min(len(old), len(new))
    start = max(0, same - 10)
    if start == 0:
        return old, new
    return "…" + old[start:], "…" + new[start:]


# -- offices and queues: row values -----------------------------------------------------------
def hours_text(intervals: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals) or "closed"


def office_row_changes(code: str, changed: dict[str, tuple[Any, Any]]) -> Iterator[Change]:
    """`changed`: {column: (old, new)} of an existing office row."""
    for column, (old, new) in changed.items():
        if column == "weekly_hours":
            old, new = old or {}, new or {}
            for day in new:
                if (old.get(day) or []) != (new.get(day) or []):
                    detail = (
                        f"hours.{day}: {hours_text(old.get(day) or [])} → {hours_text(new[day])}"
                    )
                    yield Change(CHANGED, "office", code, detail)
        elif column == "is_active":
            yield Change(ADDED, "office", code, "(reactivated)")
        else:
            name = {"whatsapp_address": "whatsapp", "timezone": "zone"}.get(column, column)
            yield field_change("office", code, name, old, new)


def queue_row_changes(code: str, changed: dict[str, tuple[Any, Any]]) -> Iterator[Change]:
    for column, (old, new) in changed.items():
        if column == "is_active":
            yield Change(ADDED, "queue", code, "(reactivated)")
        elif column == "sla_seconds":
            yield field_change("queue", code, "sla_minutes", (old or 0) // 60, new // 60)
        else:
            name = {"name_id": "name.id", "name_en": "name.en", "is_auto_assign": "auto_assign"}
            yield field_change("queue", code, name.get(column, column), old, new)


def new_office(code: str, values: dict[str, Any]) -> Change:
    days = sum(1 for intervals in values["weekly_hours"].values() if intervals)
    return Change(
        ADDED,
        "office",
        code,
        f"{short(values['name'])} ({values['timezone']}, open {days} days a week)",
    )


def new_queue(code: str, values: dict[str, Any]) -> Change:
    return Change(
        ADDED, "queue", code, f"{short(values['name_id'])} (SLA {values['sla_seconds'] // 60} min)"
    )


# -- the rest of the document ------------------------------------------------------------------
def document_changes(old: dict | None, new: dict) -> list[Change]:
    """Changes of the parts kept only in the document, the revision in force against `new`."""
    if old is None:
        counts = [
            ("text", len(new.get("texts") or {}), "texts"),
            ("template", len(new.get("templates") or {}), "templates"),
            ("menu", sum(1 for _ in _menu(new.get("menu") or [])), "options"),
            ("faq", len(new.get("faq") or []), "entries"),
        ]
        return [Change(ADDED, kind, f"({n} {noun})") for kind, n, noun in counts if n]
    changes: list[Change] = []
    for key in ("default_language", "default_queue"):
        if old.get(key) != new.get(key):
            changes.append(field_change("catalogue", key, "", old.get(key), new.get(key)))
    changes += list(_office_extras(old.get("offices") or [], new.get("offices") or []))
    changes += list(_keyed("text", old.get("texts") or {}, new.get("texts") or {}))
    changes += list(_keyed("template", old.get("templates") or {}, new.get("templates") or {}))
    changes += list(
        _keyed("menu", dict(_menu(old.get("menu") or [])), dict(_menu(new.get("menu") or [])))
    )
    changes += list(_keyed("faq", _faq(old.get("faq") or []), _faq(new.get("faq") or [])))
    return changes


def _office_extras(old: list[dict], new: list[dict]) -> Iterator[Change]:
    """Holidays, closures and regions of the offices in both documents."""
    before = {o["code"]: o for o in old}
    for office in new:
        previous = before.get(office["code"])
        if previous is None:
            continue
        code = office["code"]
        if previous.get("holidays") != office.get("holidays"):
            yield field_change("office", code, "holidays", _holidays(previous), _holidays(office))
        old_closures = {c["date"]: c["reason"] for c in previous.get("closures") or []}
        new_closures = {c["date"]: c["reason"] for c in office.get("closures") or []}
        for day in sorted(old_closures.keys() | new_closures.keys()):
            if day not in old_closures:
                yield Change(ADDED, "office", code, f"closure {day} {short(new_closures[day])}")
            elif day not in new_closures:
                yield Change(REMOVED, "office", code, f"closure {day} {short(old_closures[day])}")
            elif old_closures[day] != new_closures[day]:
                yield field_change(
                    "office", code, f"closure {day}", old_closures[day], new_closures[day]
                )
        if (previous.get("regions") or []) != (office.get("regions") or []):
            yield field_change("office", code, "regions", _regions(previous), _regions(office))


def _holidays(office: dict) -> str | None:
    holidays = office.get("holidays")
    if not holidays:
        return None
    return f"{holidays.get('country')} {'+'.join(holidays.get('categories') or [])}"


def _regions(office: dict) -> list[str]:
    names = []
    for region in office.get("regions") or []:
        names.extend(region.get("regencies") or [region.get("province")])
    return names


def _menu(items: list[dict], path: str = "") -> Iterator[tuple[str, dict]]:
    for item in items:
        key = f"{path}.{item['key']}" if path else str(item["key"])
        yield (
            key,
            # a checklist is shown item by item (checklist_diff.py)
            {k: v for k, v in item.items() if k not in ("submenu", "checklist")}
            | {"submenu": [sub["key"] for sub in item.get("submenu") or []] or None},
        )
        yield from _menu(item.get("submenu") or [], key)


def _faq(entries: list[dict]) -> dict[str, dict]:
    return {str((entry.get("question") or {}).get("id")): entry for entry in entries}


def _keyed(kind: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """Entries by key: added, removed, and for changed ones the first-level fields that differ."""
    for key in [*(k for k in new if k not in old), *sorted(k for k in old if k not in new)]:
        # an optional text left out of a catalogue falls back to the shipped wording
        fallback = "(the shipped wording applies)" if kind == "text" and key in old else ""
        yield Change(ADDED if key in new else REMOVED, kind, key, fallback)
    for key in new:
        if key not in old or old[key] == new[key]:
            continue
        before, after = old[key], new[key]
        if isinstance(before, dict) and isinstance(after, dict):
            for name in [*after, *(n for n in before if n not in after)]:
                if before.get(name) != after.get(name):
                    yield field_change(
                        kind, key, name, _flat(before.get(name)), _flat(after.get(name))
                    )
        else:
            yield field_change(kind, key, "value", before, after)


def _flat(value: Any) -> Any:
    """A localized text {id, en} shows its Indonesian side; other dicts their values."""
    if isinstance(value, dict):
        return value.get("id") if "id" in value else list(value.values())
    return value
