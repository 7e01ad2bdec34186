"""Video frames from RTP packets, with loss recovery (sans-I/O: packets and clock in).

Why not aiortc's ``JitterBuffer``: it releases frames in sequence order and stops at the
first missing packet. A packet lost for good (older than the sender's history, or its
retransmission lost too) blocks every later frame until 512 packets have piled up, about
30 s of a small 30 fps video, and only then asks for a keyframe. After a UDP outage the
picture stays frozen although fresh packets arrive.

What this assembler does instead, as libwebrtc's receiver does:

* a frame is released as soon as it is complete (its packets contiguous up to the marker
  bit, or up to the next timestamp), not one frame later;
* a gap that blocks the oldest frame is repaired by NACK (aiortc's ``NackGenerator`` asks
  once; :attr:`Assembled.nacks` asks again every RTT, ``MAX_NACK_RETRIES`` times). It is
  given up when the missing packet falls out of the NACK window (``NACK_WINDOW`` packets,
  the depth of aiortc's NACK tracking) or has not arrived ``repair deadline`` after it was
  found missing (3.5 RTT, clamped). The incomplete frame is then dropped and the
  assembler resynchronises on the next frame start;
* after a dropped frame, a decoder error or a stream start without a keyframe, delta frames
  are held back (they would decode into garbage) and a keyframe is requested at once and
  again every ``KEYFRAME_REQUEST_INTERVAL_S`` (200 ms, libwebrtc's ``kMaxWaitForKeyFrame``)
  until one is released. Requests pause while a keyframe is arriving. If no keyframe comes
  for ``KEYFRAME_WAIT_LIMIT_S`` the delta frames are let through again (aiortc's old
  behaviour), so a sender that ignores PLI degrades instead of freezing.
"""

from __future__ import annotations

from dataclasses import dataclass

from lkdesk.rtc.engine.adapt.video_payload import PayloadInfo

DEFAULT_RTT_S = 0.1  # libwebrtc's default RTT before it has a measurement
NACK_WINDOW = 128  # aiortc.rtp.RTP_HISTORY_SIZE: how far back aiortc tracks and NACKs losses
MAX_NACK_RETRIES = 10  # libwebrtc's kMaxNackRetries
MIN_NACK_INTERVAL_S = 0.02
REPAIR_DEADLINE_RTTS = 3.5
MIN_REPAIR_DEADLINE_S = 0.1
MAX_REPAIR_DEADLINE_S = 0.6
KEYFRAME_REQUEST_INTERVAL_S = 0.2
KEYFRAME_WAIT_LIMIT_S = 3.0  # libwebrtc's kMaxWaitForFrame
MAX_BUFFERED_PACKETS = 1024
MAX_NACKS_PER_REQUEST = 128
_RESET_DISTANCE = 1000  # a packet this far behind the oldest one means a new sequence


@dataclass(frozen=True, slots=True)
class PacketInfo:
    """What the assembler needs from one (RTX-unwrapped) RTP packet."""

    sequence_number: int
    timestamp: int
    marker: bool
    data: bytes
    """The depacketised bytes that make up the encoded frame."""
    payload: PayloadInfo


@dataclass(frozen=True, slots=True)
class AssembledFrame:
    data: bytes
    timestamp: int
    keyframe: bool | None
    part_sizes: tuple[int, ...] = ()
    """Sizes of the separately encoded parts (VP9 layer frames) when there are several."""


@dataclass(frozen=True, slots=True)
class Assembled:
    """The assembler's answer to one packet."""

    frames: list[AssembledFrame]
    """Complete frames, oldest first, ready for the decoder."""
    request_keyframe: bool
    """Send a PLI now."""
    nacks: list[int]
    """16-bit sequence numbers to NACK again."""


@dataclass
class AssemblerStats:
    frames_released: int = 0
    frames_dropped: int = 0
    """Incomplete frames given up."""
    frames_held_back: int = 0
    """Complete delta frames not decoded while waiting for a keyframe."""
    keyframe_requests: int = 0
    nack_retries: int = 0
    late_packets: int = 0


@dataclass(slots=True)
class _Packet:
    seq: int
    timestamp: int
    marker: bool
    data: bytes
    info: PayloadInfo


@dataclass(slots=True)
class _Loss:
    """A run of sequence numbers found missing at one moment."""

    first: int
    last: int
    found_at: float
    nacked_at: float
    retries: int = 0


@dataclass(slots=True)
class _KeyframeNeed:
    since: float
    requested_at: float | None = None


