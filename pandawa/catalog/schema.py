"""The service catalogue's shape (format version 1), validated with pydantic.

One model per part of the YAML file; `Catalog` is the whole document. Every model refuses
unknown keys, so a typo fails loudly instead of being ignored. The constrained field types and
the texts in two languages are in `fields.py`, the offices (hours, holidays, closures, regions)
in `offices.py`. Checks that need the whole document (menu → queue, shared sender numbers →
regions, texts → their fields) live in `checks.py` and run in `Catalog`'s after-validator; the
text and template specifications live in `texts.py`. Those two are re-exported here.

Problems raised here carry `what` and `fix` in their context; `loader.py` turns them into
`file:line: key: what; fix: ...` messages.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, model_validator

from pandawa.catalog.checklist import Checklist

# `import X as X`: re-exported, these names were defined in this module before the split
from pandawa.catalog.checks import MAX_MENU_DEPTH as MAX_MENU_DEPTH
from pandawa.catalog.checks import Loc as Loc
from pandawa.catalog.checks import Problems as Problems
from pandawa.catalog.checks import check_catalog, check_menu_item
from pandawa.catalog.checks import dotted_path as dotted_path
from pandawa.catalog.checks import problem as problem
from pandawa.catalog.checks import suggestion as suggestion
from pandawa.catalog.fields import (
    ContentSid,
    Identifier,
    Language,
    Localized,
    LocalizedText,
    MenuKey,
    MetaLanguageCode,
    MetaTemplateName,
    NonBlank,
    QueueCode,
    Strict,
)
from pandawa.catalog.offices import OfficeSpec, region_key
from pandawa.catalog.sla_templates import SLA_TEMPLATES
from pandawa.catalog.texts import LANGUAGE_NAMES as LANGUAGE_NAMES
from pandawa.catalog.texts import LANGUAGES, TEXT_SPECS
from pandawa.catalog.texts import MAX_MESSAGE_CHARS as MAX_MESSAGE_CHARS
from pandawa.catalog.texts import REQUIRED_TEXTS as REQUIRED_TEXTS
from pandawa.catalog.texts import TEMPLATE_SPECS as TEMPLATE_SPECS
from pandawa.catalog.texts import TextSpec as TextSpec
from pandawa.catalog.texts import placeholders as placeholders

SHIPPED_CATALOG = Path(__file__).with_name("default.yaml")


# -- queues, menu, FAQ, templates -----------------------------------------------------------
def _known_sla_template(value: str) -> str:
    if value not in SLA_TEMPLATES:
        known = ", ".join(SLA_TEMPLATES)
        raise problem(
            f"unknown SLA template {value!r}",
            f"{suggestion(value, list(SLA_TEMPLATES))}use one of {known}, or leave it out",
        )
    return value


class QueueSpec(Strict):
    code: QueueCode
    name: Localized
    sla_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)]
    auto_assign: bool = False
    # issue 17: a resolution target in business minutes, and a national service standard
    # (catalog/sla_templates.py) whose working days then count both targets
    resolution_minutes: Annotated[int, Field(ge=1, le=366 * 24 * 60)] | None = None
    sla_template: Annotated[str, AfterValidator(_known_sla_template)] | None = None

    @property
    def sla_seconds(self) -> int:
        return self.sla_minutes * 60

    @property
    def resolution_seconds(self) -> int | None:
        return self.resolution_minutes * 60 if self.resolution_minutes else None


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
    # documents and yes/no checks the bot walks through before the handoff (checklist.py)
    checklist: Checklist = []

    @model_validator(mode="after")
    def _one_kind(self) -> MenuItem:
        check_menu_item(self).raise_any("MenuItem")
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
    # the same template approved in WhatsApp Manager, for a Meta (Cloud API) number: its name
    # and language code; its body's {{1}}, {{2}}, … are the variables above, in order
    meta_name: MetaTemplateName | None = None
    meta_language: MetaLanguageCode = "id"

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
        check_catalog(self).raise_any("Catalog")
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
        wanted = region_key(answer)
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
