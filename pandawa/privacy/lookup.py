"""Finding a citizen by any way their number is written: 0812…, +62812…, 62812…,
whatsapp:+62812…, with spaces or dashes."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pandawa.citizens.models import Contact

_NOT_DIGITS = re.compile(r"\D")


class BadNumber(ValueError):
    """Not a phone number we could look for."""


def international_digits(number: str) -> str:
    """`0812-3456-7890` → `6281234567890`; other country codes are kept as written."""
    raw = (number or "").strip().removeprefix("whatsapp:")
    digits = _NOT_DIGITS.sub("", raw)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8") and not raw.startswith("+"):
        digits = "62" + digits
    if not 8 <= len(digits) <= 15:
        raise BadNumber(
            "Nomor telepon tidak dikenali (contoh: 0812… atau +62812…). / "
            "Not a phone number (e.g. 0812… or +62812…)."
        )
    return digits


def address_forms(digits: str) -> list[str]:
    """Every form a provider may have stored the number in, as a contact's address."""
    forms = [f"whatsapp:+{digits}", f"+{digits}", digits, f"whatsapp:{digits}"]
    if digits.startswith("62"):
        forms.append("0" + digits[2:])
    return forms


def find_contacts(session: Session, number: str) -> list[Contact]:
    """The contacts this number is (one per provider, usually one), not yet erased."""
    digits = international_digits(number)
    return list(
        session.scalars(
            sa.select(Contact)
            .where(
                sa.or_(Contact.address.in_(address_forms(digits)), Contact.wa_id == digits),
                Contact.erased_at.is_(None),
            )
            .order_by(Contact.id)
        )
    )


def erased_token(contact_id: int) -> str:
    """What stands in for an erased citizen's number: says who the row was, not who they are."""
    return f"erased:{contact_id}"
