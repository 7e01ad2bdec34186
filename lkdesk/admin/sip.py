"""Dialling a phone number into a room through LiveKit's SIP service (``CreateSIPParticipant``).

The phone joins as a participant of kind SIP once the call is set up. It needs an outbound
SIP trunk configured on the server (its id, ``ST_…``) and a server with SIP at all: the
open-source server answers "sip not connected" unless Redis and livekit-sip run beside it,
which :func:`~lkdesk.admin.translate.translate` turns into a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livekit.protocol import sip as proto_sip

from lkdesk.admin.errors import InvalidRequestError

#: Dialling waits for the phone participant to be created, which LiveKit allows 30 s for.
DIAL_TIMEOUT_S = 35.0
_NUMBER = re.compile(r"^\+?[0-9*#]{3,20}$")


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """A call placed: who joined the room for it."""

    participant_identity: str
    participant_sid: str
    room: str
    sip_call_id: str


def dial_request(
    room: str, phone_number: str, trunk_id: str, *, identity: str = "", name: str = ""
) -> proto_sip.CreateSIPParticipantRequest:
    """The request, or :class:`InvalidRequestError` saying what to fix in the input."""
    number = re.sub(r"[\s().-]", "", phone_number)
    if not _NUMBER.match(number):
        raise InvalidRequestError(
            f"'{phone_number}' is not a phone number lkdesk can dial. Enter digits with the "
            "country code, e.g. +44 20 7946 0000."
        )
    trunk = trunk_id.strip()
    if not trunk:
        raise InvalidRequestError(
            "Enter the id of an outbound SIP trunk (ST_…); your LiveKit project lists them "
            "under Telephony."
        )
    return proto_sip.CreateSIPParticipantRequest(
        sip_trunk_id=trunk,
        sip_call_to=number,
        room_name=room,
        participant_identity=identity or f"phone-{number.lstrip('+')}",
        participant_name=name or number,
    )


def phone_call(info: proto_sip.SIPParticipantInfo) -> PhoneCall:
    return PhoneCall(
        info.participant_identity, info.participant_id, info.room_name, info.sip_call_id
    )
