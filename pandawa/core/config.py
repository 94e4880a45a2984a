"""Settings from the environment, validated once at start.

A bad value stops the process with a `ConfigError` naming the variable and what is expected.
Every setting of PRODUCT.md is here, with its default; a few operational extras follow them.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

PROVIDERS = ("twilio", "meta", "simulator")
# where create_app keeps the Settings; read them through settings_of() / current_settings()
EXTENSION_KEY = "pandawa.settings"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    celery_broker_url: str
    redis_url: str | None
    secret_key: str
    public_base_url: str
    whatsapp_provider: str
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_api_base_url: str
    catalog_path: str | None
    instance_path: Path
    env: str = "development"
    twilio_timeout_seconds: float = 10.0
    sweep_after_seconds: int = 60
    log_level: str = "INFO"
    clock: str = "system"
    outbound_rate_per_second: float = 80.0
    media_dir: Path | None = None
    media_max_bytes: int = 10 * 1024 * 1024
    flood_max_messages: int = 20
    flood_window_seconds: int = 60
    bot_coalesce_seconds: float = 3.0  # a citizen's messages this close are read together
    idle_close_hours: float = 72.0
    live_max_streams: int | None = None  # None: derived from the web process's threads
    live_poll_ms: int = 200  # without REDIS_URL: how often a live stream reads the database
    # personal data and sessions (issue 13)
    metrics_token: str | None = None  # bearer token /metrics requires; unset: open (not prod)
    trusted_proxies: int = 0  # proxy hops whose X-Forwarded-* headers are believed
    retention_days: int = 365  # closed conversations older than this are erased
    session_idle_minutes: int = 8 * 60  # a browser session unused this long ends
    session_max_hours: int = 24  # and none lives longer than this, used or not
    api_token_days: int = 90  # new API tokens expire after this many days
    reveal_roles: tuple[str, ...] = ("agent", "supervisor", "admin")  # who may press "show"
    # backups (issue 14): where `pandawa backup` writes, and how long archives are kept there
    backup_dir: Path | None = None  # None: instance/backups
    backup_retention_days: int = 30
    # the task outbox (issue 15): published rows kept, and replayed when the broker comes back
    # empty, this long; the dispatcher's poll when no NOTIFY wakes it
    outbox_replay_seconds: int = 600
    dispatcher_poll_seconds: float = 1.0
    # agents' attachments (issue 16): Twilio's WhatsApp limits are 5 MB for an image and 16 MB
    # for a whole message (twilio.com/docs/whatsapp/guidance-whatsapp-media-messages); the
    # signed URL the provider fetches a file from lives this long
    attachment_max_image_bytes: int = 5_000_000
    attachment_max_pdf_bytes: int = 15_000_000
    attachment_url_seconds: int = 3600
    # issue 16: a console resolution can be undone this long; the citizen's closing message and
    # rating question wait until then (0: sent at once, no undo)
    resolve_undo_seconds: int = 10
    # WhatsApp Cloud API (issue 18): see meta_settings() below; a phone number id per sender
    # address ("" key: every sender), the Graph API's base URL and version
    meta_access_token: str | None = None
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    meta_phone_number_ids: tuple[tuple[str, str], ...] = ()
    meta_graph_api_base_url: str = "https://graph.facebook.com"
    meta_graph_api_version: str = "v23.0"
    forecast_weeks: int = 6  # issue 17: weeks of arrivals the staffing forecast averages
    # issue 17: smtp://host:port SLA alert e-mails go through (None: none sent)
    sla_alert_email_smtp_url: str | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def enabled_providers(self) -> frozenset[str]:
        """The providers whose webhooks answer and which send: WHATSAPP_PROVIDER, and beside
        it (one office can use a Twilio and a Meta number) any other whose credentials are all
        set. The simulator stands alone: a development stack never talks to a real one."""
        if self.whatsapp_provider == "simulator":
            return frozenset({"simulator"})
        enabled = {self.whatsapp_provider}
        if self.twilio_account_sid and self.twilio_auth_token:
            enabled.add("twilio")
        if self.meta_access_token and self.meta_app_secret and self.meta_phone_number_ids:
            enabled.add("meta")
        return frozenset(enabled)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        instance = Path(env.get("PANDAWA_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        mode = env.get("PANDAWA_ENV", "development")
        if mode not in ("development", "production", "test"):
            raise ConfigError(
                f"PANDAWA_ENV={mode!r}: expected one of development, production, test"
            )

        production = mode == "production"
        # production has no default provider: the operator names the real one
        provider = env.get("WHATSAPP_PROVIDER", "" if production else "simulator").strip().lower()
        if production:
            _refuse_in_production(env, provider)
        if provider not in PROVIDERS:
            raise ConfigError(
                f"WHATSAPP_PROVIDER={provider!r}: expected one of {', '.join(PROVIDERS)}"
            )
        sid = env.get("TWILIO_ACCOUNT_SID") or None
        token = env.get("TWILIO_AUTH_TOKEN") or None
        if provider == "twilio":
            if not sid or not sid.startswith("AC"):
                raise ConfigError(
                    "TWILIO_ACCOUNT_SID: required when WHATSAPP_PROVIDER=twilio; "
                    "expected the account SID starting with 'AC'"
                )
            if not token:
                raise ConfigError(
                    "TWILIO_AUTH_TOKEN: required when WHATSAPP_PROVIDER=twilio "
                    "(the auth token signs and verifies webhooks)"
                )

        catalog = env.get("PANDAWA_CATALOG") or None
        if catalog and not Path(catalog).is_file():
            raise ConfigError(f"PANDAWA_CATALOG={catalog!r}: no such file; expected a YAML file")

        return cls(
            database_url=normalise_database_url(
                env.get("DATABASE_URL") or f"sqlite:///{instance / 'pandawa.sqlite'}"
            ),
            celery_broker_url=_broker_url(env.get("CELERY_BROKER_URL"), instance),
            redis_url=_redis_url(env.get("REDIS_URL")),
            secret_key=_secret_key(env.get("SECRET_KEY"), mode, instance),
            public_base_url=_base_url("PUBLIC_BASE_URL", env.get("PUBLIC_BASE_URL")),
            whatsapp_provider=provider,
            twilio_account_sid=sid,
            twilio_auth_token=token,
            twilio_api_base_url=_base_url(
                "TWILIO_API_BASE_URL", env.get("TWILIO_API_BASE_URL") or "https://api.twilio.com"
            ),
            catalog_path=catalog,
            instance_path=instance,
            env=mode,
            twilio_timeout_seconds=_positive_float(
                "TWILIO_TIMEOUT_SECONDS", env.get("TWILIO_TIMEOUT_SECONDS", "10")
            ),
            sweep_after_seconds=int(
                _positive_float(
                    "PANDAWA_SWEEP_AFTER_SECONDS", env.get("PANDAWA_SWEEP_AFTER_SECONDS", "60")
                )
            ),
            outbox_replay_seconds=int(
                _positive_float("OUTBOX_REPLAY_SECONDS", env.get("OUTBOX_REPLAY_SECONDS", "600"))
            ),
            dispatcher_poll_seconds=_positive_float(
                "DISPATCHER_POLL_SECONDS", env.get("DISPATCHER_POLL_SECONDS", "1")
            ),
            log_level=_log_level(env.get("LOG_LEVEL", "INFO")),
            clock=_clock(env.get("PANDAWA_CLOCK"), mode),
            outbound_rate_per_second=_positive_float(
                "OUTBOUND_RATE_PER_SECOND", env.get("OUTBOUND_RATE_PER_SECOND", "80")
            ),
            media_dir=Path(env.get("MEDIA_STORAGE_DIR") or instance / "media").resolve(),
            media_max_bytes=int(
                _positive_float("MEDIA_MAX_BYTES", env.get("MEDIA_MAX_BYTES", str(10 * 1024**2)))
            ),
            flood_max_messages=int(
                _positive_float("FLOOD_MAX_MESSAGES", env.get("FLOOD_MAX_MESSAGES", "20"))
            ),
            flood_window_seconds=int(
                _positive_float("FLOOD_WINDOW_SECONDS", env.get("FLOOD_WINDOW_SECONDS", "60"))
            ),
            bot_coalesce_seconds=_non_negative_float(
                "BOT_COALESCE_SECONDS", env.get("BOT_COALESCE_SECONDS", "3")
            ),
            idle_close_hours=_positive_float(
                "TICKET_IDLE_CLOSE_HOURS", env.get("TICKET_IDLE_CLOSE_HOURS", "72")
            ),
            live_max_streams=_optional_count("LIVE_MAX_STREAMS", env.get("LIVE_MAX_STREAMS")),
            live_poll_ms=max(
                10, int(_positive_float("LIVE_POLL_MS", env.get("LIVE_POLL_MS", "200")))
            ),
            metrics_token=env.get("METRICS_TOKEN") or None,
            trusted_proxies=_optional_count("TRUSTED_PROXIES", env.get("TRUSTED_PROXIES")) or 0,
            retention_days=int(_positive_float("RETENTION_DAYS", env.get("RETENTION_DAYS", "365"))),
            session_idle_minutes=int(
                _positive_float("SESSION_IDLE_MINUTES", env.get("SESSION_IDLE_MINUTES", "480"))
            ),
            session_max_hours=int(
                _positive_float("SESSION_MAX_HOURS", env.get("SESSION_MAX_HOURS", "24"))
            ),
            api_token_days=int(_positive_float("API_TOKEN_DAYS", env.get("API_TOKEN_DAYS", "90"))),
            reveal_roles=_roles("REVEAL_ROLES", env.get("REVEAL_ROLES", "agent,supervisor,admin")),
            backup_dir=Path(env.get("BACKUP_DIR") or instance / "backups").resolve(),
            backup_retention_days=int(
                _positive_float("BACKUP_RETENTION_DAYS", env.get("BACKUP_RETENTION_DAYS", "30"))
            ),
            attachment_max_image_bytes=_bytes_at_most(
                "ATTACHMENT_MAX_IMAGE_BYTES",
                env.get("ATTACHMENT_MAX_IMAGE_BYTES"),
                5_000_000,
                5_000_000,
            ),
            attachment_max_pdf_bytes=_bytes_at_most(
                "ATTACHMENT_MAX_PDF_BYTES",
                env.get("ATTACHMENT_MAX_PDF_BYTES"),
                15_000_000,
                16_000_000,
            ),
            attachment_url_seconds=int(
                _positive_float("ATTACHMENT_URL_SECONDS", env.get("ATTACHMENT_URL_SECONDS", "3600"))
            ),
            resolve_undo_seconds=_undo_seconds(env.get("RESOLVE_UNDO_SECONDS") or "10"),
            **meta_settings(env, provider),
            forecast_weeks=_forecast_weeks(env.get("FORECAST_WEEKS") or "6"),
            sla_alert_email_smtp_url=_smtp_url(env.get("SLA_ALERT_EMAIL_SMTP_URL")),
        )


def _refuse_in_production(env: Mapping[str, str], provider: str) -> None:
    """Development conveniences never run in production: each refusal names its setting."""
    if not provider:
        raise ConfigError(
            "WHATSAPP_PROVIDER: required in production; expected twilio or meta "
            "(there is no default provider in production)"
        )
    if provider == "simulator":
        raise ConfigError(
            "WHATSAPP_PROVIDER=simulator: the simulator is refused in production; "
            "expected twilio or meta"
        )
    if (env.get("FLASK_DEBUG") or "").strip().lower() not in ("", "0", "false", "no", "off"):
        raise ConfigError("FLASK_DEBUG: the debugger is refused in production; unset it")
    base = (env.get("PUBLIC_BASE_URL") or "").strip()
    if urlsplit(base).scheme != "https":
        raise ConfigError(
            f"PUBLIC_BASE_URL={base!r}: production needs the public https:// URL "
            "the provider calls (signatures are checked against it)"
        )
    if not env.get("METRICS_TOKEN"):
        raise ConfigError(
            "METRICS_TOKEN: required in production; /metrics answers only "
            "`Authorization: Bearer <METRICS_TOKEN>` (generate one like SECRET_KEY)"
        )


def _roles(name: str, value: str) -> tuple[str, ...]:
    roles = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = [role for role in roles if role not in ("agent", "supervisor", "admin")]
    if unknown:
        raise ConfigError(
            f"{name}={value!r}: unknown role {unknown[0]!r}; expected agent, supervisor, admin"
        )
    return roles


def normalise_database_url(url: str) -> str:
    """Accept URLs as platforms hand them out and run them on psycopg 3."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(
            f"DATABASE_URL: {url!r} is not a URL; expected e.g. "
            "postgresql://user@host:5432/pandawa or sqlite:///instance/pandawa.sqlite"
        )
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "postgresql+psycopg" or scheme.startswith("sqlite"):
        return url
    raise ConfigError(
        f"DATABASE_URL: scheme {scheme!r} is not supported; expected postgresql:// or sqlite://"
    )


