"""Connection details a person can read: figures per video/audio and for the call, with
warnings in plain words, computed from two successive ``Room.get_rtc_stats()`` samples.

Rates (bitrate, loss, frame and codec times) are over the interval between the samples;
totals are since the track started. Loss the server reports about what we send is "your
upload"; loss we measure on what we receive is "your download", since every remote track
reaches us over the same link. A participant whose own link the server rates poor is named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lkdesk.session.model import Quality, TileKey

LOSS_WARNING = 0.02  # share of packets
RTT_WARNING_MS = 300.0
JITTER_WARNING_MS = 30.0
CODEC_BUSY_SHARE = 0.8  # of the frame interval spent decoding/encoding one frame


@dataclass(frozen=True, slots=True)
class TrackDetails:
    """One audio or video stream, sent (``outgoing``) or received."""

    key: TileKey
    kind: str  # "audio" or "video"
    outgoing: bool
    name: str = ""  # whose it is, e.g. "Amara" (the local user: "You")
    codec: str = ""  # e.g. "VP8", "opus"
    bitrate_bps: float = 0.0
    packet_loss: float = 0.0  # share of packets lost in the last interval
    packets_lost: int = 0  # since the track started
    jitter_ms: float = 0.0
    rtt_ms: float | None = None  # outgoing only, from the server's RTCP reports
    width: int = 0
    height: int = 0
    fps: float = 0.0
    codec_ms: float = 0.0  # per frame: decode time received, encode time sent
    convert_ms: float = 0.0  # per frame: lkdesk's pixel conversion


@dataclass(frozen=True, slots=True)
class CallDetails:
    """The whole call now; ``tracks`` per stream, ``warnings`` for people."""

    upload_bps: float = 0.0
    download_bps: float = 0.0
    upload_loss: float = 0.0
    download_loss: float = 0.0
    rtt_ms: float | None = None
    jitter_ms: float = 0.0
    tracks: tuple[TrackDetails, ...] = ()
    warnings: tuple[str, ...] = ()
    measured_at: datetime | None = None

    def for_tile(self, key: TileKey) -> tuple[TrackDetails, ...]:
        """The streams a tile shows (a camera tile also lists the person's microphone)."""
        return tuple(t for t in self.tracks if t.key == key)


@dataclass(frozen=True, slots=True)
class TrackOwner:
    """Who a track sid belongs to, for naming it."""

    key: TileKey
    name: str
    quality: Quality = Quality.EXCELLENT


Owners = Callable[[str], TrackOwner | None]


def _rate(now: float, before: float, seconds: float) -> float:
    return max(now - before, 0.0) * 8 / seconds if seconds > 0 else 0.0


def _loss(lost: int, received: int) -> float:
    total = lost + received
    return lost / total if total > 0 else 0.0


def _codec_name(stats: Any, codec_id: str) -> str:
    for entry in stats.publisher_stats + stats.subscriber_stats:
        if entry.codec is not None and entry.codec.rtc.id == codec_id:
            return str(entry.codec.codec.mime_type).split("/")[-1]
    return ""


class DetailsBuilder:
    """Keeps the previous sample; :meth:`build` turns a new one into :class:`CallDetails`."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._previous_at = 0.0

    def build(self, stats: Any, at: float, owners: Owners) -> CallDetails:
        previous, seconds = self._previous, at - self._previous_at
        self._previous, self._previous_at = stats, at
        old_in = _by_sid(previous, "inbound_rtp") if previous is not None else {}
        old_out = _by_sid(previous, "outbound_rtp") if previous is not None else {}
        remote = {
            e.remote_inbound_rtp.stream.ssrc: e.remote_inbound_rtp
            for e in stats.publisher_stats
            if e.remote_inbound_rtp
        }
        tracks: list[TrackDetails] = []
        people: dict[str, TrackOwner] = {}
        lost = received = 0
        for sid, entry in _by_sid(stats, "inbound_rtp").items():
            owner = owners(sid)
            if owner is None:
                continue
            people[owner.key.identity] = owner
            old = old_in.get(sid)
            tracks.append(_incoming(stats, entry, old, seconds, owner))
            if old is not None:
                lost += max(entry.received.packets_lost - old.received.packets_lost, 0)
                received += max(entry.received.packets_received - old.received.packets_received, 0)
        for sid, entry in _by_sid(stats, "outbound_rtp").items():
            owner = owners(sid)
            if owner is not None:
                report = remote.get(entry.stream.ssrc)
                tracks.append(_outgoing(stats, entry, old_out.get(sid), report, seconds, owner))
        sent = [t for t in tracks if t.outgoing]
        got = [t for t in tracks if not t.outgoing]
        rtts = [t.rtt_ms for t in sent if t.rtt_ms is not None]
        signal_rtt = stats.signal_round_trip_time
        details = CallDetails(
            upload_bps=sum(t.bitrate_bps for t in sent),
            download_bps=sum(t.bitrate_bps for t in got),
            upload_loss=max((t.packet_loss for t in sent), default=0.0),
            download_loss=_loss(lost, received),
            rtt_ms=max(rtts) if rtts else (signal_rtt * 1000 if signal_rtt else None),
            jitter_ms=max((t.jitter_ms for t in got if t.kind == "audio"), default=0.0),
            tracks=tuple(
                sorted(tracks, key=lambda t: (t.outgoing is False, t.key.identity, t.kind))
            ),
            measured_at=datetime.now(UTC),
        )
        return replace(details, warnings=warnings_for(details, people))


def _by_sid(stats: Any, member: str) -> dict[str, Any]:
    """Inbound or outbound RTP entries by LiveKit track sid."""
    entries = stats.publisher_stats + stats.subscriber_stats
    sources = {
        e.media_source.rtc.id: e.media_source.source.track_identifier
        for e in entries
        if e.media_source
    }
    found: dict[str, Any] = {}
    for entry in entries:
        value = getattr(entry, member)
        if value is None:
            continue
        if member == "inbound_rtp":
            found[value.inbound.track_identifier] = value
        elif value.outbound.media_source_id in sources:
            found[sources[value.outbound.media_source_id]] = value
    return found


def _per_frame(now: float, before: float, frames: int) -> float:
    return (now - before) * 1000 / frames if frames > 0 else 0.0


def _incoming(stats: Any, entry: Any, old: Any, seconds: float, owner: TrackOwner) -> TrackDetails:
    inbound, got = entry.inbound, entry.received
    frames = inbound.frames_decoded - (old.inbound.frames_decoded if old else 0)
    return TrackDetails(
        key=owner.key,
        kind=entry.stream.kind,
        outgoing=False,
        name=owner.name,
        codec=_codec_name(stats, entry.stream.codec_id),
        bitrate_bps=_rate(inbound.bytes_received, old.inbound.bytes_received, seconds)
        if old
        else 0.0,
        packet_loss=_loss(
            got.packets_lost - old.received.packets_lost,
            got.packets_received - old.received.packets_received,
        )
        if old
        else _loss(got.packets_lost, got.packets_received),
        packets_lost=got.packets_lost,
        jitter_ms=got.jitter * 1000,
        width=inbound.frame_width,
        height=inbound.frame_height,
        fps=inbound.frames_per_second if entry.stream.kind == "video" else 0.0,
        codec_ms=_per_frame(
            inbound.total_decode_time, old.inbound.total_decode_time if old else 0.0, frames
        ),
        convert_ms=_per_frame(
            inbound.total_conversion_time, old.inbound.total_conversion_time if old else 0.0, frames
        ),
    )


def _outgoing(
    stats: Any, entry: Any, old: Any, report: Any, seconds: float, owner: TrackOwner
) -> TrackDetails:
    outbound, sent = entry.outbound, entry.sent
    frames = outbound.frames_encoded - (old.outbound.frames_encoded if old else 0)
    converted = outbound.frames_sent - (old.outbound.frames_sent if old else 0)
    rtt = report.remote_inbound.round_trip_time if report is not None else None
    return TrackDetails(
        key=owner.key,
        kind=entry.stream.kind,
        outgoing=True,
        name=owner.name,
        codec=_codec_name(stats, entry.stream.codec_id),
        bitrate_bps=_rate(sent.bytes_sent, old.sent.bytes_sent, seconds) if old else 0.0,
        packet_loss=report.remote_inbound.fraction_lost if report is not None else 0.0,
        packets_lost=report.received.packets_lost if report is not None else 0,
        jitter_ms=report.received.jitter * 1000 if report is not None else 0.0,
        rtt_ms=rtt * 1000 if rtt is not None else None,
        width=outbound.frame_width,
        height=outbound.frame_height,
        fps=outbound.frames_per_second,
        codec_ms=_per_frame(
            outbound.total_encode_time, old.outbound.total_encode_time if old else 0.0, frames
        ),
        convert_ms=_per_frame(
            outbound.total_conversion_time,
            old.outbound.total_conversion_time if old else 0.0,
            converted,
        ),
    )


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %" if share >= 0.01 else f"{share * 100:.1f} %"


def warnings_for(details: CallDetails, people: dict[str, TrackOwner]) -> tuple[str, ...]:
    """Plain words for what the figures mean; ``people`` are the remote track owners."""
    words: list[str] = []
    if details.upload_loss >= LOSS_WARNING:
        words.append(
            f"Your upload is dropping packets ({_percent(details.upload_loss)} lost): "
            "others may see your video freeze or hear gaps."
        )
    if details.download_loss >= LOSS_WARNING:
        words.append(
            f"Your download is dropping packets ({_percent(details.download_loss)} lost): "
            "video from others may freeze or blur."
        )
    if details.rtt_ms is not None and details.rtt_ms >= RTT_WARNING_MS:
        words.append(
            f"Your connection has a long delay ({details.rtt_ms:.0f} ms round trip): "
            "people may talk over each other."
        )
    if details.jitter_ms >= JITTER_WARNING_MS:
        words.append(
            f"Audio is arriving unevenly ({details.jitter_ms:.0f} ms jitter): "
            "voices may sound choppy."
        )
    for track in details.tracks:
        if track.kind == "video" and _codec_busy(track):
            whose = "your" if track.outgoing else f"{track.name}'s"
            verb = "encode" if track.outgoing else "decode"
            words.append(f"Your computer is struggling to {verb} {whose} video.")
    if details.download_loss < LOSS_WARNING:  # else it is our link, not theirs
        for identity, owner in people.items():
            if owner.quality <= Quality.POOR:
                mine = [t for t in details.tracks if not t.outgoing and t.key.identity == identity]
                what = "video" if any(t.kind == "video" for t in mine) else "audio"
                words.append(f"{owner.name}'s {what} is limited by their network.")
    return tuple(words)


def _codec_busy(track: TrackDetails) -> bool:
    return track.fps > 0 and track.codec_ms >= CODEC_BUSY_SHARE * 1000 / track.fps
