import io
import logging

from pandawa.core.logs import RedactNumbers, configure_logging


def test_numbers_never_reach_the_log_in_full():
    stream = io.StringIO()
    logger = logging.getLogger("pandawa.test_logs")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactNumbers())
    logger.addHandler(handler)
    try:
        logger.warning(
            "citizen %s sent NIK %s at %s", "whatsapp:+6281234567890", "3174015708900001", "10:00"
        )
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert "6281234567890" not in line and "3174015708900001" not in line
    assert "+628******7890" in line and "3174********0001" in line
    assert "10:00" in line


def test_configure_logging_is_idempotent():
    configure_logging("INFO")
    configure_logging("WARNING")
    logger = logging.getLogger("pandawa")
    ours = [h for h in logger.handlers if any(isinstance(f, RedactNumbers) for f in h.filters)]
    assert len(ours) == 1
    assert logger.level == logging.WARNING
