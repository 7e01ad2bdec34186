"""Scripted VP8 RTP packets for the frame-assembler tests: frames as the payload format has them.

Each frame is split into packets whose payload starts with an RFC 7741 descriptor (S bit and
partition 0 on the first packet) and, on the first packet, a VP8 payload header whose P bit
says keyframe or delta. ``data`` is what a depacketiser would produce: a label naming the
frame and the packet, so a test can check exactly which packets a released frame holds.
"""

from __future__ import annotations

from lkdesk.rtc.engine.adapt.frame_assembler import PacketInfo
from lkdesk.rtc.engine.adapt.video_payload import vp8_info

TICKS_PER_FRAME = 3000  # 90 kHz clock, 30 fps


def vp8_packets(first_seq: int, frame_no: int, count: int, *, key: bool) -> list[PacketInfo]:
    """``count`` packets of frame ``frame_no`` starting at sequence number ``first_seq``."""
    packets = []
    for i in range(count):
        descriptor = bytes([0x10 if i == 0 else 0x00])
        header = bytes([0x00 if key else 0x01]) if i == 0 else b""
        payload = descriptor + header + f"f{frame_no}p{i}".encode()
        packets.append(
            PacketInfo(
                sequence_number=(first_seq + i) & 0xFFFF,
                timestamp=(frame_no * TICKS_PER_FRAME) & 0xFFFFFFFF,
                marker=i == count - 1,
                data=f"[f{frame_no}p{i}]".encode(),
                payload=vp8_info(payload),
            )
        )
    return packets


def frame_data(frame_no: int, count: int) -> bytes:
    """What the released frame ``frame_no`` of ``count`` packets must contain."""
    return b"".join(f"[f{frame_no}p{i}]".encode() for i in range(count))


class Stream:
    """A sender of fixed-size frames: frame n has packets seq n*size .. n*size+size-1."""

    def __init__(self, packets_per_frame: int = 3, keyframe_every: int = 0, first_seq: int = 0):
        self.size = packets_per_frame
        self.keyframe_every = keyframe_every
        self.first_seq = first_seq

    def frame(self, frame_no: int, *, key: bool | None = None) -> list[PacketInfo]:
        if key is None:
            key = frame_no == 0 or (self.keyframe_every > 0 and frame_no % self.keyframe_every == 0)
        return vp8_packets(self.first_seq + frame_no * self.size, frame_no, self.size, key=key)
