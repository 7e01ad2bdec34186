"""What aiortc's offer lacks for simulcast and send-side congestion control, added as text.

aiortc offers a fixed set of header extensions (``aiortc.codecs.HEADER_EXTENSIONS``: mid
and abs-send-time for video) and knows nothing of RIDs. The LiveKit server accepts
(``pkg/rtc/config.go`` ``getPublisherConfig``) the rtp-stream-id and repaired-rtp-stream-id
extensions, transport-wide CC with its ``transport-cc`` feedback, and RID simulcast in one
m-line the way browsers send it: ``a=rid:<q|h|f> send`` and ``a=simulcast:send q;h;f``, no
``a=ssrc`` lines (pion then learns each layer's SSRCs from the RID extension of its first
packets; livekit ``updateRidsFromSDP`` maps RIDs to layers).

So the publisher's offer text is amended here for the m-lines of lkdesk's video senders,
and their answers are read back for what the server accepted. aiortc itself never sees
these lines (its description objects are not touched): the sender puts the extensions on
its packets itself (video_sender.py). Pure string work, no aiortc internals; it lives in
``adapt`` because it exists only to make up for what aiortc does not offer.
"""

from __future__ import annotations

from dataclasses import dataclass

TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
RRID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
_OURS = (TWCC_URI, RID_URI, RRID_URI)


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the answer accepted for one of our m-lines."""

    extensions: dict[str, int]  # uri -> id
    rids: tuple[str, ...]  # layers the server takes, in our order ("" when no simulcast)
    transport_cc: bool
    codec: str  # the answer's first codec for this m-line, lower case ("vp8")


def _split(sdp: str) -> tuple[list[str], list[list[str]]]:
    session: list[str] = []
    sections: list[list[str]] = []
    for line in sdp.replace("\r\n", "\n").rstrip("\n").split("\n"):
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return session, sections


def _mid(section: list[str]) -> str:
    return next((line[6:] for line in section if line.startswith("a=mid:")), "")


#: Fixed ids, clear of aiortc's own (1 mid, 2 audio level, 3 abs-send-time): an id must
#: mean one URI across the whole bundle and must not move between offers, or the sender
#: (configured once) and the server would read each other's extensions wrongly.
OUR_IDS = {TWCC_URI: 5, RID_URI: 10, RRID_URI: 11}


def _check_ids(sections: list[list[str]]) -> None:
    for section in sections:
        for line in section:
            if line.startswith("a=extmap:"):
                ident, uri = line[9:].split(" ", 1)
                number = int(ident.split("/")[0])
                if number in OUR_IDS.values() and uri.split(" ")[0] not in OUR_IDS:
                    raise ValueError(f"aiortc now offers extension id {number} for {uri}")


def _payload_types(section: list[str]) -> list[str]:
    return section[0].split(" ")[3:]


def amend_offer(sdp: str, layers_by_mid: dict[str, tuple[str, ...]]) -> str:
    """Add our extensions, ``transport-cc`` and (for 2+ RIDs) simulcast to those m-lines."""
    session, sections = _split(sdp)
    _check_ids(sections)
    ids = OUR_IDS
    for section in sections:
        mid = _mid(section)
        if mid not in layers_by_mid or not section[0].startswith("m=video"):
            continue
        rids = layers_by_mid[mid]
        extra = [f"a=extmap:{ids[uri]} {uri}" for uri in _OURS if f" {uri}" not in "".join(section)]
        extra += [f"a=rtcp-fb:{pt} transport-cc" for pt in _payload_types(section)]
        simulcast = len(rids) > 1
        if simulcast:
            extra += [f"a=rid:{rid} send" for rid in rids]
            extra.append(f"a=simulcast:send {';'.join(rids)}")
        kept = [
            line
            for line in section
            if not (simulcast and line.startswith(("a=ssrc:", "a=ssrc-group:")))
            and not line.startswith(("a=rid:", "a=simulcast:"))
        ]
        section[:] = kept + extra
    return "\r\n".join(session + [line for sec in sections for line in sec]) + "\r\n"


def read_answer(sdp: str, mid: str) -> Negotiated | None:
    """What the answer says for ``mid`` (None when it has no such m-line)."""
    _session, sections = _split(sdp)
    for section in sections:
        if _mid(section) != mid:
            continue
        extensions = {}
        rids: list[str] = []
        simulcast: list[str] = []
        codecs: dict[str, str] = {}
        feedback = False
        for line in section:
            if line.startswith("a=extmap:"):
                ident, uri = line[9:].split(" ", 1)
                extensions[uri.split(" ")[0]] = int(ident.split("/")[0])
            elif line.startswith("a=rid:"):
                rid, _, direction = line[6:].partition(" ")
                if direction.startswith("recv"):
                    rids.append(rid)
            elif line.startswith("a=simulcast:recv "):
                simulcast = [r.lstrip("~") for r in line.split(" ", 1)[1].split(";")]
            elif line.startswith("a=rtpmap:"):
                pt, _, name = line[9:].partition(" ")
                codecs[pt] = name.split("/")[0].lower()
            elif line.startswith("a=rtcp-fb:") and line.endswith(" transport-cc"):
                feedback = True
        pts = _payload_types(section)
        codec = codecs.get(pts[0], "") if pts else ""
        accepted = tuple(r for r in simulcast if r in rids) if simulcast else ()
        return Negotiated(extensions, accepted, feedback and TWCC_URI in extensions, codec)
    return None