class VideoFrameAssembler:
    """Turns one video stream's RTP packets into decodable frames (see module docstring)."""

    def __init__(self, *, rtt_s: float = DEFAULT_RTT_S) -> None:
        self._rtt_s = rtt_s
        self._packets: dict[int, _Packet] = {}
        self._head: int | None = None  # oldest sequence number not yet released or dropped
        self._highest: int | None = None
        self._losses: list[_Loss] = []
        self._resync = True  # the head must be a frame start (at start and after a drop)
        self._last_timestamp: int | None = None
        self._keyframe: _KeyframeNeed | None = None
        self._gating = True  # hold delta frames back while a keyframe is needed
        self._requests_wanted = False
        self._keyframe_arriving_at: float | None = None
        self.stats = AssemblerStats()

    def set_rtt(self, rtt_s: float) -> None:
        """Round-trip time to the sender (e.g. signalling RTT), for NACK and repair timing."""
        self._rtt_s = max(rtt_s, 0.0)

    @property
    def repair_deadline_s(self) -> float:
        deadline = REPAIR_DEADLINE_RTTS * self._rtt_s
        return min(max(deadline, MIN_REPAIR_DEADLINE_S), MAX_REPAIR_DEADLINE_S)

    @property
    def waiting_for_keyframe(self) -> bool:
        return self._keyframe is not None

    def decoder_failed(self, now: float) -> None:
        """The decoder rejected a frame: its state is suspect until the next keyframe."""
        self._need_keyframe(now, request=True)

    # ----- packets in ---------------------------------------------------------------------

    def insert(self, packet: PacketInfo, now: float) -> Assembled:
        """Add one packet; return the frames it completed and the feedback to send."""
        seq = self._unwrap(packet.sequence_number)
        frames: list[AssembledFrame] = []
        if self._head is None or self._highest is None or seq < self._head - _RESET_DISTANCE:
            self._restart_at(seq, now)
        assert self._head is not None
        if seq < self._head or seq in self._packets:
            self.stats.late_packets += 1
        else:
            self._store(seq, packet, now)
        self._drain(now, frames)
        return Assembled(frames, self._keyframe_request_due(now), self._nacks_due(now))

    def _unwrap(self, seq16: int) -> int:
        if self._highest is None:
            return seq16
        delta = ((seq16 - self._highest + 0x8000) & 0xFFFF) - 0x8000
        return self._highest + delta

    def _restart_at(self, seq: int, now: float) -> None:
        """A new sequence (first packet, or the sender started over): wait for a keyframe.

        No request yet: a stream normally starts with one. A delta frame held back makes
        the first request.
        """
        self._packets.clear()
        self._losses.clear()
        self._head = seq
        self._highest = seq
        self._resync = True
        self._last_timestamp = None
        self._need_keyframe(now, request=False)

    def _store(self, seq: int, packet: PacketInfo, now: float) -> None:
        assert self._highest is not None
        self._packets[seq] = _Packet(
            seq, packet.timestamp, packet.marker, packet.data, packet.payload
        )
        if seq > self._highest + 1:
            self._losses.append(_Loss(self._highest + 1, seq - 1, now, now))
        self._highest = max(self._highest, seq)
        if packet.payload.keyframe:
            self._keyframe_arriving_at = now

    # ----- frames out ---------------------------------------------------------------------

    def _drain(self, now: float, frames: list[AssembledFrame]) -> None:
        assert self._head is not None and self._highest is not None
        while True:
            if self._resync and not self._skip_to_frame_start():
                return
            end, missing = self._frame_at_head()
            if end is not None:
                self._release(end, now, frames)
                continue
            if missing is None:
                return  # the head frame is still arriving
            overflow = len(self._packets) > MAX_BUFFERED_PACKETS
            if not overflow and not self._unrepairable(missing, now):
                return  # wait for the retransmission
            self._drop_head_frame(missing, now)

    def _skip_to_frame_start(self) -> bool:
        """Advance the head to the first packet that starts a frame; False if none yet."""
        assert self._head is not None
        for seq in sorted(s for s in self._packets if s >= self._head):
            packet = self._packets[seq]
            if self._starts_frame(packet):
                self._head = seq
                self._resync = False
                return True
            del self._packets[seq]
            self._head = seq + 1
        return False

    def _starts_frame(self, packet: _Packet) -> bool:
        if packet.info.starts_frame is not None:
            return packet.info.starts_frame
        previous = self._packets.get(packet.seq - 1)
        if previous is not None:
            return previous.timestamp != packet.timestamp
        return self._last_timestamp is None or packet.timestamp != self._last_timestamp

    def _frame_at_head(self) -> tuple[int | None, int | None]:
        """(last seq, None) for a complete head frame, else (None, first missing seq or None)."""
        assert self._head is not None and self._highest is not None
        seq = self._head
        timestamp: int | None = None
        while True:
            packet = self._packets.get(seq)
            if packet is None:
                return None, (seq if seq < self._highest else None)
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return seq - 1, None
            if packet.marker:
                return seq, None
            seq += 1

    def _release(self, end: int, now: float, frames: list[AssembledFrame]) -> None:
        assert self._head is not None
        packets = [self._packets.pop(seq) for seq in range(self._head, end + 1)]
        self._head = end + 1
        self._last_timestamp = packets[0].timestamp
        self._prune_losses()
        keyframe = _frame_keyframe(packets)
        if keyframe:
            self._keyframe_arriving_at = None  # it has arrived
        frame = AssembledFrame(
            b"".join(p.data for p in packets), packets[0].timestamp, keyframe, _part_sizes(packets)
        )
        if self._keyframe is not None:
            if keyframe is False and self._gating:
                if now - self._keyframe.since < KEYFRAME_WAIT_LIMIT_S:
                    self.stats.frames_held_back += 1
                    self._requests_wanted = True
                    return
                self._gating = False  # no keyframe for too long: decode what we have
            if keyframe is not False:
                self._keyframe = None
                self._gating = True
                self._requests_wanted = False
        self.stats.frames_released += 1
        frames.append(frame)

    def _unrepairable(self, missing: int, now: float) -> bool:
        assert self._highest is not None
        if self._highest - missing >= NACK_WINDOW:
            return True
        loss = self._loss_of(missing)
        return loss is None or now - loss.found_at >= self.repair_deadline_s

    def _drop_head_frame(self, missing: int, now: float) -> None:
        """Give up the frame blocked at ``missing``; resynchronise after it."""
        assert self._head is not None
        head_packet = self._packets.get(self._head)
        if head_packet is not None:
            self._last_timestamp = head_packet.timestamp
        for seq in range(self._head, missing):
            self._packets.pop(seq, None)
        self._head = missing + 1
        self._resync = True
        self._prune_losses()
        self.stats.frames_dropped += 1
        self._need_keyframe(now, request=True)

    def _need_keyframe(self, now: float, *, request: bool) -> None:
        if self._keyframe is None:
            self._keyframe = _KeyframeNeed(since=now)
            self._gating = True
        self._requests_wanted = self._requests_wanted or request

    # ----- feedback -----------------------------------------------------------------------

    def _keyframe_request_due(self, now: float) -> bool:
        need = self._keyframe
        if need is None or not self._requests_wanted:
            return False
        if need.requested_at is not None and now - need.requested_at < KEYFRAME_REQUEST_INTERVAL_S:
            return False
        arriving = self._keyframe_arriving_at
        if arriving is not None and now - arriving < KEYFRAME_REQUEST_INTERVAL_S:
            return False  # a keyframe is on its way; asking again would only cost bitrate
        need.requested_at = now
        self.stats.keyframe_requests += 1
        return True

    def _nacks_due(self, now: float) -> list[int]:
        assert self._head is not None and self._highest is not None
        interval = max(self._rtt_s, MIN_NACK_INTERVAL_S)
        oldest = max(self._head, self._highest - NACK_WINDOW + 1)
        due: list[int] = []
        for loss in self._losses:
            if loss.retries >= MAX_NACK_RETRIES or now - loss.nacked_at < interval:
                continue
            wanted = [
                seq
                for seq in range(max(loss.first, oldest), loss.last + 1)
                if seq not in self._packets
            ]
            if not wanted:
                continue
            loss.nacked_at = now
            loss.retries += 1
            due.extend(wanted)
            if len(due) >= MAX_NACKS_PER_REQUEST:
                break
        self.stats.nack_retries += len(due)
        return [seq & 0xFFFF for seq in due[:MAX_NACKS_PER_REQUEST]]

    def _loss_of(self, seq: int) -> _Loss | None:
        for loss in self._losses:
            if loss.first <= seq <= loss.last:
                return loss
        return None

    def _prune_losses(self) -> None:
        head = self._head
        assert head is not None
        self._losses = [
            loss
            for loss in self._losses
            if loss.last >= head and any(s not in self._packets for s in _span(loss, head))
        ]


def _span(loss: _Loss, head: int) -> range:
    return range(max(loss.first, head), loss.last + 1)


def _part_sizes(packets: list[_Packet]) -> tuple[int, ...]:
    """Byte sizes of the frame's parts when more than one part begins in it, else ()."""
    sizes: list[int] = []
    for packet in packets:
        if packet.info.starts_part or not sizes:
            sizes.append(0)
        sizes[-1] += len(packet.data)
    return tuple(sizes) if len(sizes) > 1 else ()


def _frame_keyframe(packets: list[_Packet]) -> bool | None:
    flags = [p.info.keyframe for p in packets]
    if True in flags:
        return True
    if False in flags:
        return False
    return None
