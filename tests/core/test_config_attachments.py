"""The attachment settings (issue 16): Twilio's documented WhatsApp limits are the defaults
and the ceilings — a larger file would be stored, then refused by the provider."""

from __future__ import annotations

import pytest

from pandawa.core.config import ConfigError, Settings


def settings(tmp_path, **values: str) -> Settings:
    return Settings.from_env({"PANDAWA_INSTANCE_PATH": str(tmp_path), **values})


def test_defaults(tmp_path):
    found = settings(tmp_path)
    assert found.attachment_max_image_bytes == 5_000_000
    assert found.attachment_max_pdf_bytes == 15_000_000
    assert found.attachment_url_seconds == 3600


def test_smaller_limits_and_a_shorter_link_are_taken(tmp_path):
    found = settings(
        tmp_path,
        ATTACHMENT_MAX_IMAGE_BYTES="1000000",
        ATTACHMENT_MAX_PDF_BYTES="16000000",
        ATTACHMENT_URL_SECONDS="600",
    )
    assert (found.attachment_max_image_bytes, found.attachment_max_pdf_bytes) == (
        1_000_000,
        16_000_000,
    )
    assert found.attachment_url_seconds == 600


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ATTACHMENT_MAX_IMAGE_BYTES", "5000001", "at most 5000000"),
        ("ATTACHMENT_MAX_PDF_BYTES", "20000000", "at most 16000000"),
        ("ATTACHMENT_MAX_PDF_BYTES", "lima", "expected a positive number"),
        ("ATTACHMENT_URL_SECONDS", "0", "expected a positive number"),
    ],
)
def test_a_bad_value_names_its_setting(tmp_path, name, value, says):
    with pytest.raises(ConfigError, match=name) as refused:
        settings(tmp_path, **{name: value})
    assert says in str(refused.value)
