"""The reconnect schedule follows livekit-client's DefaultReconnectPolicy (issue 11, item 2):
0, 300, 1200, 2700, 4800 ms, then 7 s up to ten tries, jittered by up to 1 s from the
third; errors the user must fix end the retries at once."""

from __future__ import annotations

import random

import pytest

from lkdesk.core.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RoomNotFoundError,
    ServerUnreachableError,
)
from lkdesk.rtc.engine.reconnect import delays, is_final

SCHEDULE_S = [0.0, 0.3, 1.2, 2.7, 4.8, 7.0, 7.0, 7.0, 7.0, 7.0]


@pytest.mark.parametrize("seed", range(20))
def test_ten_tries_on_the_js_schedule_with_jitter_from_the_third(seed: int) -> None:
    waits = list(delays(random.Random(seed)))
    assert len(waits) == 10
    assert waits[:2] == SCHEDULE_S[:2]  # the first two are immediate and 300 ms, unjittered
    for wait, base in zip(waits[2:], SCHEDULE_S[2:], strict=True):
        assert base <= wait <= base + 1.0


def test_jitter_spreads_clients_apart() -> None:
    thirds = {round(list(delays(random.Random(seed)))[2], 3) for seed in range(10)}
    assert len(thirds) > 5


def test_only_errors_the_user_must_fix_stop_retrying() -> None:
    assert is_final(AuthenticationError("token expired"))
    assert is_final(PermissionDeniedError("no join grant"))
    assert is_final(RoomNotFoundError("deleted"))
    assert not is_final(ServerUnreachableError("down"))
