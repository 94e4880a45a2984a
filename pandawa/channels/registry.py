"""Which provider sends: the one a message names (its `provider`), when the settings enable it;
by default the one the settings name (WHATSAPP_PROVIDER)."""

from __future__ import annotations

from pandawa.channels.meta import MetaProvider
from pandawa.channels.meta_templates import catalog_templates
from pandawa.channels.providers import Provider
from pandawa.channels.simulator import SimulatorProvider
from pandawa.channels.twilio import TwilioProvider
from pandawa.core.config import Settings, current_settings


def get_provider(settings: Settings | None = None, name: str | None = None) -> Provider:
    """The provider `name` (default: WHATSAPP_PROVIDER); the configured one when `name` is not
    enabled (the send task then refuses the message: its provider is not configured)."""
    settings = settings or current_settings()
    if name not in settings.enabled_providers:
        name = settings.whatsapp_provider
    if name == "twilio":
        return TwilioProvider(settings)
    if name == "meta":
        return MetaProvider(settings, templates=catalog_templates)
    return SimulatorProvider()
