"""The service catalogue's shape (format version 1), validated with pydantic.

One model per part of the YAML file; `Catalog` is the whole document. Every model refuses
unknown keys, so a typo fails loudly instead of being ignored. Checks that need the whole
document (menu → queue, shared sender numbers → regions, texts → their fields) run in
`Catalog`'s after-validator and report the exact key path of each problem.

Problems raised here carry `what` and `fix` in their context; `loader.py` turns them into
`file:line: key: what; fix: ...` messages.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

SHIPPED_CATALOG = Path(__file__).with_name("default.yaml")
LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Twilio refuses longer WhatsApp bodies
MAX_MESSAGE_CHARS = 1600
MAX_MENU_DEPTH = 3

Language = Literal["id", "en"]
Loc = tuple[str | int, ...]


# -- the texts the citizen reads ------------------------------------------------------------
@dataclass(frozen=True)
class TextSpec:
    fields: tuple[str, ...] = ()
    required: bool = False
    may_be_empty: bool = False
    doc: str = ""


def _spec(
    *fields: str, required: bool = False, may_be_empty: bool = False, doc: str = ""
) -> TextSpec:
    return TextSpec(fields, required, may_be_empty, doc)


# Every text key the product uses, with the str.format fields it receives. Required keys must
# be in every catalogue; an optional key missing from a catalogue falls back to the shipped
# default catalogue's text, so older catalogues keep working when a key is added here.
TEXT_SPECS: dict[str, TextSpec] = {
    "greeting": _spec("name", required=True, doc="first reply to an idle conversation"),
    "menu_header": _spec(required=True, doc="line above the main menu"),
    "menu_item": _spec("key", "label", required=True, doc="one menu line"),
    "menu_footer": _spec(required=True, doc="line below a menu and after an answer"),
    "unknown_choice": _spec(required=True, doc="the reply did not match an option"),
    "ticket_created": _spec("ticket", "queue", required=True, doc="handoff done"),
    "ticket_resolved": _spec("ticket", required=True, doc="the agent resolved the ticket"),
    "submenu_header": _spec("label", doc="line above a sub-menu; {label} is its parent"),
    "answer_footer": _spec(may_be_empty=True, doc="line after an information answer"),
    "ask_detail_invalid": _spec(doc="a collected detail was not valid; the prompt follows"),
    "ask_region": _spec(doc="a number serving several offices asks where the citizen lives"),
    "region_unknown": _spec(doc="the region answer matched no office"),
    "region_saved": _spec("office", doc="the office chosen from the region answer"),
    "queue_position": _spec("position", "wait", doc="inside hours: place in queue, wait"),
    "office_closed": _spec("opens_at", doc="outside hours: when the office next opens"),
    "agent_will_reply": _spec("ticket", doc="a deferred ticket was released at opening"),
    "agent_requested": _spec(doc="the citizen typed petugas/agent"),
    "ticket_message_received": _spec(may_be_empty=True, doc="ack of a message on a ticket"),
    "ticket_already_open": _spec("ticket", doc="a new request while a ticket is open"),
    "ticket_status": _spec("ticket", "queue", "status", doc="reply to `status`"),
    "status_deferred": _spec(doc="status word: waiting for opening hours"),
    "status_waiting": _spec(doc="status word: in the queue"),
    "status_assigned": _spec(doc="status word: an agent is handling it"),
    "status_resolved": _spec(doc="status word: resolved"),
    "status_cancelled": _spec(doc="status word: cancelled"),
    "no_open_ticket": _spec(doc="`status` or `batal` without an open ticket"),
    "cancel_confirm": _spec("ticket", doc="asks for ya/yes before cancelling"),
    "ticket_cancelled": _spec("ticket", doc="cancel done"),
    "cancel_aborted": _spec("ticket", doc="the citizen did not confirm the cancel"),
    "satisfaction_question": _spec("ticket", doc="1–5 question after the closing message"),
    "satisfaction_thanks": _spec(doc="the 1–5 answer was stored"),
    "satisfaction_invalid": _spec(doc="the answer was not 1–5"),
    "slow_down": _spec(doc="at most once a minute during a flood"),
    "language_changed": _spec(doc="after english/indonesia"),
}
REQUIRED_TEXTS = tuple(key for key, spec in TEXT_SPECS.items() if spec.required)

# Provider-approved templates the product sends, with the variables each may use.
TEMPLATE_SPECS: dict[str, tuple[str, ...]] = {
    # past the 24-hour window (e.g. a deferred ticket released on Monday)
    "window_reopen": ("ticket", "name", "office"),
}


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


def suggestion(value: str, known: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


def placeholders(template: str) -> set[str]:
    """The plain `{name}` fields of a str.format template.

    Anything else ({0}, {}, {a.b}, {a[0]}, {a!r}, {a:>5}) is refused: catalogue texts are
    edited by hand, and attribute access in a format string is a way to read internals.
    """
    names: set[str] = set()
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(
                f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            )
        names.add(name)
    return names


def _pattern(regex: str, noun: str, fix: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise problem(f"{value!r} is not a valid {noun}", fix)
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise problem("is empty", "write a value")
    return value


def _time_zone(value: str) -> str:
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


def _interval(value: str) -> str:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise problem(
            f"{value!r} is not an opening interval",
            'write "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-15:00" (use 23:59 for midnight)',
        )
    if value[:5] >= value[6:]:
        raise problem(f"{value!r} ends before it starts", "put the opening time first")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]
Name = Annotated[str, Field(max_length=200), AfterValidator(_not_blank)]
Identifier = Annotated[
    str, _pattern(r"[a-z][a-z0-9_]{0,31}", "name", "use lower-case letters, digits and _, e.g. nik")
]
OfficeCode = Annotated[
    str,
    _pattern(
        r"[A-Z0-9-]{2,32}", "office code", "use 2–32 capital letters, digits or -, e.g. JKT-PUSAT"
    ),
]
QueueCode = Annotated[
    str,
    _pattern(
        r"[A-Z0-9_]{2,32}", "queue code", "use 2–32 capital letters, digits or _, e.g. PENGADUAN"
    ),
]
MenuKey = Annotated[
    str, _pattern(r"[0-9]{1,2}", "menu key", 'use the number the citizen types, e.g. "1"')
]
WhatsAppAddress = Annotated[
    str,
    _pattern(
        r"whatsapp:\+[1-9][0-9]{6,14}",
        "WhatsApp sender id",
        'write it as "whatsapp:+62…" with the country code and no spaces, in quotes',
    ),
]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
Interval = Annotated[str, AfterValidator(_interval)]
ContentSid = Annotated[
    str,
    _pattern(
        r"HX[0-9a-fA-F]{32}",
        "Twilio Content SID",
        "copy the SID (HX + 32 hex digits) from the Twilio console, Content Template Builder",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- texts in two languages -----------------------------------------------------------------
class LocalizedText(Strict):
    """A text in Bahasa Indonesia (`id`) and English (`en`); may be empty (see TEXT_SPECS)."""

    id: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
    en: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]

    def get(self, language: str | None) -> str:
        return self.en if language == "en" else self.id


class Localized(LocalizedText):
    """A label, answer or prompt: both languages must say something."""

    id: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(_not_blank)]
    en: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(_not_blank)]


# -- offices --------------------------------------------------------------------------------
class WeeklyHours(Strict):
    mon: list[Interval] = []
    tue: list[Interval] = []
    wed: list[Interval] = []
    thu: list[Interval] = []
    fri: list[Interval] = []
    sat: list[Interval] = []
    sun: list[Interval] = []

    @model_validator(mode="after")
    def _ascending(self) -> WeeklyHours:
        problems = Problems()
        for day in WEEKDAYS:
            intervals = getattr(self, day)
            for index in range(1, len(intervals)):
                if intervals[index][:5] < intervals[index - 1][6:]:
                    problems.add(
                        (day, index),
                        f"{intervals[index]!r} overlaps or comes before {intervals[index - 1]!r}",
                        "list the intervals of a day in time order without overlaps",
                        intervals[index],
                    )
        problems.raise_any("WeeklyHours")
        return self

    def intervals(self, day: str) -> list[tuple[time, time]]:
        return [(time.fromisoformat(i[:5]), time.fromisoformat(i[6:])) for i in getattr(self, day)]

    def document(self) -> dict[str, list[list[str]]]:
        """The `Office.weekly_hours` JSON: {"mon": [["08:00", "15:00"]], ...}, all 7 days."""
        return {day: [[i[:5], i[6:]] for i in getattr(self, day)] for day in WEEKDAYS}


class HolidayCalendar(Strict):
    """Public holidays from the `holidays` package; `government` adds Indonesia's cuti bersama."""

    country: str = "ID"
    categories: list[str] = ["public"]

    @model_validator(mode="after")
    def _known(self) -> HolidayCalendar:
        problems = Problems()
        supported = holidays_lib.list_supported_countries()
        if self.country not in supported:
            problems.add(
                ("country",),
                f"{self.country!r} is not a country the holidays package knows",
                f"{suggestion(self.country, list(supported))}use an ISO 3166 code such as ID",
                self.country,
            )
        else:
            known = holidays_lib.country_holidays(self.country).supported_categories
            for index, category in enumerate(self.categories):
                if category not in known:
                    problems.add(
                        ("categories", index),
                        f"{category!r} is not a holiday category of {self.country}",
                        f"use one of {', '.join(sorted(known))}",
                        category,
                    )
        problems.raise_any("HolidayCalendar")
        return self

    def calendar(self, years: int | list[int]) -> holidays_lib.HolidayBase:
        return holidays_lib.country_holidays(
            self.country, years=years, categories=tuple(self.categories)
        )


