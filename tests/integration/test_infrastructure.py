"""The test infrastructure itself: real server, namespace-only ICE, official-SDK peers."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import re
import urllib.request

import pytest
import websockets
from livekit import api
from livekit.protocol import rtc as proto_rtc

from tests.integration.analysis import (
    content_region,
    decode_counter,
    dominant_frequency,
    mean_color,
    rms_db,
)
from tests.integration.livekit_server import LiveKitServer, netns_ip
from tests.integration.peers import AUDIO_RATE, SdkPeer

RED = (255, 0, 0)
COLOR_TOLERANCE = 30.0
TONE_HZ = 440.0
_HOST_RE = re.compile(r"^(?:stuns?|turns?):(?P<host>\[[^\]]+\]|[^:?]+)")


def test_server_answers_http(livekit_server: LiveKitServer) -> None:
    with urllib.request.urlopen(livekit_server.http_url + "/", timeout=5) as resp:
        assert resp.status == 200
        assert resp.read().strip() == b"OK"


# LiveKitAPI mints its own tokens with `--dev`'s 6-byte secret; PyJWT warns about each one.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_server_api_accepts_dev_keys(livekit_server: LiveKitServer, room_name: str) -> None:
    lkapi = api.LiveKitAPI(
        livekit_server.http_url, livekit_server.api_key, livekit_server.api_secret
    )
    try:
        await lkapi.room.create_room(api.CreateRoomRequest(name=room_name))
        rooms = await lkapi.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
        assert [r.name for r in rooms.rooms] == [room_name]
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name))
    finally:
        await lkapi.aclose()


async def test_join_response_ice_servers_stay_in_namespace(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    token = livekit_server.token("raw-joiner", room_name)
    url = f"{livekit_server.ws_url}/rtc?protocol=16&sdk=python&auto_subscribe=0"
    async with (
        asyncio.timeout(10),
        websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws,
    ):
        first = await ws.recv()
    assert isinstance(first, bytes)
    response = proto_rtc.SignalResponse.FromString(first)
    assert response.WhichOneof("message") == "join"
    urls = [u for server in response.join.ice_servers for u in server.urls]
    assert urls, "the server always sends ICE servers; an empty list means a changed server"
    allowed = {ipaddress.ip_address(netns_ip()), ipaddress.ip_address("127.0.0.1")}
    for ice_url in urls:
        match = _HOST_RE.match(ice_url)
        assert match, f"unexpected ICE URL {ice_url!r}"
        host = ipaddress.ip_address(match["host"].strip("[]"))
        assert host in allowed, f"ICE server {ice_url!r} is outside the test namespace"


async def test_sdk_peers_exchange_video_and_audio(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    ice = [livekit_server.stun_url]
    alice_token = livekit_server.token("alice", room_name)
    bob_token = livekit_server.token("bob", room_name)
    async with (
        SdkPeer(livekit_server.ws_url, alice_token, ice_servers=ice) as alice,
        SdkPeer(livekit_server.ws_url, bob_token, ice_servers=ice) as bob,
    ):
        await alice.publish_video(color=RED, name="camera")
        await alice.publish_tone(TONE_HZ, name="mic")
        async with asyncio.timeout(15):
            video = await bob.subscribed_track("alice", "camera")
            audio = await bob.subscribed_track("alice", "mic")
        async with asyncio.timeout(20):
            frames, samples = await asyncio.gather(
                bob.collect_video(video, frames=40),
                bob.collect_audio(audio, seconds=2.0),
            )

    later = frames[10:]  # let the encoder settle after the first key frame
    height, width = later[-1].rgb.shape[:2]
    for received in later:
        color = mean_color(received.rgb, content_region(width, height))
        assert all(abs(c - e) <= COLOR_TOLERANCE for c, e in zip(color, RED, strict=True)), color
    counters = [decode_counter(f.rgb) for f in later]
    assert all(b > a for a, b in itertools.pairwise(counters)), counters

    steady = samples[AUDIO_RATE // 2 :]  # skip the first 0.5 s (jitter buffer warm-up)
    assert rms_db(steady) > -30.0
    assert dominant_frequency(steady, AUDIO_RATE) == pytest.approx(TONE_HZ, rel=0.02)
