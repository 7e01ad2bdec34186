"""Layer encoding: each layer decodes back to its own size and the source's colour."""

from __future__ import annotations

import av
import numpy as np

from lkdesk.core.frames import VideoFormat, VideoFrame
from lkdesk.rtc.engine.video_encoding import (
    MAX_PAYLOAD,
    EncodedFrame,
    LayerJob,
    Vp8LayerEncoder,
    encode_layers,
    packetize_vp8,
)


def depacketize(payloads: list[bytes]) -> bytes:
    """Strip the 4-byte VP8 descriptors (X, I with a 15-bit picture id) packetize_vp8 writes."""
    assert payloads[0][0] & 0x10 and not any(p[0] & 0x10 for p in payloads[1:])  # S bit
    return b"".join(p[4:] for p in payloads)


def test_three_layers_decode_to_their_sizes_and_the_source_colour() -> None:
    image = np.empty((720, 1280, 3), dtype=np.uint8)
    image[:] = (200, 60, 30)
    frame = VideoFrame(1280, 720, VideoFormat.RGB24, image)
    encoders = [Vp8LayerEncoder() for _ in range(3)]
    jobs = [
        LayerJob(0, 320, 180, 160_000, True),
        LayerJob(1, 640, 360, 450_000, True),
        LayerJob(2, 1280, 720, 1_700_000, True),
    ]
    decoders = [av.CodecContext.create("libvpx", "r") for _ in range(3)]
    decoded: list[av.VideoFrame] = []
    for n in range(10):  # the first (key) frame is coarse; later ones refine it
        results = encode_layers(frame, n * 4500, jobs if n == 0 else [
            LayerJob(j.index, j.width, j.height, j.bitrate, False) for j in jobs
        ], encoders)  # fmt: skip
        assert [r.index for r in results] == [0, 1, 2]
        assert all(r.keyframe for r in results) == (n == 0)
        decoded = []
        for result, decoder in zip(results, decoders, strict=True):
            payloads = packetize_vp8(result.data, n)
            assert all(len(p) <= MAX_PAYLOAD + 4 for p in payloads)
            decoded += decoder.decode(av.Packet(depacketize(payloads)))
    for picture, (width, height) in zip(
        decoded, [(320, 180), (640, 360), (1280, 720)], strict=True
    ):
        rgb = picture.to_ndarray(format="rgb24")
        assert rgb.shape == (height, width, 3)
        assert np.allclose(rgb.reshape(-1, 3).mean(axis=0), (200, 60, 30), atol=8)


def test_encoder_is_rebuilt_only_for_large_bitrate_changes() -> None:
    image = np.full((180, 320, 3), 90, dtype=np.uint8)
    picture = encode_input = VideoFrame(320, 180, VideoFormat.RGB24, image)
    encoder = Vp8LayerEncoder()
    job = LayerJob(0, 320, 180, 150_000, False)
    first = encode_layers(picture, 0, [job], [encoder])[0]
    assert first.rebuilt and first.keyframe
    small_step = LayerJob(0, 320, 180, 135_000, False)  # -10 %: kept
    assert not encode_layers(encode_input, 3000, [small_step], [encoder])[0].rebuilt
    assert encoder.bitrate == 150_000


def test_a_frame_transform_sees_whole_frames_per_layer() -> None:
    seen: list[EncodedFrame] = []

    def transform(frame: EncodedFrame) -> bytes:
        seen.append(frame)
        return frame.data

    frame = EncodedFrame("h", 42, 9000, True, b"\x10\x02\x00")
    assert transform(frame) == frame.data and seen[0].rid == "h"

