"""Logging for every Pandawa process: one format, the level from LOG_LEVEL, and a last line of
defence that masks phone numbers, NIK and KK should one ever reach a log line — however it is
written (`3174.0101…`, `%2B62812…` in a logged URL), tracebacks included. The filter sits on
the handlers, so it also covers records propagated from other loggers (the development server's
access log prints the simulator's `?citizen=whatsapp%3A%2B62…`)."""

from __future__ import annotations

import logging
import re
import sys

from pandawa.core.masking import mask_text

# 8+ digits, optionally with a leading + (phone numbers, NIK, card numbers)
_LONG_NUMBER = re.compile(r"\+?\d{8,}")


def mask_number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text[:4] + "*" * (len(text) - 8) + text[-4:] if len(text) > 10 else "*" * len(text)


def redact(text: str) -> str:
    """NIK, KK and phone numbers masked in any notation; any other 8+ digit run too."""
    return _LONG_NUMBER.sub(mask_number, mask_text(text))


class RedactNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


HANDLER_NAME = "pandawa"

# loggers outside `pandawa` that may print a citizen's number: the development server's access
# log (werkzeug), gunicorn's, Celery's. Each gets the filter on every handler it has, and the
# development server's logger our handler (werkzeug adds an unfiltered one of its own otherwise)
_OTHER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "celery", "celery.task")


def configure_logging(level: str, stream=None) -> None:
    """Give the `pandawa` loggers one handler (once per process) with the redacting filter."""
    logger = logging.getLogger("pandawa")
    logger.setLevel(level)
    filter_handlers()
    if any(h.get_name() == HANDLER_NAME for h in logger.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    )
    handler.addFilter(RedactNumbers())
    logger.addHandler(handler)
    logger.propagate = False
    werkzeug = logging.getLogger("werkzeug")
    if not werkzeug.handlers:
        access = logging.StreamHandler(stream or sys.stderr)
        access.addFilter(RedactNumbers())
        werkzeug.addHandler(access)
        if werkzeug.level == logging.NOTSET:
            werkzeug.setLevel(logging.INFO)


def filter_handlers() -> None:
    """Put the redacting filter on every handler of the root logger and of the loggers that
    may print a number (handlers added later by a server: call again, e.g. from its config)."""
    for name in ("", *_OTHER_LOGGERS):
        for handler in logging.getLogger(name).handlers:
            if not _redacts(handler):
                handler.addFilter(RedactNumbers())


def _redacts(handler: logging.Handler) -> bool:
    return any(isinstance(f, RedactNumbers) for f in handler.filters)
