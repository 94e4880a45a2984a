"""What the browser tests do as a person would: sign in, take a screenshot; and the accounts
they sign in with."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page

from pandawa.core.extensions import db
from tests.harness import PASSWORD
from tests.stack import Stack

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def make_agent(stack: Stack, queue_codes: list[str], role: str = "agent") -> str:
    """A user in `queue_codes` who can sign in with PASSWORD; returns the email."""
    from pandawa.admin.operations import create_user

    email = f"petugas-{uuid.uuid4().hex[:8]}@example.go.id"
    with stack.app.app_context():
        create_user(db.session, email, role, queue_codes, password=PASSWORD, name="Petugas Uji")
        db.session.commit()
        db.session.remove()
    return email


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/console**")