class Closure(Strict):
    date: date
    reason: NonBlank


class Region(Strict):
    province: Name
    # empty: the whole province
    regencies: list[Name] = []


class OfficeSpec(Strict):
    code: OfficeCode
    name: Name
    whatsapp: WhatsAppAddress
    timezone: TimeZoneName
    hours: WeeklyHours
    holidays: HolidayCalendar | None = None
    closures: list[Closure] = []
    regions: list[Region] = []

    @model_validator(mode="after")
    def _sane(self) -> OfficeSpec:
        problems = Problems()
        if not any(getattr(self.hours, day) for day in WEEKDAYS):
            problems.add(
                ("hours",),
                "the office is never open",
                'add opening intervals, e.g. mon: ["08:00-15:00"]',
            )
        seen: dict[date, int] = {}
        for index, closure in enumerate(self.closures):
            if closure.date in seen:
                problems.add(
                    ("closures", index, "date"),
                    f"{closure.date} is listed twice (also closures[{seen[closure.date]}])",
                    "keep one entry per date",
                    closure.date.isoformat(),
                )
            seen.setdefault(closure.date, index)
        problems.raise_any("OfficeSpec")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closure_dates(self) -> set[date]:
        return {closure.date for closure in self.closures}

    def region_names(self) -> set[str]:
        names = set()
        for region in self.regions:
            names.update(_region_key(n) for n in region.regencies or [region.province])
        return names


