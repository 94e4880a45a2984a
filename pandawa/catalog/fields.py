"""The catalogue's building blocks: constrained strings (codes, sender ids, intervals) that
say what is wrong and how to fix it, the strict base model, and texts in both languages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pandawa.catalog.checks import interval, not_blank, pattern, time_zone
from pandawa.catalog.texts import MAX_MESSAGE_CHARS

Language = Literal["id", "en"]


NonBlank = Annotated[str, AfterValidator(not_blank)]
Name = Annotated[str, Field(max_length=200), AfterValidator(not_blank)]
Identifier = Annotated[
    str, pattern(r"[a-z][a-z0-9_]{0,31}", "name", "use lower-case letters, digits and _, e.g. nik")
]
OfficeCode = Annotated[
    str,
    pattern(
        r"[A-Z0-9-]{2,32}", "office code", "use 2–32 capital letters, digits or -, e.g. JKT-PUSAT"
    ),
]
QueueCode = Annotated[
    str,
    pattern(
        r"[A-Z0-9_]{2,32}", "queue code", "use 2–32 capital letters, digits or _, e.g. PENGADUAN"
    ),
]
MenuKey = Annotated[
    str, pattern(r"[0-9]{1,2}", "menu key", 'use the number the citizen types, e.g. "1"')
]
WhatsAppAddress = Annotated[
    str,
    pattern(
        r"whatsapp:\+[1-9][0-9]{6,14}",
        "WhatsApp sender id",
        'write it as "whatsapp:+62…" with the country code and no spaces, in quotes',
    ),
]
TimeZoneName = Annotated[str, AfterValidator(time_zone)]
Interval = Annotated[str, AfterValidator(interval)]
ContentSid = Annotated[
    str,
    pattern(
        r"HX[0-9a-fA-F]{32}",
        "Twilio Content SID",
        "copy the SID (HX + 32 hex digits) from the Twilio console, Content Template Builder",
    ),
]
# WhatsApp Manager's template name (lower-case letters, digits, _) and language code (id, en_US)
MetaTemplateName = Annotated[
    str,
    pattern(
        r"[a-z0-9_]{1,512}",
        "Meta template name",
        "copy the template's name from WhatsApp Manager, e.g. window_reopen",
    ),
]
MetaLanguageCode = Annotated[
    str,
    pattern(r"[a-z]{2,3}(_[A-Z]{2})?", "Meta language code", "use e.g. id, en or en_US"),
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

    id: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(not_blank)]
    en: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(not_blank)]
