"""``lk.transcription`` text streams written by livekit-client in Chromium reach lkdesk."""

from __future__ import annotations

from typing import Any

import pytest

from lkdesk import rtc
from tests.browser.conftest import BrowserPeerFactory
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, eventually

pytestmark = pytest.mark.integration


def _segments(lk: LkdeskPeer) -> list[tuple[str, str, str, bool, str | None]]:
    out = []
    for _when, (segments, participant, publication) in lk.events["transcription_received"]:
        for segment in segments:
            identity = participant.identity if participant is not None else "?"
            sid = publication.sid if publication is not None else None
            out.append((identity, segment.id, segment.text, segment.final, sid))
    return out


async def test_transcription_streams_from_a_browser_arrive_interim_then_final(
    livekit_server: LiveKitServer, room_name: str, browser_peer_factory: BrowserPeerFactory
) -> None:
    browser = await browser_peer_factory("web")
    await browser.join(
        livekit_server.ws_url,
        livekit_server.token("web", room_name),
        publish_video=False,
        publish_audio=True,
    )
    lk = LkdeskPeer()
    try:
        await lk.connect(
            livekit_server.ws_url, livekit_server.token("lkdesk", room_name), auto_subscribe=False
        )
        await eventually(
            lambda: bool(
                "web" in lk.room.remote_participants
                and lk.room.remote_participants["web"].track_publications
            )
        )
        [mic] = lk.room.remote_participants["web"].track_publications
        attributes: dict[str, Any] = {"lk.segment_id": "SG_web1", "lk.transcribed_track_id": mic}
        await browser.send_transcription(
            ["Grüße ", "aus ", "dem"], {**attributes, "lk.transcription_final": "false"}
        )
        await browser.send_transcription(
            ["Grüße aus dem Browser."], {**attributes, "lk.transcription_final": "true"}
        )
        await eventually(lambda: any(final for *_x, final, _s in _segments(lk)))
        received = _segments(lk)
        assert received[-1] == ("web", "SG_web1", "Grüße aus dem Browser.", True, mic)
        interim = [text for _p, _i, text, final, _s in received if not final]
        # the first stream grows piece by piece; then the second stream's text
        first = interim[: interim.index("Grüße aus dem") + 1]
        assert all("Grüße aus dem".startswith(text) for text in first)
        assert all("Grüße aus dem Browser.".startswith(text) for text in interim)
        assert all(p == "web" and s == mic for p, _i, _t, _f, s in received)
        _when, (_, participant, publication) = lk.events["transcription_received"][-1]
        assert isinstance(participant, rtc.RemoteParticipant)
        assert isinstance(publication, rtc.RemoteTrackPublication)
        assert publication.kind == rtc.TrackKind.KIND_AUDIO
    finally:
        await lk.aclose()