def _broker_url(value: str | None, instance: Path) -> str:
    if not value:
        # kombu's SQLAlchemy transport on a SQLite file: no server needed for the embedded stack
        return f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
    scheme = value.partition("://")[0]
    if scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp", "sqla+sqlite", "memory"):
        raise ConfigError(
            f"CELERY_BROKER_URL: scheme {scheme!r} is not supported; "
            "expected redis://host:6379/0, amqp://… or sqla+sqlite:///path"
        )
    return value


def _redis_url(value: str | None) -> str | None:
    if not value:
        return None
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL: {value!r} is not a redis:// URL")
    return value


def _secret_key(value: str | None, mode: str, instance: Path) -> str:
    if value:
        if len(value) < 16:
            raise ConfigError("SECRET_KEY: too short; expected at least 16 random characters")
        return value
    if mode == "production":
        raise ConfigError(
            "SECRET_KEY: required in production; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    # development: generated once and kept, so sessions survive restarts
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _base_url(name: str, value: str | None) -> str:
    value = (value or "http://127.0.0.1:5000").rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL; expected e.g. https://host")
    return value


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise ConfigError(f"{name}: {value!r}; expected a positive number")
    return number


def _bytes_at_most(name: str, value: str | None, default: int, ceiling: int) -> int:
    """A size in bytes, positive and at most the provider's own limit (a larger file would
    be stored, then refused by Twilio when it fetches it: the agent would learn too late)."""
    if value is None or not value.strip():
        return default
    size = int(_positive_float(name, value))
    if size > ceiling:
        raise ConfigError(f"{name}: {value!r}; at most {ceiling} (the provider's limit)")
    return size


def _non_negative_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf"):
        raise ConfigError(f"{name}: {value!r}; expected a number of seconds, 0 or more")
    return number


def _optional_count(name: str, value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ConfigError(f"{name}: {value!r}; expected a whole number, 0 or more")
    return int(text)


def _forecast_weeks(value: str) -> int:
    weeks = _optional_count("FORECAST_WEEKS", value) or 0
    if not 1 <= weeks <= 26:  # a week to half a year of history
        raise ConfigError(f"FORECAST_WEEKS: {value!r}; expected 1 to 26 weeks")
    return weeks


# the closing message waits this long at most: a countdown must stay well inside the Redis
# broker's visibility timeout (core/celery_app.py), and a citizen should not wait for it
MAX_RESOLVE_UNDO_SECONDS = 300


def _undo_seconds(value: str) -> int:
    seconds = _optional_count("RESOLVE_UNDO_SECONDS", value) or 0
    if seconds > MAX_RESOLVE_UNDO_SECONDS:
        raise ConfigError(
            f"RESOLVE_UNDO_SECONDS: {value!r}; expected 0 to {MAX_RESOLVE_UNDO_SECONDS} seconds"
        )
    return seconds


def _log_level(value: str) -> str:
    value = value.upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL: {value!r}; expected DEBUG, INFO, WARNING or ERROR")
    return value


def _clock(value: str | None, mode: str) -> str:
    if not value or value == "system":
        return "system"
    if not value.startswith("file:") or len(value) <= len("file:"):
        raise ConfigError(f"PANDAWA_CLOCK={value!r}: expected 'system' or 'file:/path'")
    if mode == "production":
        raise ConfigError("PANDAWA_CLOCK: a rehearsal clock is refused in production; unset it")
    return value


def settings_of(app: Flask) -> Settings:
    """The settings `app` was built with."""
    return app.extensions[EXTENSION_KEY]


def current_settings() -> Settings:
    """The settings of the app in context (a request, a task, a CLI command)."""
    return current_app.extensions[EXTENSION_KEY]


# -- WhatsApp Cloud API (issue 18) -----------------------------------------------------------

META_REQUIRED = (
    "META_ACCESS_TOKEN",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "META_PHONE_NUMBER_ID",
)


def meta_settings(env: Mapping[str, str], provider: str) -> dict:
    """The META_* settings, all required when WHATSAPP_PROVIDER=meta.

    META_PHONE_NUMBER_ID is the Cloud API's id of the number we send from: one id for a
    deployment with one Meta number, or `+6281…=<id>` pairs separated by commas, one per
    office number (the address an office's `whatsapp` sender names)."""
    if provider == "meta":
        for name in META_REQUIRED:
            if not (env.get(name) or "").strip():
                raise ConfigError(
                    f"{name}: required when WHATSAPP_PROVIDER=meta (WhatsApp Cloud API "
                    "credentials from the Meta app dashboard)"
                )
    version = (env.get("META_GRAPH_API_VERSION") or "v23.0").strip()
    if not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
        raise ConfigError(f"META_GRAPH_API_VERSION: {version!r}; expected e.g. v23.0")
    return {
        "meta_access_token": (env.get("META_ACCESS_TOKEN") or "").strip() or None,
        "meta_app_secret": (env.get("META_APP_SECRET") or "").strip() or None,
        "meta_verify_token": (env.get("META_VERIFY_TOKEN") or "").strip() or None,
        "meta_phone_number_ids": _phone_number_ids(env.get("META_PHONE_NUMBER_ID") or ""),
        "meta_graph_api_base_url": _base_url(
            "META_GRAPH_API_BASE_URL",
            env.get("META_GRAPH_API_BASE_URL") or "https://graph.facebook.com",
        ),
        "meta_graph_api_version": version,
    }


def _phone_number_ids(value: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        number, sep, number_id = part.rpartition("=")
        number = "".join(c for c in number if c.isdigit())
        number_id = number_id.strip()
        if not number_id.isdigit() or (sep and not number):
            raise ConfigError(
                f"META_PHONE_NUMBER_ID: {part!r}; expected the numeric phone number id, or "
                "+62…=<id> pairs separated by commas"
            )
        pairs.append((number, number_id))
    return tuple(pairs)


def _smtp_url(value: str | None) -> str | None:
    """SLA_ALERT_EMAIL_SMTP_URL (issue 17): smtp://host:port, or unset (no e-mail)."""
    found = re.fullmatch(r"smtp://[^/:@\s]+:(\d{1,5})", (value or "").strip())
    if value and (found is None or int(found[1]) > 65535):
        raise ConfigError(f"SLA_ALERT_EMAIL_SMTP_URL={value!r}: expected smtp://host:port")
    return found[0] if found else None
