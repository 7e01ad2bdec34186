"""``LKDESK_TEST_SINGLE_PC``: run the integration suite with another default peer-connection mode.

``LKDESK_TEST_SINGLE_PC=1`` makes single-peer-connection mode (``/rtc/v1``) lkdesk's default
for every room a test joins without choosing (in-process rooms through the conftest fixture,
agents in their own namespace through lkdesk_agent.py); ``0`` makes two PCs the default.
Unset, lkdesk's own default applies. Tests that choose a mode keep it.
"""

from __future__ import annotations

import os

from lkdesk.rtc.engine import engine

SINGLE_PC_VARIABLE = "LKDESK_TEST_SINGLE_PC"


def default_from_environment() -> bool | None:
    """The default mode the environment asks for, or None to leave lkdesk's."""
    value = os.environ.get(SINGLE_PC_VARIABLE, "").strip().lower()
    if not value:
        return None
    return value not in ("0", "false", "no", "v0")


def apply_environment() -> bool | None:
    """Set lkdesk's default mode from the environment (for an agent process); returns it."""
    wanted = default_from_environment()
    if wanted is not None:
        engine.DEFAULT_SINGLE_PEER_CONNECTION = wanted
    return wanted
