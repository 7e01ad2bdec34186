"""Leaving a call after a full rejoin (real server, official-SDK peer).

A full rejoin republishes the microphone under a new track sid. The session still held the
publication from before, so leaving asked to unpublish the old sid: ``PublishError: No
published track with sid …`` (bench/soak.py). The error skipped the rest of leaving (the
room's disconnect, closing the audio devices), and the process crashed on exit with the
audio streams still running. The others' audio, subscribed at the same moment, also opened
one speaker stream per track and closed only the last, so streams outlived the session
anyway: here two peers play tones, and no lkdesk task (a stream's watchdog) may be left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from lkdesk.rtc.engine.subscriber import SubscriberConnection
from lkdesk.session import JoinOptions, SessionState
from lkdesk.session.call import CallSession
from lkdesk.session.targets import Credentials
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import eventually
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

_LKDESK = Path(__file__).resolve().parents[2] / "lkdesk"


async def _until(condition: Callable[[], bool], what: str, deadline_s: float = 20.0) -> None:
    try:
        await eventually(condition, deadline_s)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _lkdesk_tasks() -> list[str]:
    """Unfinished tasks running lkdesk code (the SDK peer's own tasks are not ours)."""
    names = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if task is asyncio.current_task() or task.done() or code is None:
            continue
        if Path(code.co_filename).is_relative_to(_LKDESK):
            names.append(f"{task.get_name()} ({code.co_qualname})")
    return names


async def test_leaving_after_a_full_rejoin_unpublishes_and_ends_cleanly(
    livekit_server: LiveKitServer,
    room_name: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = livekit_server
    peer = SdkPeer(server.ws_url, server.token("ada", room_name))
    other = SdkPeer(server.ws_url, server.token("bob", room_name))
    credentials = Credentials(
        server.ws_url, server.token("me", room_name), room_name, "me", "Me", False, None
    )
    session = CallSession(credentials)
    try:
        for talker, hz in ((peer, 440.0), (other, 550.0)):
            await talker.connect()
            await talker.publish_tone(hz)
        await session.refresh_devices()
        await session.join(JoinOptions("Me", mic_on=True, camera_on=False))
        async with asyncio.timeout(20):
            await peer.subscribed_track("me", "microphone")
        room = session._room
        assert room is not None and room.local_participant is not None
        old_sid = room.local_participant.sid

        # The old session's PCs close in the background while the rejoin runs; closing
        # can take seconds (a TURN allocation's release on a dead path takes 2 s).
        close = SubscriberConnection.close

        async def slow_close(self: SubscriberConnection) -> None:
            await asyncio.sleep(1.5)
            await close(self)

        monkeypatch.setattr(SubscriberConnection, "close", slow_close)
        room._engine.connection_lost("test: force a full rejoin", resume=False)
        await _until(lambda: session.status.state is SessionState.RECONNECTING, "reconnecting")
        await _until(lambda: session.status.state is SessionState.CONNECTED, "rejoined", 30)
        async with asyncio.timeout(20):
            await peer.room_track_after("me", "microphone", old_sid)
        assert room.local_participant.sid != old_sid
        # the old session's subscriber closing meanwhile failed the new one's first attempt
        failed = [r.getMessage() for r in caplog.records if "reconnect attempt" in r.getMessage()]
        assert not failed, failed

        await session.leave()  # raised PublishError (the microphone's sid before the rejoin)
        assert session.status.state is SessionState.ENDED and session.status.by_user
        assert not room.isconnected()
        await _until(
            lambda: any(p.identity == "me" for (p,) in peer.events["participant_disconnected"]),
            "the peer to see lkdesk leave",
        )
    finally:
        await session.aclose()
        await peer.aclose()
        await other.aclose()
    await _until(lambda: not _lkdesk_tasks(), f"no lkdesk task left ({_lkdesk_tasks()})", 5)