def _region_key(name: str) -> str:
    words = name.casefold().replace(".", " ").split()
    while words and words[0] in ("kabupaten", "kab", "kota", "provinsi", "prov"):
        words = words[1:]
    return " ".join(words)


# -- queues, menu, FAQ, templates -----------------------------------------------------------
class QueueSpec(Strict):
    code: QueueCode
    name: Localized
    sla_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)]
    auto_assign: bool = False

    @property
    def sla_seconds(self) -> int:
        return self.sla_minutes * 60


class CollectField(Strict):
    field: Identifier
    type: Literal["nik", "card_number", "date", "text", "phone", "photo"]
    prompt: Localized
    # asked again when the answer does not fit; otherwise texts.ask_detail_invalid
    invalid: Localized | None = None


class MenuItem(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    key: MenuKey
    label: Localized
    answer: Localized | None = None
    queue: str | None = None
    collect: list[CollectField] = []
    conditions: Localized | None = None
    submenu: list[MenuItem] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> MenuItem:
        problems = Problems()
        kinds = [k for k in ("answer", "queue", "submenu") if getattr(self, k) is not None]
        if len(kinds) != 1:
            what = "has " + " and ".join(kinds) if kinds else "has no answer, queue or submenu"
            problems.add(
                (),
                f"option {self.key} {what}",
                "give each option exactly one of answer, queue or submenu",
            )
        if self.queue is None:
            for name in ("collect", "conditions"):
                if getattr(self, name):
                    problems.add(
                        (name,),
                        f"{name} is only used before a handoff",
                        "add queue: CODE to this option, or remove it",
                    )
        if self.submenu is not None and not self.submenu:
            problems.add(("submenu",), "the submenu is empty", "add options or remove it")
        fields: dict[str, int] = {}
        for index, step in enumerate(self.collect):
            if step.field in fields:
                problems.add(
                    ("collect", index, "field"),
                    f"{step.field!r} is collected twice (also collect[{fields[step.field]}])",
                    "give each detail its own field name",
                    step.field,
                )
            fields.setdefault(step.field, index)
        problems.raise_any("MenuItem")
        return self

    @property
    def kind(self) -> str:
        return "answer" if self.answer else "handoff" if self.queue else "submenu"

    def label_for(self, language: str | None) -> str:
        return self.label.get(language)


class FaqEntry(Strict):
    question: Localized
    answer: Localized
    keywords: Annotated[list[NonBlank], Field(min_length=1)]


class TemplateSpec(Strict):
    content_sid: ContentSid
    # the template's numbered variables, in order: {{1}} is variables[0]
    variables: list[Identifier] = []
    # what the template says, for the simulator and the console (the provider has the real text)
    preview: LocalizedText | None = None

    def content_variables(self, **values: object) -> dict[str, str]:
        """Twilio's ContentVariables: {"1": ..., "2": ...}."""
        return {str(n): str(values[name]) for n, name in enumerate(self.variables, start=1)}


# -- the whole catalogue --------------------------------------------------------------------
class Catalog(Strict):
    version: Literal[1]
    default_language: Language = "id"
    offices: Annotated[list[OfficeSpec], Field(min_length=1)]
    queues: Annotated[list[QueueSpec], Field(min_length=1)]
    # where `petugas`/`agent` hands the citizen when no menu option was chosen
    default_queue: str | None = None
    menu: Annotated[list[MenuItem], Field(min_length=1)]
    faq: list[FaqEntry] = []
    texts: dict[str, LocalizedText]
    templates: dict[str, TemplateSpec] = {}

    @model_validator(mode="after")
    def _cross_check(self) -> Catalog:
        problems = Problems()
        _check_unique(problems, "offices", [o.code for o in self.offices], "office code")
        _check_unique(problems, "queues", [q.code for q in self.queues], "queue code")
        _check_shared_numbers(problems, self.offices)
        codes = [q.code for q in self.queues]
        if self.default_queue is not None and self.default_queue not in codes:
            problems.add(
                ("default_queue",),
                f"queue {self.default_queue!r} is not defined",
                _queue_fix(self.default_queue, codes),
                self.default_queue,
            )
        _check_menu(problems, ("menu",), self.menu, codes, depth=1)
        _check_texts(problems, self.texts)
        _check_templates(problems, self.templates)
        if not problems:
            for path, item in [((), None), *self.iter_menu()]:
                if item is not None and not item.submenu:
                    continue
                for language in LANGUAGES:
                    if len(self.render_menu(language, path)) > MAX_MESSAGE_CHARS:
                        where: Loc = ("menu",) if not path else _menu_loc(self.menu, path)
                        problems.add(
                            where,
                            f"the {LANGUAGE_NAMES[language]} menu is longer "
                            f"than {MAX_MESSAGE_CHARS} characters",
                            "shorten the labels or move options into a submenu",
                        )
        problems.raise_any("Catalog")
        return self

    # -- runtime API used by the conversation layer --------------------------------------
    def language(self, language: str | None) -> str:
        return language if language in LANGUAGES else self.default_language

    def text(self, key: str, language: str | None, /, **fields: object) -> str:
        """The text `key` in `language` (else the default language), formatted with fields.

        Unknown keys and missing fields raise KeyError (a LookupError): a programming error.
        """
        if key not in TEXT_SPECS:
            raise KeyError(f"unknown catalogue text {key!r}")
        entry = self.texts.get(key)
        if entry is None:
            entry = shipped_texts()[key]
        template = entry.get(self.language(language))
        try:
            return template.format(**fields)
        except KeyError as exc:
            raise KeyError(f"catalogue text {key!r} needs the field {exc.args[0]!r}") from None

    def iter_menu(
        self, items: list[MenuItem] | None = None, path: tuple[str, ...] = ()
    ) -> Iterator[tuple[tuple[str, ...], MenuItem]]:
        """Every option with its key path, depth first, in menu order."""
        for item in self.menu if items is None else items:
            yield (*path, item.key), item
            if item.submenu:
                yield from self.iter_menu(item.submenu, (*path, item.key))

    def find_menu_item(self, path: tuple[str, ...] | list[str]) -> MenuItem | None:
        items: list[MenuItem] | None = self.menu
        found = None
        for key in path:
            found = next((item for item in items or [] if item.key == key), None)
            if found is None:
                return None
            items = found.submenu
        return found

    def menu_items(self, path: tuple[str, ...] | list[str] = ()) -> list[MenuItem]:
        """The options shown at `path` (() is the main menu); [] when path is no submenu."""
        if not path:
            return list(self.menu)
        item = self.find_menu_item(path)
        return list(item.submenu or []) if item else []

    def render_menu(self, language: str | None, path: tuple[str, ...] | list[str] = ()) -> str:
        parent = self.find_menu_item(path) if path else None
        header = (
            self.text("submenu_header", language, label=parent.label_for(language))
            if parent
            else self.text("menu_header", language)
        )
        lines = [
            self.text("menu_item", language, key=item.key, label=item.label_for(language))
            for item in self.menu_items(path)
        ]
        footer = self.text("menu_footer", language)
        return "\n\n".join(part for part in (header, "\n".join(lines), footer) if part)

    def queue(self, code: str) -> QueueSpec | None:
        return next((q for q in self.queues if q.code == code), None)

    def office(self, code: str) -> OfficeSpec | None:
        return next((o for o in self.offices if o.code == code), None)

    def offices_for_address(self, whatsapp_address: str) -> list[OfficeSpec]:
        """The offices our sender id `whatsapp_address` serves (several: ask the region)."""
        return [o for o in self.offices if o.whatsapp == whatsapp_address]

    def office_for_region(self, whatsapp_address: str, answer: str) -> OfficeSpec | None:
        """The office of that number serving the regency or province the citizen named."""
        wanted = _region_key(answer)
        matches = [
            o
            for o in self.offices_for_address(whatsapp_address)
            if wanted and wanted in o.region_names()
        ]
        return matches[0] if len(matches) == 1 else None

    def template(self, name: str) -> TemplateSpec | None:
        return self.templates.get(name)

    def menu_item_count(self) -> int:
        return sum(1 for _ in self.iter_menu())


@functools.cache
def shipped_texts() -> dict[str, LocalizedText]:
    """The shipped default catalogue's texts: the fallback for optional keys.

    Only the texts are read (not the whole catalogue), so validating the shipped file itself
    cannot recurse into here; a test keeps every key of TEXT_SPECS in that file.
    """
    document = yaml.safe_load(SHIPPED_CATALOG.read_text(encoding="utf-8"))
    return TypeAdapter(dict[str, LocalizedText]).validate_python(document["texts"])


# -- cross-checks ---------------------------------------------------------------------------
def _check_unique(problems: Problems, where: str, codes: list[str], noun: str) -> None:
    first: dict[str, int] = {}
    for index, code in enumerate(codes):
        if code in first:
            problems.add(
                (where, index, "code"),
                f"{noun} {code} is used twice (also {where}[{first[code]}])",
                f"give each entry its own {noun}",
                code,
            )
        first.setdefault(code, index)


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
