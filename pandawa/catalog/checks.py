"""What is wrong with a catalogue, said precisely: the checks behind `schema.py`'s models.

Value checks (patterns, time zones, opening intervals) back the constrained string types;
`check_holidays` and `check_menu_item` back those models' after-validators; `check_catalog`
runs the checks that need the whole document (menu → queue, shared sender numbers →
regions, texts → their fields). Each reports the exact key path of every problem.

Problems raised here carry `what` and `fix` in their context; `loader.py` turns them into
`file:line: key: what; fix: ...` messages. This module does not import `schema.py` at run
time (the models are only annotations here), so `schema.py` can import it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import AfterValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from pandawa.catalog.texts import (
    LANGUAGE_NAMES,
    LANGUAGES,
    MAX_MESSAGE_CHARS,
    REQUIRED_TEXTS,
    TEMPLATE_SPECS,
    TEXT_SPECS,
    placeholders,
)

if TYPE_CHECKING:
    from pandawa.catalog.fields import LocalizedText
    from pandawa.catalog.offices import HolidayCalendar, OfficeSpec
    from pandawa.catalog.schema import Catalog, MenuItem, TemplateSpec

MAX_MENU_DEPTH = 3
T = TypeVar("T", bound=Hashable)

Loc = tuple[str | int, ...]


# -- helpers for precise problems -----------------------------------------------------------
def problem(what: str, fix: str) -> PydanticCustomError:
    """A validation error whose message the loader can split into what is wrong and the fix."""
    return PydanticCustomError("catalog", "{what}; fix: {fix}", {"what": what, "fix": fix})


class Problems:
    """Collects problems at exact key paths, raised together as one ValidationError."""

    def __init__(self) -> None:
        self._errors: list[InitErrorDetails] = []

    def add(self, loc: Loc, what: str, fix: str, value: Any = None) -> None:
        self._errors.append(InitErrorDetails(type=problem(what, fix), loc=loc, input=value))

    def raise_any(self, title: str) -> None:
        if self._errors:
            raise ValidationError.from_exception_data(title, self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)


def repeats(values: Iterable[T]) -> Iterator[tuple[int, T, int]]:
    """(index, value, index of its first occurrence) for each value seen before in `values`."""
    first: dict[T, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield index, value, first[value]
        else:
            first[value] = index


def suggestion(value: str, known: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


def pattern(regex: str, noun: str, fix: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise problem(f"{value!r} is not a valid {noun}", fix)
        return value

    return AfterValidator(check)


def not_blank(value: str) -> str:
    if not value.strip():
        raise problem("is empty", "write a value")
    return value


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        from zoneinfo import available_timezones

        hint = suggestion(value, sorted(available_timezones()))
        raise problem(
            f"{value!r} is not an IANA time zone",
            f"{hint}use a zone such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura",
        ) from None
    return value


def interval(value: str) -> str:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise problem(
            f"{value!r} is not an opening interval",
            'write "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-15:00" (use 23:59 for midnight)',
        )
    if value[:5] >= value[6:]:
        raise problem(f"{value!r} ends before it starts", "put the opening time first")
    return value


# -- checks behind the models' after-validators ---------------------------------------------
def check_holidays(calendar: HolidayCalendar) -> Problems:
    """A country and categories the `holidays` package knows."""
    problems = Problems()
    supported = holidays_lib.list_supported_countries()
    if calendar.country not in supported:
        problems.add(
            ("country",),
            f"{calendar.country!r} is not a country the holidays package knows",
            f"{suggestion(calendar.country, list(supported))}use an ISO 3166 code such as ID",
            calendar.country,
        )
    else:
        known = holidays_lib.country_holidays(calendar.country).supported_categories
        for index, category in enumerate(calendar.categories):
            if category not in known:
                problems.add(
                    ("categories", index),
                    f"{category!r} is not a holiday category of {calendar.country}",
                    f"use one of {', '.join(sorted(known))}",
                    category,
                )
    return problems


def check_menu_item(item: MenuItem) -> Problems:
    """Exactly one of answer, queue or submenu; handoff-only keys only on a handoff."""
    problems = Problems()
    kinds = [k for k in ("answer", "queue", "submenu") if getattr(item, k) is not None]
    if len(kinds) != 1:
        what = "has " + " and ".join(kinds) if kinds else "has no answer, queue or submenu"
        problems.add(
            (),
            f"option {item.key} {what}",
            "give each option exactly one of answer, queue or submenu",
        )
    if item.queue is None:
        for name in ("collect", "conditions", "checklist"):
            if getattr(item, name):
                problems.add(
                    (name,),
                    f"{name} is only used before a handoff",
                    "add queue: CODE to this option, or remove it",
                )
    if item.submenu is not None and not item.submenu:
        problems.add(("submenu",), "the submenu is empty", "add options or remove it")
    for index, name, first in repeats(step.field for step in item.collect):
        problems.add(
            ("collect", index, "field"),
            f"{name!r} is collected twice (also collect[{first}])",
            "give each detail its own field name",
            name,
        )
    return problems


# -- cross-checks ---------------------------------------------------------------------------
def check_catalog(catalog: Catalog) -> Problems:
    """The problems only the whole document shows; `Catalog`'s after-validator raises them."""
    problems = Problems()
    _check_unique(problems, "offices", [o.code for o in catalog.offices], "office code")
    _check_unique(problems, "queues", [q.code for q in catalog.queues], "queue code")
    _check_shared_numbers(problems, catalog.offices)
    codes = [q.code for q in catalog.queues]
    if catalog.default_queue is not None and catalog.default_queue not in codes:
        problems.add(
            ("default_queue",),
            f"queue {catalog.default_queue!r} is not defined",
            _queue_fix(catalog.default_queue, codes),
            catalog.default_queue,
        )
    _check_menu(problems, ("menu",), catalog.menu, codes, depth=1)
    _check_texts(problems, catalog.texts)
    _check_templates(problems, catalog.templates)
    if not problems:
        for path, item in [((), None), *catalog.iter_menu()]:
            if item is not None and not item.submenu:
                continue
            for language in LANGUAGES:
                if len(catalog.render_menu(language, path)) > MAX_MESSAGE_CHARS:
                    where: Loc = ("menu",) if not path else _menu_loc(catalog.menu, path)
                    problems.add(
                        where,
                        f"the {LANGUAGE_NAMES[language]} menu is longer "
                        f"than {MAX_MESSAGE_CHARS} characters",
                        "shorten the labels or move options into a submenu",
                    )
    return problems


