"""The WhatsApp Cloud API settings (issue 18): required with WHATSAPP_PROVIDER=meta, one phone
number id or one per number, and which providers a deployment enables."""

from __future__ import annotations

import pytest

from pandawa.channels.meta import phone_number_id
from pandawa.core.config import ConfigError, Settings

META = {
    "WHATSAPP_PROVIDER": "meta",
    "META_ACCESS_TOKEN": "EAAG-token",
    "META_APP_SECRET": "app-secret",
    "META_VERIFY_TOKEN": "verify-me",
    "META_PHONE_NUMBER_ID": "106540352242922",
}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "secret-token"}


def settings(tmp_path, **values: str) -> Settings:
    return Settings.from_env({"PANDAWA_INSTANCE_PATH": str(tmp_path), **values})


@pytest.mark.parametrize(
    "name", ["META_ACCESS_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN", "META_PHONE_NUMBER_ID"]
)
def test_every_credential_is_required_with_meta(tmp_path, name):
    with pytest.raises(ConfigError, match=name):
        settings(tmp_path, **{**META, name: ""})


def test_meta_alone_is_a_valid_production_provider(tmp_path):
    production = {
        **META,
        "PANDAWA_ENV": "production",
        "PUBLIC_BASE_URL": "https://wa.example.go.id",
        "METRICS_TOKEN": "m" * 32,
        "SECRET_KEY": "production-secret-key-0123456789",
    }
    s = settings(tmp_path, **production)
    assert s.enabled_providers == {"meta"}
    assert s.meta_graph_api_base_url == "https://graph.facebook.com"
    assert s.meta_graph_api_version == "v23.0"


def test_both_credentials_enable_both_providers_but_the_simulator_stands_alone(tmp_path):
    assert settings(tmp_path, **META, **TWILIO).enabled_providers == {"meta", "twilio"}
    twilio_first = settings(tmp_path, **{**META, **TWILIO, "WHATSAPP_PROVIDER": "twilio"})
    assert twilio_first.enabled_providers == {"meta", "twilio"}
    simulator = settings(tmp_path, **{**META, **TWILIO, "WHATSAPP_PROVIDER": "simulator"})
    assert simulator.enabled_providers == {"simulator"}


def test_one_phone_number_id_per_office_number(tmp_path):
    s = settings(
        tmp_path,
        **{**META, "META_PHONE_NUMBER_ID": "+62 811-8000-1700=111, +6281180001800=222"},
    )
    assert phone_number_id(s, "whatsapp:+6281180001700") == "111"
    assert phone_number_id(s, "whatsapp:+6281180001800") == "222"
    assert phone_number_id(s, "whatsapp:+6281180001900") is None
    single = settings(tmp_path, **META)
    assert phone_number_id(single, "whatsapp:+6281180001900") == "106540352242922"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("META_PHONE_NUMBER_ID", "abc"),
        ("META_PHONE_NUMBER_ID", "=123"),
        ("META_GRAPH_API_VERSION", "23"),
        ("META_GRAPH_API_BASE_URL", "graph.facebook.com"),
    ],
)
def test_a_malformed_value_names_its_setting(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        settings(tmp_path, **{**META, name: value})
