from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pandawa.core.extensions import db
from pandawa.core.sqltypes import UTCDateTime

ROLES = ("agent", "supervisor", "admin")


class User(db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role_known"),
        CheckConstraint("presence IN ('online', 'away', 'offline')", name="presence_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # presence: the last request the agent made (API or console), at most once a minute
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # what the agent chose in the console: online, away or offline
    presence: Mapped[str] = mapped_column(String(16), default="offline", server_default="offline")
    # how many tickets automatic assignment may give the agent at once
    capacity: Mapped[int] = mapped_column(default=5, server_default="5")
    # every browser session carries the version it began with; raising it (sign-out, password
    # change, deactivation, "sign out everywhere") ends all of the user's sessions at once
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # issue 17: where a supervisor wants SLA alerts e-mailed and sent on WhatsApp (E.164,
    # "+62…"); None: the board only
    alert_email: Mapped[str | None] = mapped_column(String(254))
    alert_whatsapp: Mapped[str | None] = mapped_column(String(32))

    # `queues` (the queues the user works) is added by the ticket layer: tickets.models.Queue

    # what Flask-Login asks of a user (UserMixin's __eq__ and is_active would clash here)
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def sees_all_queues(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def display_name(self) -> str:
        """What colleagues and pages call the user: see `display_name`."""
        return display_name(self.name, self.email)


def display_name(name: str | None, email: str) -> str:
    """The user's name (`pandawa users set-name`, /admin/users), or else the local part of
    the e-mail address ("siti.rahayu" for siti.rahayu@bpjs.go.id): never the whole address."""
    return (name or "").strip() or email.partition("@")[0] or email


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 digest is stored (tokens are 256-bit random)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class SignInThrottle(db.Model):
    """Failed sign-ins by key (a digest of the account, the address, or both), when REDIS_URL
    is unset: the database is then what every web process shares."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
