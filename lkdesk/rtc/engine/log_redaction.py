"""Keep tokens out of log lines written by libraries we hand a logger to."""

from __future__ import annotations

import logging
import re

from lkdesk.rtc.engine.connect_errors import scrub_secrets

_BEARER_RE = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with bearer tokens and JWT-shaped strings removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub_secrets(_BEARER_RE.sub(r"\1<token>", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redacting_logger(name: str) -> logging.Logger:
    """A logger whose records never carry a token, for third-party code to log through."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
    return logger
