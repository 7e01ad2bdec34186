"""Log records passed through lkdesk's redacting logger never carry tokens."""

from __future__ import annotations

import logging

import pytest

from lkdesk.rtc.engine.log_redaction import redacting_logger

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsa2Rlc2sifQ.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    ("template", "args"),
    [
        ("> Authorization: Bearer %s", (TOKEN,)),
        ("invalid token: %s, error: expired", (TOKEN,)),
        ("headers %r", ({"Authorization": f"bearer {TOKEN}"},)),
    ],
)
def test_tokens_are_redacted(
    caplog: pytest.LogCaptureFixture, template: str, args: tuple[object, ...]
) -> None:
    logger = redacting_logger("lkdesk.test.redaction")
    with caplog.at_level(logging.DEBUG, logger="lkdesk.test.redaction"):
        logger.debug(template, *args)
    assert TOKEN not in caplog.text and "<token>" in caplog.text


def test_ordinary_messages_are_untouched(caplog: pytest.LogCaptureFixture) -> None:
    logger = redacting_logger("lkdesk.test.redaction")
    with caplog.at_level(logging.INFO, logger="lkdesk.test.redaction"):
        logger.info("joined %s as %s", "room.name", "alice")
    assert "joined room.name as alice" in caplog.text
