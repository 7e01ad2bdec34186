"""The offer guard and the aiortc adaptation, exercised with real aiortc objects.

The offers are scripted (an aiortc peer whose SDP is edited) to reach error paths the real
server produces only with publishers lkdesk cannot decode.
"""

from __future__ import annotations

import re

from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from lkdesk.rtc.engine.sdp_tools import (
    decodable_mids,
    finish_answer,
    guard_offer,
    parse_sections,
    without_redundant_candidates,
)
from lkdesk.rtc.engine.subscriber import SubscriberConnection


async def _scripted_offer(video_tracks: int) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    for _ in range(video_tracks):
        pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.createDataChannel("_reliable")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


def _make_only(sdp: str, mid: str, codec: str) -> str:
    """Rewrite one video section so it offers only ``codec`` (e.g. "H265", "VP9")."""
    sections = re.split(r"(?=\r\nm=)", sdp)
    out = []
    for section in sections:
        if f"a=mid:{mid}\r\n" in section and "m=video" in section:
            lines = [
                ln
                for ln in section.split("\r\n")
                if not ln.startswith(("a=rtpmap", "a=fmtp", "a=rtcp-fb"))
            ]
            lines = [re.sub(r"^(m=video \d+ \S+) .*$", r"\1 98", ln) for ln in lines]
            lines.append(f"a=rtpmap:98 {codec}/90000")
            section = "\r\n".join(lines)
        out.append(section)
    return "".join(out)


def _close_section(sdp: str, mid: str) -> str:
    """Turn one section into a rejected one as pion writes it: port 0, no ICE attributes."""
    sections = re.split(r"(?=\r\nm=)", sdp)
    out = []
    for section in sections:
        if f"a=mid:{mid}\r\n" in section:
            lines = [
                ln for ln in section.split("\r\n") if not ln.startswith(("a=ice-", "a=candidate"))
            ]
            lines = [re.sub(r"^(m=video) \d+ ", r"\1 0 ", ln) for ln in lines]
            section = "\r\n".join(lines)
        out.append(section)
    return "".join(out)


def test_guard_leaves_decodable_offers_untouched_in_substance() -> None:
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n"
        "a=mid:0\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n"
        "a=ssrc-group:FID 11 12\r\na=ssrc:11 cname:c\r\na=msid:PA_1|TR_1 TR_1\r\n"
    )
    guarded = guard_offer(sdp)
    assert guarded.rejected_mids == frozenset()
    [section] = parse_sections(guarded.sdp)
    assert (section.mid, section.ssrc, section.rtx_ssrc) == ("0", 11, 12)
    assert (section.msid_stream, section.msid_track) == ("PA_1|TR_1", "TR_1")
    assert decodable_mids(sdp) == {"0"}


def _subscriber() -> SubscriberConnection:
    return SubscriberConnection(
        [],
        force_relay=False,
        on_frame=lambda *_: None,
        on_datachannel=lambda _: None,
        on_state=lambda _: None,
    )


async def test_scripted_offer_with_h265_only_mline_rejects_only_that_mline() -> None:
    offerer, sdp = await _scripted_offer(video_tracks=2)
    h265_mid = parse_sections(sdp)[1].mid
    subscriber = _subscriber()
    try:
        answer, changes = await subscriber.answer(_make_only(sdp, h265_mid, "H265"), {})
        sections = {s.mid: s for s in parse_sections(answer)}
        assert sections[h265_mid].port == 0
        assert all(s.port != 0 for mid, s in sections.items() if mid != h265_mid)
        bundle = next(ln for ln in answer.split("\r\n") if ln.startswith("a=group:BUNDLE"))
        assert h265_mid not in bundle.split()[1:]
        assert {c.mid for c in changes if c.new_sid} == {parse_sections(sdp)[0].mid}
    finally:
        await subscriber.close()
        await offerer.close()


async def test_scripted_offers_with_vp9_or_av1_only_mlines_are_answered() -> None:
    """The engine registers VP9 and AV1 for receiving (adapt/receive_codecs.py)."""
    offerer, sdp = await _scripted_offer(video_tracks=2)
    vp9_mid, av1_mid = (s.mid for s in parse_sections(sdp)[:2])
    offer = _make_only(_make_only(sdp, vp9_mid, "VP9"), av1_mid, "AV1")
    subscriber = _subscriber()
    try:
        answer, changes = await subscriber.answer(offer, {})
        sections = {s.mid: s for s in parse_sections(answer)}
        assert sections[vp9_mid].port != 0 and sections[vp9_mid].codecs == ["vp9"]
        assert sections[av1_mid].port != 0 and sections[av1_mid].codecs == ["av1"]
        assert {c.mid for c in changes if c.new_sid} == {vp9_mid, av1_mid}
    finally:
        await subscriber.close()
        await offerer.close()


async def test_scripted_offer_with_closed_mline_without_ice_is_accepted() -> None:
    offerer, sdp = await _scripted_offer(video_tracks=2)
    closed_mid = parse_sections(sdp)[1].mid
    subscriber = SubscriberConnection(
        [],
        force_relay=False,
        on_frame=lambda *_: None,
        on_datachannel=lambda _: None,
        on_state=lambda _: None,
    )
    try:
        answer, _ = await subscriber.answer(_close_section(sdp, closed_mid), {})
        assert {s.mid: s.port for s in parse_sections(answer)}[closed_mid] == 0
    finally:
        await subscriber.close()
        await offerer.close()


def test_finish_answer_without_rejections_is_identity() -> None:
    assert finish_answer("v=0\r\n", frozenset()) == "v=0\r\n"


def test_a_srflx_candidate_at_a_host_candidates_address_is_dropped_and_others_kept() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=candidate:1 1 udp 2130706431 10.0.0.5 5000 typ host",
            "a=candidate:2 1 udp 16777215 10.0.0.9 6000 typ relay raddr 10.0.0.5 rport 5001",
            "a=candidate:3 1 udp 1694498815 10.0.0.5 5000 typ srflx raddr 10.0.0.5 rport 5000",
            "a=candidate:4 1 udp 1694498815 203.0.113.7 5000 typ srflx raddr 10.0.0.5 rport 5000",
            "a=mid:0",
            "",
        ]
    )
    kept = without_redundant_candidates(sdp)
    assert "a=candidate:3 " not in kept  # same address as the host candidate: redundant
    for line in ("a=candidate:1 ", "a=candidate:2 ", "a=candidate:4 ", "a=mid:0"):
        assert line in kept
    assert kept.endswith("\r\n")
    assert without_redundant_candidates(kept) == kept
    assert "a=candidate:3 " not in finish_answer(sdp, frozenset())
