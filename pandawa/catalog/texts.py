"""The texts the citizen reads and the templates the product sends, as the code expects them.

`TEXT_SPECS` names every text key with the str.format fields it receives; `TEMPLATE_SPECS`
names every provider-approved template with the variables it may use. `checks.py` holds a
catalogue's texts and templates against these; `schema.py` re-exports all of it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
# Twilio refuses longer WhatsApp bodies
MAX_MESSAGE_CHARS = 1600


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
    "faq_no_match": _spec(doc="a free question no FAQ entry answers; how to reach a person"),
    "faq_related": _spec(doc="line above the other FAQ questions that may fit"),
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
    "queue_no_agents": _spec("position", doc="inside hours, but no agent of the queue online"),
    "closing_notice": _spec(
        "ticket", "opens_at", doc="the office closed while the ticket waited; it stays queued"
    ),
    "agent_will_reply": _spec("ticket", doc="a deferred ticket was released at opening"),
    "ticket_transferred": _spec(
        "ticket", "queue", "office", doc="an agent moved the ticket to another queue/office"
    ),
    "opted_out": _spec(doc="`berhenti`/`stop`: no more notifications; `mulai` undoes it"),
    "opted_in": _spec(doc="`mulai`/`start` after an opt-out: notifications again"),
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
    "ticket_idle_closed": _spec("ticket", doc="closed: the citizen did not answer the agent"),
    "ticket_reopened": _spec("ticket", doc="the citizen wrote again soon after a resolution"),
    "satisfaction_thanks": _spec(doc="the 1–5 answer was stored"),
    "satisfaction_invalid": _spec(doc="the answer was not 1–5"),
    "slow_down": _spec(doc="at most once a minute during a flood"),
    "language_changed": _spec(doc="after english/indonesia"),
    # issue 16: greeting by the office's local time, the first message answered, NIK errors,
    # and when the office opens in the `status` reply
    "salutation_pagi": _spec(doc="before the greeting, 04.00–10.59 office time"),
    "salutation_siang": _spec(doc="before the greeting, 11.00–14.59 office time"),
    "salutation_sore": _spec(doc="before the greeting, 15.00–17.59 office time"),
    "salutation_malam": _spec(doc="before the greeting, 18.00–03.59 office time"),
    "first_answer_footer": _spec(doc="after an answer to a first message: the way on"),
    "nik_letters": _spec(doc="a NIK with letters or signs in it"),
    "nik_length": _spec("count", doc="a NIK that is not 16 digits; {count}: digits typed"),
    "nik_province": _spec("code", doc="a NIK whose first two digits are no province"),
    "nik_birth_date": _spec(doc="a NIK whose digits 7–12 are no date of birth"),
    "status_office_opens": _spec("opens_at", doc="in the `status` reply, office closed"),
    "status_office_open_until": _spec("closes_at", doc="in the `status` reply, office open"),
    # issue 17: a supervisor closes an office or queue now, opens extra hours, or undoes it
    "office_closed_now": _spec(
        "ticket", "opens_at", doc="the office (or the queue) was closed now; the new time"
    ),
    "office_reopened": _spec(
        "ticket", "opens_at", doc="a closure was undone: the ticket is handled earlier again"
    ),
    "office_extra_opening": _spec(
        "ticket", "opens_at", doc="extra opening hours: a deferred ticket is handled earlier"
    ),
    # issue 17: the honest estimate rolls over to the next opening when today is not realistic
    "queue_position_later": _spec(
        "position", "served_at", doc="inside hours, but the wait runs past today's closing"
    ),
    # issue 17: a service's eligibility checklist, before the handoff (conversations/checklist.py)
    "checklist_intro": _spec("service", "items", doc="the whole checklist, one line per item"),
    "checklist_line_document": _spec("label", doc="checklist line: a required document"),
    "checklist_line_optional": _spec("label", doc="checklist line: a document that may be skipped"),
    "checklist_line_check": _spec("question", doc="checklist line: a yes/no question"),
    "checklist_check_ask": _spec("question", doc="asks one yes/no check"),
    "checklist_check_unclear": _spec(doc="the answer to a check was neither yes nor no"),
    "checklist_not_eligible_continue": _spec(doc="after a failed check's explanation: go on"),
    "checklist_document_ask": _spec("label", doc="asks for a required document"),
    "checklist_document_ask_optional": _spec("label", doc="asks for a document; lewati/skip"),
    "checklist_document_received": _spec("label", doc="a document's file arrived"),
    "checklist_document_skipped": _spec("label", doc="an optional document was skipped"),
    "checklist_document_required": _spec("label", doc="lewati/skip on a required document"),
    "checklist_document_not_file": _spec("label", doc="text (or another file) for a document"),
    # issue 17: surge mode, the live queue capped (tickets/surge.py)
    "surge_deferred": _spec(
        "ticket", "served_at", doc="the live queue is full: the ticket is kept in order; when"
    ),
    "surge_today": _spec("time", doc="{served_at} when agents online reach it before closing"),
    "surge_faq": _spec(doc="line above the FAQ answers sent with surge_deferred"),
    "surge_faq_menu": _spec(doc="after surge_deferred when no FAQ answer fits: the menu's FAQ"),
    "surge_released": _spec("ticket", doc="a ticket deferred by a surge joined the live queue"),
    "status_surge_deferred": _spec("served_at", doc="status word: deferred by a surge; when"),
}
REQUIRED_TEXTS = tuple(key for key, spec in TEXT_SPECS.items() if spec.required)

# Provider-approved templates the product sends, with the variables each may use.
TEMPLATE_SPECS: dict[str, tuple[str, ...]] = {
    # past the 24-hour window (e.g. a deferred ticket released on Monday)
    "window_reopen": ("ticket", "name", "office"),
    # a ticket closed because the citizen stopped answering (always past the window)
    "ticket_idle_closed": ("ticket",),
    # an agent resolved the ticket past the window: the closing notice (optional)
    "ticket_resolved_notice": ("ticket",),
    # an agent transferred the ticket past the window: where it went (optional)
    "ticket_transferred_notice": ("ticket", "queue", "office"),
    # issue 17: an SLA alert to a supervisor's own WhatsApp number (optional: without it alerts
    # go to the board and e-mail only); level is 80 or 100, waited and target in minutes
    "sla_alert": ("ticket", "queue", "level", "waited", "target"),
}


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
