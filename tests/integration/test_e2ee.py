"""End-to-end encrypted calls between lkdesk and the official Python SDK on the real server.

Content is checked both ways: the right colour and tone arrive only when the passphrases
match; a peer with another passphrase and a peer without encryption see no picture.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
import pytest
from livekit import rtc as sdk

from lkdesk import rtc
from lkdesk.rtc.e2ee import (
    Drop,
    E2EEOptions,
    EncryptionState,
    FrameCryptor,
    KeyDerivationFunction,
    KeyProviderOptions,
    passphrase_options,
)
from lkdesk.rtc.e2ee.keys import KeySet
from tests.integration.analysis import content_region, dominant_frequency, mean_color
from tests.integration.e2ee_call import LK_TONE, ORANGE, lkdesk_publishing
from tests.integration.livekit_server import LiveKitServer
from tests.integration.lkdesk_peer import LkdeskPeer, sample_audio, sample_video
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration

PASSPHRASE = "correct horse battery staple"
GREEN = (40, 200, 60)
SDK_TONE = 660.0
WINDOW_S = 3.0
SALT = b"LKFrameEncryptionKey"  # how long a peer that cannot decrypt is watched


def sdk_encryption(passphrase: str, failure_tolerance: int = -1) -> sdk.E2EEOptions:
    """The SDK keyed like LiveKit Meet: a shared passphrase (PBKDF2), no ratcheting.

    The SDK reports DECRYPTION_FAILED only once a key's failures exceed a tolerance
    (libwebrtc's ``FrameCryptorTransformer::decryptFrame``): -1 never reports it.
    """
    options = sdk.KeyProviderOptions(
        shared_key=passphrase.encode(),
        ratchet_window_size=0,
        failure_tolerance=failure_tolerance,
    )
    return sdk.E2EEOptions(key_provider_options=options)


def close_to(color: tuple[float, float, float], expected: tuple[int, int, int]) -> bool:
    return max(abs(c - e) for c, e in zip(color, expected, strict=True)) < 30


async def sdk_frames_within(peer: SdkPeer, track: sdk.RemoteTrack, seconds: float) -> list:  # type: ignore[type-arg]
    """The frames ``peer`` decodes of ``track`` in a window (any number, none included)."""
    frames: list = []  # type: ignore[type-arg]

    async def collect() -> None:
        frames.extend(await peer.collect_video(track, frames=10_000))

    task = asyncio.create_task(collect())
    await asyncio.wait([task], timeout=seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return frames


async def lk_frames_within(track: rtc.RemoteTrack, seconds: float) -> list[np.ndarray]:
    stream = rtc.VideoStream(track)
    out: list[np.ndarray] = []
    try:
        async with asyncio.timeout(seconds):
            async for event in stream:
                out.append(event.frame.data)
    except TimeoutError:
        pass
    finally:
        await stream.aclose()
    return out


async def check_lkdesk_sees_and_hears(lk: LkdeskPeer, identity: str) -> None:
    video = await lk.subscribed(identity, rtc.TrackKind.KIND_VIDEO)
    frames = await sample_video(video, frames=10, deadline_s=15)
    h, w = frames[-1].shape[:2]
    assert close_to(mean_color(frames[-1], content_region(w, h)), GREEN)
    audio = await lk.subscribed(identity, rtc.TrackKind.KIND_AUDIO)
    freq = dominant_frequency(await sample_audio(audio, seconds=1.0), 48_000)
    assert abs(freq - SDK_TONE) / SDK_TONE < 0.02, freq


async def check_sdk_sees_and_hears(peer: SdkPeer) -> None:
    async with asyncio.timeout(20):
        video = await peer.subscribed_track("lkdesk", "camera")
        frames = await peer.collect_video(video, frames=10)
        audio = await peer.subscribed_track("lkdesk", "mic")
        samples = await peer.collect_audio(audio, seconds=1.5)
    assert close_to(mean_color(frames[-1].rgb, content_region(320, 240)), ORANGE)
    freq = dominant_frequency(samples[24_000:], 48_000)
    assert abs(freq - LK_TONE) / LK_TONE < 0.02, freq


def receive_cryptors(lk: LkdeskPeer, identity: str) -> list[FrameCryptor]:
    return [
        c
        for c in lk.room.e2ee_manager.frame_cryptors()
        if not c.sending and c.participant_identity == identity
    ]


async def test_encrypted_call_with_the_official_sdk_works_both_ways_and_across_a_key_change(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(
        server.ws_url, server.token("sdk", room_name), encryption=sdk_encryption(PASSPHRASE)
    )
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN, width=320, height=240)
        await peer.publish_tone(SDK_TONE)
        await lk.connect(
            server.ws_url,
            server.token("lkdesk", room_name),
            encryption=passphrase_options(PASSPHRASE),
        )
        async with lkdesk_publishing(lk):
            await check_sdk_sees_and_hears(peer)
            await check_lkdesk_sees_and_hears(lk, "sdk")
            published = peer.room.remote_participants["lkdesk"].track_publications.values()
            assert {p.encryption_type for p in published} == {sdk.EncryptionType.GCM}
            await lk.wait_for(
                "participant_encryption_status_changed",
                lambda p, encrypted: p.identity == "sdk" and encrypted,
            )
            assert all(c.stats.dropped_total == 0 for c in receive_cryptors(lk, "sdk"))

            # both sides move to a new key at index 1
            rotated = "a new passphrase for the second half"
            provider = lk.room.e2ee_manager.key_provider
            assert provider is not None
            provider.set_shared_key(rotated, 1)
            for cryptor in lk.room.e2ee_manager.frame_cryptors():
                if cryptor.sending:
                    cryptor.set_key_index(1)
            sdk_provider = peer.room.e2ee_manager.key_provider
            assert sdk_provider is not None
            sdk_provider.set_shared_key(rotated.encode(), 1)
            for sdk_cryptor in peer.room.e2ee_manager.frame_cryptors():
                if sdk_cryptor.participant_identity == "sdk":
                    sdk_cryptor.set_key_index(1)
            await lk.wait_until(
                lambda: all(c.stats.key_indexes[1] > 30 for c in receive_cryptors(lk, "sdk")),
                deadline_s=15,
            )
            await check_sdk_sees_and_hears(peer)
            await check_lkdesk_sees_and_hears(lk, "sdk")
            senders = [c for c in lk.room.e2ee_manager.frame_cryptors() if c.sending]
            assert len(senders) == 2 and all(c.stats.key_indexes[1] > 0 for c in senders)
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_peer_with_another_passphrase_sees_nothing_and_both_sides_say_so(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(
        server.ws_url,
        server.token("sdk", room_name),
        encryption=sdk_encryption("other", failure_tolerance=10),
    )
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN, width=320, height=240)
        await lk.connect(
            server.ws_url,
            server.token("lkdesk", room_name),
            encryption=passphrase_options(PASSPHRASE),
        )
        async with lkdesk_publishing(lk):
            failed = EncryptionState.DECRYPTION_FAILED
            await lk.wait_for(
                "e2ee_state_changed",
                lambda p, s: p.identity == "sdk" and s == failed,
                deadline_s=20,
            )
            async with asyncio.timeout(20):
                await peer.wait_for(
                    "e2ee_state_changed",
                    lambda p, s: (
                        p is not None
                        and p.identity == "lkdesk"
                        and s == sdk.EncryptionState.DECRYPTION_FAILED
                    ),
                )
                sdk_track = await peer.subscribed_track("lkdesk", "camera")
            lk_track = await lk.subscribed("sdk", rtc.TrackKind.KIND_VIDEO)
            seen_by_lk = await lk_frames_within(lk_track, WINDOW_S)
            seen_by_sdk = await sdk_frames_within(peer, sdk_track, WINDOW_S)
            assert not any(close_to(mean_color(f), GREEN) for f in seen_by_lk)
            assert not any(close_to(mean_color(f.rgb), ORANGE) for f in seen_by_sdk)
            stats = [c.stats for c in receive_cryptors(lk, "sdk")]
            assert sum(s.dropped[Drop.FAILED_TAG] for s in stats) > 30
            assert sum(s.decrypted for s in stats) == 0
            assert lk.room.e2ee_manager.decryption_state("sdk") is failed
            assert lk.room.isconnected() and peer.room.isconnected()
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_subscriber_without_encryption_gets_packets_it_cannot_turn_into_the_picture(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    viewer = SdkPeer(server.ws_url, server.token("viewer", room_name))
    lk = LkdeskPeer()
    try:
        await viewer.connect()
        await lk.connect(
            server.ws_url,
            server.token("lkdesk", room_name),
            encryption=passphrase_options(PASSPHRASE),
        )
        async with lkdesk_publishing(lk):
            async with asyncio.timeout(20):
                track = await viewer.subscribed_track("lkdesk", "camera")
            frames = await sdk_frames_within(viewer, track, WINDOW_S)
            received = sum(
                s.inbound_rtp.received.packets_received
                for s in await track.get_stats()
                if s.HasField("inbound_rtp")
            )
            assert received > 30  # the media did arrive ...
            assert not any(close_to(mean_color(f.rgb), ORANGE) for f in frames)  # ... unreadable
    finally:
        await lk.aclose()
        await viewer.aclose()


async def test_lkdesk_follows_a_key_the_sdk_ratcheted_within_its_ratchet_window(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    keys = sdk.KeyProviderOptions(shared_key=PASSPHRASE.encode(), ratchet_window_size=4)
    peer = SdkPeer(
        server.ws_url,
        server.token("sdk", room_name),
        encryption=sdk.E2EEOptions(key_provider_options=keys),
    )
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN, width=320, height=240)
        options = E2EEOptions(KeyProviderOptions(shared_key=PASSPHRASE, ratchet_window_size=4))
        await lk.connect(server.ws_url, server.token("lkdesk", room_name), encryption=options)
        video = await lk.subscribed("sdk", rtc.TrackKind.KIND_VIDEO)
        await sample_video(video, frames=5, deadline_s=15)
        sdk_provider = peer.room.e2ee_manager.key_provider
        assert sdk_provider is not None
        material = sdk_provider.ratchet_shared_key(0)
        expected = KeySet(PASSPHRASE.encode(), KeyDerivationFunction.PBKDF2, SALT).ratcheted()
        assert material == expected.material  # the same ratchet as the SDK's
        await lk.wait_for(
            "e2ee_state_changed",
            lambda p, s: p.identity == "sdk" and s == EncryptionState.KEY_RATCHETED,
            deadline_s=20,
        )
        frames = await sample_video(video, frames=10, deadline_s=15)
        h, w = frames[-1].shape[:2]
        assert close_to(mean_color(frames[-1], content_region(w, h)), GREEN)
        provider = lk.room.e2ee_manager.key_provider
        assert provider is not None and provider.export_shared_key(0) == material
    finally:
        await lk.aclose()
        await peer.aclose()


async def test_encrypted_media_flows_both_ways_again_after_a_full_rejoin(
    livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    peer = SdkPeer(
        server.ws_url, server.token("sdk", room_name), encryption=sdk_encryption(PASSPHRASE)
    )
    lk = LkdeskPeer()
    try:
        await peer.connect()
        await peer.publish_video(color=GREEN, width=320, height=240)
        await peer.publish_tone(SDK_TONE)
        await lk.connect(
            server.ws_url,
            server.token("lkdesk", room_name),
            encryption=passphrase_options(PASSPHRASE),
        )
        async with lkdesk_publishing(lk):
            await check_sdk_sees_and_hears(peer)
            before = lk.room.local_participant.sid  # type: ignore[union-attr]
            lk.room._engine.connection_lost("test: a full rejoin", resume=False)
            await lk.wait_for("reconnected", deadline_s=30)
            assert lk.room.local_participant.sid != before  # type: ignore[union-attr]
            async with asyncio.timeout(20):
                await peer.room_track_after("lkdesk", "camera", before)
            await check_sdk_sees_and_hears(peer)
            await check_lkdesk_sees_and_hears(lk, "sdk")
    finally:
        await lk.aclose()
        await peer.aclose()
