"""The publisher offer gains RIDs, simulcast and the CC extensions; answers are read back."""

from __future__ import annotations

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from lkdesk.rtc.engine.adapt.simulcast_sdp import (
    RID_URI,
    RRID_URI,
    TWCC_URI,
    amend_offer,
    read_answer,
)


async def aiortc_offer() -> tuple[str, str, str]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    try:
        audio = pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        video = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        pc.createDataChannel("_reliable")
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        return pc.localDescription.sdp, audio.mid or "", video.mid or ""
    finally:
        await pc.close()


def section(sdp: str, mid: str) -> list[str]:
    chunks = sdp.split("m=")
    return next(("m=" + c).split("\r\n") for c in chunks if f"a=mid:{mid}\r\n" in c)


async def test_video_line_gets_rids_simulcast_and_extensions_without_ssrc_lines() -> None:
    sdp, audio_mid, video_mid = await aiortc_offer()
    amended = amend_offer(sdp, {video_mid: ("q", "h", "f")})
    video = section(amended, video_mid)
    assert "a=rid:q send" in video and "a=rid:f send" in video
    assert "a=simulcast:send q;h;f" in video
    assert not any(line.startswith(("a=ssrc:", "a=ssrc-group:")) for line in video)
    assert any(line.endswith(" transport-cc") for line in video)
    ids = {
        line.split(" ")[1]: line.split(" ")[0][9:] for line in video if line.startswith("a=extmap:")
    }
    assert {TWCC_URI, RID_URI, RRID_URI} <= set(ids)
    used_elsewhere = [line for line in amended.split("\r\n") if line.startswith("a=extmap:")]
    by_id: dict[str, set[str]] = {}
    for line in used_elsewhere:
        ident, uri = line[9:].split(" ", 1)
        by_id.setdefault(ident, set()).add(uri)
    assert all(len(uris) == 1 for uris in by_id.values()), by_id  # one URI per id (BUNDLE)
    assert section(amended, audio_mid) == section(sdp, audio_mid)  # audio untouched


async def test_single_layer_keeps_its_ssrc_lines_and_gets_the_cc_extension() -> None:
    sdp, _audio, video_mid = await aiortc_offer()
    video = section(amend_offer(sdp, {video_mid: ("",)}), video_mid)
    assert any(line.startswith("a=ssrc:") for line in video)
    assert not any(line.startswith(("a=rid:", "a=simulcast:")) for line in video)
    assert any(TWCC_URI in line for line in video)


def test_answer_says_which_layers_and_extensions_were_accepted() -> None:
    answer = "\r\n".join(
        [
            "v=0",
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
            "a=mid:1",
            f"a=extmap:4 {TWCC_URI}",
            f"a=extmap:5 {RID_URI}",
            "a=rtpmap:96 VP8/90000",
            "a=rtcp-fb:96 transport-cc",
            "a=rtpmap:97 rtx/90000",
            "a=rid:q recv",
            "a=rid:h recv",
            "a=simulcast:recv q;h",
            "",
        ]
    )
    negotiated = read_answer(answer, "1")
    assert negotiated is not None
    assert negotiated.rids == ("q", "h")
    assert negotiated.transport_cc and negotiated.codec == "vp8"
    assert negotiated.extensions[RID_URI] == 5
    assert read_answer(answer, "7") is None
    plain = read_answer(answer.replace("a=simulcast:recv q;h\r\n", ""), "1")
    assert plain is not None and plain.rids == ()


async def test_extension_ids_stay_put_when_audio_is_published_after_video() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    try:
        video = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        mid = video.mid or ""
        first = section(amend_offer(pc.localDescription.sdp, {mid: ("q", "h")}), mid)
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        second_sdp = amend_offer((await pc.createOffer()).sdp, {mid: ("q", "h")})
    finally:
        await pc.close()
    ours = (TWCC_URI, RID_URI, RRID_URI)
    assert [line for line in first if any(u in line for u in ours)] == [
        line for line in section(second_sdp, mid) if any(u in line for u in ours)
    ]
