"""Logging for every Pandawa process: one format, the level from LOG_LEVEL, and a last line of
defence that masks phone numbers and NIKs should one ever reach a log message."""

from __future__ import annotations

import logging
import re
import sys

# 8+ digits, optionally with a leading + (phone numbers, NIK, card numbers)
_LONG_NUMBER = re.compile(r"\+?\d{8,}")


def mask_number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text[:4] + "*" * (len(text) - 8) + text[-4:] if len(text) > 10 else "*" * len(text)


class RedactNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _LONG_NUMBER.sub(mask_number, message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, stream=None) -> None:
    """Give the `pandawa` loggers one handler (once per process) with the redacting filter."""
    logger = logging.getLogger("pandawa")
    logger.setLevel(level)
    if any(isinstance(f, RedactNumbers) for h in logger.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    )
    handler.addFilter(RedactNumbers())
    logger.addHandler(handler)
    logger.propagate = False
