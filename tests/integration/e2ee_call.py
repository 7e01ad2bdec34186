"""What the end-to-end encryption tests share: lkdesk publishing a known colour and tone."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from lkdesk import rtc
from tests.integration.lkdesk_media import produce_tone, produce_video, running
from tests.integration.lkdesk_peer import LkdeskPeer

ORANGE = (240, 130, 20)
LK_TONE = 750.0


@contextlib.asynccontextmanager
async def lkdesk_publishing(lk: LkdeskPeer) -> AsyncIterator[None]:
    """lkdesk's camera (orange, 320x240) and microphone (750 Hz) published."""
    video, audio = rtc.VideoSource(320, 240), rtc.AudioSource(48_000, 1)
    local = lk.room.local_participant
    assert local is not None
    async with running(produce_video(video, ORANGE)), running(produce_tone(audio, LK_TONE)):
        await local.publish_track(
            rtc.LocalVideoTrack.create_video_track("camera", video),
            rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA),
        )
        await local.publish_track(
            rtc.LocalAudioTrack.create_audio_track("mic", audio),
            rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
        )
        yield