def _check_unique(problems: Problems, where: str, codes: list[str], noun: str) -> None:
    for index, code, first in repeats(codes):
        problems.add(
            (where, index, "code"),
            f"{noun} {code} is used twice (also {where}[{first}])",
            f"give each entry its own {noun}",
            code,
        )


def _check_shared_numbers(problems: Problems, offices: list[OfficeSpec]) -> None:
    by_number: dict[str, list[int]] = {}
    for index, office in enumerate(offices):
        by_number.setdefault(office.whatsapp, []).append(index)
    for indexes in by_number.values():
        if len(indexes) < 2:
            continue
        owner: dict[str, str] = {}
        for index in indexes:
            office = offices[index]
            if not office.regions:
                problems.add(
                    ("offices", index, "regions"),
                    f"{office.code} shares its WhatsApp "
                    "number with other offices but lists no regions",
                    "add regions: [{province: ..., regencies: [...]}] so the bot can "
                    "route citizens by where they live",
                )
            for name in sorted(office.region_names()):
                if name in owner and owner[name] != office.code:
                    problems.add(
                        ("offices", index, "regions"),
                        f"region {name!r} is also served by {owner[name]} on the same number",
                        "list each regency under one office only",
                    )
                owner.setdefault(name, office.code)


def _queue_fix(code: str, codes: list[str]) -> str:
    return f"{suggestion(code, codes)}use one of the queue codes: {', '.join(codes)}"


