"""Small, pure SDP helpers for the subscriber connection (no aiortc state involved).

* :func:`parse_sections` reads what LiveKit puts in each m-line: mid, direction, SSRCs
  (with the RTX partner from ``a=ssrc-group:FID``), ``a=msid`` and codec names.
* :func:`guard_offer` / :func:`finish_answer` let one m-line whose codecs aiortc cannot
  decode (or a rejected, port-0 m-line without ICE attributes) pass through aiortc as an
  inactive placeholder, and turn it into a proper rejected m-line in the answer. Without
  this aiortc refuses the *whole* offer and everyone's media stops (PROTOCOL_NOTES §8.1).
* :func:`without_redundant_candidates` drops what aioice gathers twice: a server-reflexive
  candidate at the very address of a host candidate (no NAT between us and the STUN server).
* :func:`hold_relay_candidates` takes the relay candidates out of a first answer, to be
  trickled once a check has succeeded (see its docstring).
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


def without_redundant_candidates(sdp: str) -> str:
    """``sdp`` without server-reflexive candidates that repeat a host candidate's address.

    RFC 8445 §5.1.3 has an agent drop such redundant candidates; aioice keeps them. The
    server's ICE agent (pion) then may file our checks under the srflx candidate and waits
    its srflx acceptance time (500 ms) before it nominates, so a join on a network without
    NAT took ~0.5 s longer than it needs.
    """
    lines = sdp.split("\r\n")
    hosts = {_candidate_address(ln) for ln in lines if _candidate_type(ln) == "host"}
    kept = [
        ln
        for ln in lines
        if not (_candidate_type(ln) == "srflx" and _candidate_address(ln) in hosts)
    ]
    return sdp if len(kept) == len(lines) else "\r\n".join(kept)


@dataclass(frozen=True, slots=True)
class LateCandidate:
    """A candidate to trickle after the description (``candidate`` without ``a=``)."""

    candidate: str
    sdp_mid: str
    sdp_mline_index: int


def hold_relay_candidates(sdp: str) -> tuple[str, list[LateCandidate]]:
    """``sdp`` without its relay candidates, and those candidates (of the first m-line).

    The server's ICE agent (pion) decides on nomination every 200 ms, or at once when a new
    remote candidate arrives. Browsers trickle their relay candidates after the answer, so
    the host pair, checked by then, is nominated when they arrive; aiortc puts every
    candidate into the answer and the join waited for pion's next tick (~200 ms). Only held
    when there is a host candidate to check meanwhile; bundled, so one m-line's are enough.
    """
    lines = sdp.split("\r\n")
    if not any(_candidate_type(ln) == "host" for ln in lines):
        return sdp, []
    held: list[tuple[int, str]] = []
    kept: list[str] = []
    section = -1
    for line in lines:
        section += line.startswith("m=")
        if _candidate_type(line) == "relay":
            held.append((section, line.removeprefix("a=")))
        elif line != "a=end-of-candidates":  # more candidates follow, trickled
            kept.append(line)
    if not held:
        return sdp, []
    first = held[0][0]
    mid = _section_mid(lines, first)
    late = [LateCandidate(text, mid, first) for index, text in held if index == first]
    return "\r\n".join(kept), late


def _section_mid(lines: list[str], wanted: int) -> str:
    """The ``a=mid`` of the ``wanted``-th m-section ("" if it has none)."""
    section = -1
    for line in lines:
        section += line.startswith("m=")
        if section == wanted and line.startswith("a=mid:"):
            return line.removeprefix("a=mid:")
    return ""


def _candidate_type(line: str) -> str:
    if not line.startswith("a=candidate:"):
        return ""
    parts = line.split()
    return parts[parts.index("typ") + 1] if "typ" in parts[:-1] else ""


def _candidate_address(line: str) -> tuple[str, str, str]:
    """(transport, address, port) of an ``a=candidate`` line."""
    parts = line.split()
    return parts[2].lower(), parts[4], parts[5]


def finish_answer(answer_sdp: str, rejected_mids: frozenset[str]) -> str:
    """Mark the placeholder sections of aiortc's answer as rejected (port 0, unbundled).

    Redundant candidates are dropped too (:func:`without_redundant_candidates`).
    """
    answer_sdp = without_redundant_candidates(answer_sdp)
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
