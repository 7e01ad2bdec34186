"""Cost of lkdesk's video receive path per frame: VP8 (aiortc's) next to VP9 and AV1 (lkdesk's).

No official-SDK column: the SDK depacketises and decodes inside libwebrtc (Rust FFI), so
there is nothing to put side by side at this level; bench/join_latency.py compares whole
calls. What is measured, on one core's worth of work, for the same synthetic moving picture
(gradient, a moving disc, light noise) encoded at 30 fps and ~500 kbit/s in real-time
settings (RTP payloads from the test packetisers in tests/rtc/engine/adapt/rtp_senders.py):

* "python": depacketising every RTP packet of a frame plus the frame assembler with its
  payload facts, i.e. what runs on the event loop per frame;
* "decode": the decoder call, which runs in aiortc's decoder thread.

    .venv/bin/python -m bench.receive_codecs [--size 1280x720] [--frames 90]
"""

from __future__ import annotations

import argparse
import fractions
import statistics
import time
from collections.abc import Callable

import av
import numpy as np
from aiortc.codecs.base import Decoder
from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame

from lkdesk.rtc.engine.adapt.frame_assembler import PacketInfo, VideoFrameAssembler
from lkdesk.rtc.engine.adapt.rtp_av1 import av1_depayload
from lkdesk.rtc.engine.adapt.rtp_vp9 import vp9_depayload
from lkdesk.rtc.engine.adapt.video_decoders import Av1Decoder, Vp9Decoder
from lkdesk.rtc.engine.adapt.video_payload import info_for
from tests.rtc.engine.adapt.rtp_senders import av1_payloads, vp9_payloads

KBPS = 500  # aiortc's VP8 default target; the others are held to it too
ENCODERS = {
    "VP9": ("libvpx-vp9", {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}),
    "AV1": (
        "libsvtav1",
        {"preset": "10", "svtav1-params": f"pred-struct=1:lookahead=0:rc=2:tbr={KBPS}"},
    ),
}


def picture(n: int, width: int, height: int, rng: np.random.Generator) -> av.VideoFrame:
    y, x = np.mgrid[0:height, 0:width]
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = (x * 255 // width + n * 3) % 256
    image[..., 1] = y * 255 // height
    image[..., 2] = 128
    cx, cy = (n * 9) % width, height // 2
    image[(x - cx) ** 2 + (y - cy) ** 2 < (height // 6) ** 2] = (240, 240, 40)
    image = np.clip(image + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts = n
    frame.time_base = fractions.Fraction(1, 30)
    return frame


def encoded_payloads(codec: str, width: int, height: int, frames: int) -> list[list[bytes]]:
    """RTP payloads of each frame (MTU ~1200), a keyframe first."""
    rng = np.random.default_rng(1)
    out: list[list[bytes]] = []
    if codec == "VP8":
        vp8 = Vp8Encoder()
        for n in range(frames):
            frame = picture(n, width, height, rng)
            frame.time_base = fractions.Fraction(1, 90000)
            frame.pts = n * 3000
            out.append(vp8.encode(frame)[0])
        return out
    name, options = ENCODERS[codec]
    encoder = av.CodecContext.create(name, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"  # type: ignore[attr-defined]
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.framerate = fractions.Fraction(30, 1)  # type: ignore[attr-defined]
    if codec == "VP9":
        encoder.bit_rate = KBPS * 1000
    encoder.options = dict(options)
    for n in range(frames):
        (packet,) = encoder.encode(picture(n, width, height, rng))  # type: ignore[attr-defined]
        data, key = bytes(packet), bool(packet.is_keyframe)
        if codec == "VP9":
            out.append(vp9_payloads(data, keyframe=key, picture_id=n, mtu=1200))
        else:
            out.append(av1_payloads(data, keyframe=key, mtu=1200))
    return out


def measure(codec: str, payloads: list[list[bytes]]) -> dict[str, float]:
    depayload: Callable[[bytes], bytes] = {
        "VP8": vp8_depayload,
        "VP9": vp9_depayload,
        "AV1": av1_depayload,
    }[codec]
    decoder: Decoder = {"VP8": Vp8Decoder, "VP9": Vp9Decoder, "AV1": Av1Decoder}[codec]()
    assembler = VideoFrameAssembler()
    python_ms: list[float] = []
    decode_ms: list[float] = []
    decoded = 0
    seq = 0
    for n, frame_payloads in enumerate(payloads):
        started = time.perf_counter()
        released = []
        for i, payload in enumerate(frame_payloads):
            info = PacketInfo(
                seq & 0xFFFF,
                n * 3000,
                i == len(frame_payloads) - 1,
                depayload(payload),
                info_for(codec, payload),
            )
            released += assembler.insert(info, now=n / 30).frames
            seq += 1
        python_ms.append((time.perf_counter() - started) * 1000)
        for frame in released:
            started = time.perf_counter()
            decoded += len(decoder.decode(JitterFrame(frame.data, frame.timestamp)))
            decode_ms.append((time.perf_counter() - started) * 1000)
    sizes = [sum(len(p) for p in f) for f in payloads[1:]]
    return {
        "packets/frame": statistics.mean(len(f) for f in payloads),
        "kbit/s": statistics.mean(sizes) * 8 * 30 / 1000,
        "python p50 ms": statistics.median(python_ms),
        "decode p50 ms": statistics.median(decode_ms),
        "decode p95 ms": sorted(decode_ms)[int(len(decode_ms) * 0.95)],
        "decoded": decoded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=90)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    columns = ["decoded", "packets/frame", "kbit/s", "python p50", "decode p50", "decode p95"]
    print(f"| codec ({args.size}) | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for codec in ("VP8", "VP9", "AV1"):
        r = measure(codec, encoded_payloads(codec, width, height, args.frames))
        cells = [
            f"{r['decoded']:.0f}/{args.frames}",
            f"{r['packets/frame']:.1f}",
            f"{r['kbit/s']:.0f}",
            f"{r['python p50 ms']:.3f} ms",
            f"{r['decode p50 ms']:.2f} ms",
            f"{r['decode p95 ms']:.2f} ms",
        ]
        print(f"| {codec} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
