"""VP9 RTP payloads (RFC 9628): the payload descriptor, parsed and stripped.

Hand-written because no Python library depacketises VP9 RTP for PyAV (aiortc 1.16 has
VP8 and H.264 only; its VP9 pull request was never merged). Sans-I/O: bytes in, a
:class:`Vp9Descriptor` and the codec bytes out; a truncated or inconsistent descriptor
raises :class:`MalformedPayload` (a ``ValueError``, which aiortc's receiver logs and drops).

With spatial scalability (SVC, e.g. Chromium's L3T3) one picture is several layer frames
sharing an RTP timestamp. The server forwards the layer frames the layer it chose needs
(all of them up to it in L3T3; only that layer's in L3T3_KEY delta pictures) and sets the
marker bit on the last packet it forwards of the picture. Concatenating the payloads of
one picture gives what libvpx's VP9 decoder takes as one input: it decodes frames back to
back and outputs the last (highest) one.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_REFERENCES = 3  # flexible mode: at most three P_DIFF bytes

_I, _P, _L, _F, _B, _E, _V, _Z = 0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01


class MalformedPayload(ValueError):
    """An RTP payload that does not follow its payload format; the packet is dropped."""


@dataclass(frozen=True, slots=True)
class Vp9Descriptor:
    """The fields of one VP9 payload descriptor lkdesk uses (RFC 9628 §4.2)."""

    inter_picture: bool
    """P: the frame refers to an earlier picture (False on keyframes' base layer)."""
    flexible: bool
    begins_frame: bool
    """B: first packet of a (layer) frame."""
    ends_frame: bool
    """E: last packet of a (layer) frame."""
    picture_id: int | None
    temporal_id: int
    spatial_id: int
    inter_layer: bool
    """D: the layer frame depends on the spatial layer below it in the same picture."""
    references: tuple[int, ...]
    """Flexible mode's P_DIFF values (pictures back that this frame refers to)."""
    spatial_layers: int | None
    """N_S + 1 from a scalability structure, when the packet carries one."""
    resolutions: tuple[tuple[int, int], ...]
    header_size: int
    """Bytes of descriptor before the VP9 data."""


def _byte(payload: bytes, pos: int, what: str) -> int:
    if pos >= len(payload):
        raise MalformedPayload(f"VP9 descriptor ends before its {what}")
    return payload[pos]


def parse_descriptor(payload: bytes) -> Vp9Descriptor:
    """Parse the descriptor at the start of ``payload``; raise :class:`MalformedPayload`."""
    first = _byte(payload, 0, "first byte")
    pos = 1
    picture_id: int | None = None
    if first & _I:
        high = _byte(payload, pos, "picture id")
        if high & 0x80:
            picture_id = ((high & 0x7F) << 8) | _byte(payload, pos + 1, "extended picture id")
            pos += 2
        else:
            picture_id = high
            pos += 1
    temporal_id = spatial_id = 0
    inter_layer = False
    flexible = bool(first & _F)
    if first & _L:
        layers = _byte(payload, pos, "layer indices")
        temporal_id, spatial_id, inter_layer = layers >> 5, (layers >> 1) & 0x07, bool(layers & 1)
        pos += 1
        if not flexible:
            _byte(payload, pos, "TL0PICIDX")
            pos += 1
    references: list[int] = []
    if flexible and first & _P:
        while True:
            ref = _byte(payload, pos, "reference index")
            pos += 1
            references.append(ref >> 1)
            if not ref & 1:
                break
            if len(references) == MAX_REFERENCES:
                raise MalformedPayload("VP9 descriptor has more than three references")
    spatial_layers: int | None = None
    resolutions: tuple[tuple[int, int], ...] = ()
    if first & _V:
        spatial_layers, resolutions, pos = _scalability_structure(payload, pos)
    return Vp9Descriptor(
        inter_picture=bool(first & _P),
        flexible=flexible,
        begins_frame=bool(first & _B),
        ends_frame=bool(first & _E),
        picture_id=picture_id,
        temporal_id=temporal_id,
        spatial_id=spatial_id,
        inter_layer=inter_layer,
        references=tuple(references),
        spatial_layers=spatial_layers,
        resolutions=resolutions,
        header_size=pos,
    )


def _scalability_structure(
    payload: bytes, pos: int
) -> tuple[int, tuple[tuple[int, int], ...], int]:
    """Read the SS (RFC 9628 §4.2.1): layer count, resolutions, picture-group description."""
    head = _byte(payload, pos, "scalability structure")
    pos += 1
    layers = (head >> 5) + 1
    resolutions: list[tuple[int, int]] = []
    if head & 0x10:  # Y: a width and height per spatial layer
        end = pos + 4 * layers
        if end > len(payload):
            raise MalformedPayload("VP9 scalability structure ends inside its resolutions")
        for i in range(pos, end, 4):
            width = int.from_bytes(payload[i : i + 2], "big")
            height = int.from_bytes(payload[i + 2 : i + 4], "big")
            resolutions.append((width, height))
        pos = end
    if head & 0x08:  # G: picture group description
        groups = _byte(payload, pos, "picture group count")
        pos += 1
        for _ in range(groups):
            entry = _byte(payload, pos, "picture group entry")
            pos += 1 + ((entry >> 2) & 0x03)  # R: reference indices that follow
            if pos > len(payload):
                raise MalformedPayload("VP9 picture group ends inside its references")
    return layers, tuple(resolutions), pos


def vp9_depayload(payload: bytes) -> bytes:
    """The VP9 codec bytes of one RTP payload (the descriptor stripped)."""
    descriptor = parse_descriptor(payload)
    return payload[descriptor.header_size :]
