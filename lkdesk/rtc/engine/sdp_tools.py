"""Small, pure SDP helpers for the subscriber connection (no aiortc state involved).

* :func:`parse_sections` reads what LiveKit puts in each m-line: mid, direction, SSRCs
  (with the RTX partner from ``a=ssrc-group:FID``), ``a=msid`` and codec names.
* :func:`guard_offer` / :func:`finish_answer` let one m-line whose codecs aiortc cannot
  decode (or a rejected, port-0 m-line without ICE attributes) pass through aiortc as an
  inactive placeholder, and turn it into a proper rejected m-line in the answer. Without
  this aiortc refuses the *whole* offer and everyone's media stops (PROTOCOL_NOTES §8.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import sdp as aiortc_sdp
from aiortc.codecs import CODECS
from aiortc.rtcpeerconnection import find_common_codecs

_PLACEHOLDER_CODEC = {"audio": "opus/48000/2", "video": "VP8/90000"}


@dataclass(slots=True)
class MediaSection:
    """What one ``m=`` section says, as far as lkdesk cares."""

    index: int
    kind: str
    port: int
    mid: str = ""
    direction: str = "sendrecv"
    ssrc: int | None = None
    rtx_ssrc: int | None = None
    msid_stream: str = ""
    msid_track: str = ""
    codecs: list[str] = field(default_factory=list)  # lower-case names, in offer order
    has_ice: bool = False

    @property
    def sends(self) -> bool:
        """True when the remote side sends media in this section."""
        return self.port != 0 and self.direction in ("sendonly", "sendrecv")


def _split(sdp: str) -> tuple[list[str], list[list[str]]]:
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    session: list[str] = []
    sections: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return session, sections


def _join(session: list[str], sections: list[list[str]]) -> str:
    return "\r\n".join(session + [line for sec in sections for line in sec]) + "\r\n"


def parse_sections(sdp: str) -> list[MediaSection]:
    """Parse every m-line of ``sdp`` (an offer or answer)."""
    _, sections = _split(sdp)
    return [_parse_section(i, lines) for i, lines in enumerate(sections)]


def _parse_section(index: int, lines: list[str]) -> MediaSection:
    m_parts = lines[0][2:].split()
    section = MediaSection(index=index, kind=m_parts[0], port=int(m_parts[1]))
    rtpmap: dict[str, str] = {}
    fid: tuple[int, int] | None = None
    first_ssrc: int | None = None
    for line in lines[1:]:
        if line.startswith("a=mid:"):
            section.mid = line[6:].strip()
        elif line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            section.direction = line[2:]
        elif line.startswith("a=rtpmap:"):
            pt, _, codec = line[9:].partition(" ")
            rtpmap[pt] = codec.split("/")[0].lower()
        elif line.startswith("a=ssrc-group:FID "):
            ids = line.split()[1:]
            if len(ids) == 2:
                fid = (int(ids[0]), int(ids[1]))
        elif line.startswith("a=ssrc:") and first_ssrc is None:
            first_ssrc = int(line[7:].split()[0])
        elif line.startswith("a=msid:"):
            parts = line[7:].split()
            section.msid_stream = parts[0] if parts else ""
            section.msid_track = parts[1] if len(parts) > 1 else ""
        elif line.startswith("a=ice-ufrag:"):
            section.has_ice = True
    order = m_parts[3:]
    section.codecs = [rtpmap[pt] for pt in order if pt in rtpmap]
    if fid is not None:
        section.ssrc, section.rtx_ssrc = fid
    else:
        section.ssrc = first_ssrc
    return section


@dataclass(frozen=True, slots=True)
class GuardedOffer:
    """An offer rewritten for aiortc plus the mids that must be rejected in the answer."""

    sdp: str
    rejected_mids: frozenset[str]


def guard_offer(offer_sdp: str) -> GuardedOffer:
    """Rewrite undecodable or port-0 audio/video sections into inactive placeholders."""
    session, sections = _split(offer_sdp)
    parsed = [_parse_section(i, lines) for i, lines in enumerate(sections)]
    ice_lines = next(
        (
            [ln for ln in lines if ln.startswith(("a=ice-ufrag:", "a=ice-pwd:"))]
            for sec, lines in zip(parsed, sections, strict=True)
            if sec.has_ice and sec.port != 0
        ),
        [],
    )
    decodable = decodable_mids(offer_sdp)
    rejected: set[str] = set()
    for sec, lines in zip(parsed, sections, strict=True):
        if sec.kind not in ("audio", "video"):
            continue
        if sec.port != 0 and sec.mid in decodable and sec.has_ice:
            continue
        rejected.add(sec.mid)
        sections[sec.index] = _placeholder(lines, sec, ice_lines)
    return GuardedOffer(_join(session, sections), frozenset(rejected))


def decodable_mids(offer_sdp: str) -> set[str]:
    """Mids of audio/video sections sharing a codec (profile included) with aiortc."""
    description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    return {
        media.rtp.muxId
        for media in description.media
        if media.kind in CODECS and find_common_codecs(CODECS[media.kind], media.rtp.codecs)
    }


def _placeholder(lines: list[str], sec: MediaSection, ice_lines: list[str]) -> list[str]:
    m_parts = lines[0].split()
    pt = m_parts[3] if len(m_parts) > 3 else "96"
    out = [f"{m_parts[0]} 9 {m_parts[2]} {pt}"]
    for line in lines[1:]:
        if line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:", "a=ssrc", "a=msid:")):
            continue
        if line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            continue
        if line.startswith(("a=ice-ufrag:", "a=ice-pwd:")):
            continue
        out.append(line)
    out.extend(ice_lines)
    if not any(line.startswith("a=rtcp-mux") for line in out):
        out.append("a=rtcp-mux")
    out.append("a=inactive")
    out.append(f"a=rtpmap:{pt} {_PLACEHOLDER_CODEC[sec.kind]}")
    return out


def finish_answer(answer_sdp: str, rejected_mids: frozenset[str]) -> str:
    """Mark the placeholder sections of aiortc's answer as rejected (port 0, unbundled)."""
    if not rejected_mids:
        return answer_sdp
    session, sections = _split(answer_sdp)
    for i, lines in enumerate(sections):
        sec = _parse_section(i, lines)
        if sec.mid in rejected_mids:
            m_parts = lines[0].split()
            m_parts[1] = "0"
            sections[i] = [" ".join(m_parts)] + [
                ln for ln in lines[1:] if not ln.startswith(("a=candidate:", "a=end-of-candidates"))
            ]
    session = [_unbundle(line, rejected_mids) for line in session]
    return _join(session, sections)


def _unbundle(line: str, rejected_mids: frozenset[str]) -> str:
    if not line.startswith("a=group:BUNDLE"):
        return line
    parts = line.split()
    return " ".join([parts[0]] + [mid for mid in parts[1:] if mid not in rejected_mids])