def _check_menu(
    problems: Problems, loc: Loc, items: list[MenuItem], codes: list[str], depth: int
) -> None:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.key in first:
            problems.add(
                (*loc, index, "key"),
                f"key {item.key!r} is used twice at this level "
                f"(also {dotted_path((*loc, first[item.key]))})",
                "give each option of a menu its own number",
                item.key,
            )
        first.setdefault(item.key, index)
        if item.queue is not None and item.queue not in codes:
            problems.add(
                (*loc, index, "queue"),
                f"queue {item.queue!r} is not defined",
                _queue_fix(item.queue, codes),
                item.queue,
            )
        if item.submenu:
            if depth >= MAX_MENU_DEPTH:
                problems.add(
                    (*loc, index, "submenu"),
                    f"menus nest deeper than {MAX_MENU_DEPTH} levels",
                    "flatten the menu: citizens get lost",
                )
            else:
                _check_menu(problems, (*loc, index, "submenu"), item.submenu, codes, depth + 1)


def _check_texts(problems: Problems, texts: dict[str, LocalizedText]) -> None:
    for key in REQUIRED_TEXTS:
        if key not in texts:
            problems.add(
                ("texts",),
                f"the text {key} is missing",
                f"add texts.{key} with id and en (see pandawa/catalog/default.yaml)",
            )
    for key, entry in texts.items():
        spec = TEXT_SPECS.get(key)
        if spec is None:
            problems.add(
                ("texts", key),
                f"unknown text {key!r}",
                f"{suggestion(key, list(TEXT_SPECS))}"
                "use the text names of pandawa/catalog/default.yaml",
                key,
            )
            continue
        _check_template_text(problems, ("texts", key), entry, spec.fields, spec.may_be_empty)


def _check_template_text(
    problems: Problems, loc: Loc, entry: LocalizedText, allowed: tuple[str, ...], may_be_empty: bool
) -> None:
    fields = ", ".join("{" + f + "}" for f in allowed) or "no {fields}"
    for language in LANGUAGES:
        value = entry.get(language)
        if not value.strip() and not may_be_empty:
            problems.add(
                (*loc, language),
                f"the {LANGUAGE_NAMES[language]} text is empty",
                f"write the {LANGUAGE_NAMES[language]} text",
                value,
            )
            continue
        try:
            used = placeholders(value)
        except ValueError as exc:
            problems.add(
                (*loc, language),
                f"{exc} is not a field this text can use",
                f"use {fields}; write {{{{ and }}}} for literal braces",
                value,
            )
            continue
        for name in sorted(used - set(allowed)):
            problems.add(
                (*loc, language),
                f"uses {{{name}}}, which this text does not receive",
                f"{suggestion(name, allowed)}use only {fields}",
                value,
            )
    if may_be_empty and bool(entry.id.strip()) != bool(entry.en.strip()):
        problems.add(
            loc,
            "one language is empty and the other is not",
            "write both texts, or leave both empty",
        )


def _check_templates(problems: Problems, templates: dict[str, TemplateSpec]) -> None:
    for name, spec in templates.items():
        if name not in TEMPLATE_SPECS:
            problems.add(
                ("templates", name),
                f"unknown template {name!r}",
                f"{suggestion(name, list(TEMPLATE_SPECS))}use one of {', '.join(TEMPLATE_SPECS)}",
                name,
            )
            continue
        allowed = TEMPLATE_SPECS[name]
        for index, variable in enumerate(spec.variables):
            if variable not in allowed or spec.variables.index(variable) != index:
                problems.add(
                    ("templates", name, "variables", index),
                    f"{variable!r} is unknown or repeated",
                    f"use each of {', '.join(allowed)} at most once",
                    variable,
                )
        if spec.preview is not None:
            _check_template_text(
                problems,
                ("templates", name, "preview"),
                spec.preview,
                tuple(spec.variables),
                may_be_empty=False,
            )


def _menu_loc(menu: list[MenuItem], path: tuple[str, ...]) -> Loc:
    loc: Loc = ("menu",)
    items = menu
    for depth, key in enumerate(path):
        index = next(i for i, item in enumerate(items) if item.key == key)
        loc = (*loc, index) if depth == 0 else (*loc, "submenu", index)
        items = items[index].submenu or []
    return loc


def dotted_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
