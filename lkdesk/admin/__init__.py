"""Room administration through LiveKit's RoomService. No Qt.

- :class:`RoomAdmin` (:mod:`lkdesk.admin.service`): every RoomService operation, async,
  under a timeout, with an API key/secret or a pre-made token
- :mod:`lkdesk.admin.models`: frozen snapshots of rooms, participants and tracks
- :mod:`lkdesk.admin.sip`: dialling a phone into a room (``RoomAdmin.dial_phone``)
- :mod:`lkdesk.admin.errors`: the documented error tree
"""

from lkdesk.admin.errors import (
    AdminCertificateError,
    AdminError,
    AdminServerError,
    AdminTimeoutError,
    AdminUnreachableError,
    InvalidCredentialsError,
    InvalidRequestError,
    MissingGrantError,
    NotFoundError,
    UnsupportedByServerError,
)
from lkdesk.admin.models import (
    ParticipantPermissions,
    ParticipantSummary,
    RoomSummary,
    TrackSummary,
)
from lkdesk.admin.service import DEFAULT_TIMEOUT, RoomAdmin
from lkdesk.admin.sip import PhoneCall

__all__ = [
    "DEFAULT_TIMEOUT",
    "AdminCertificateError",
    "AdminError",
    "AdminServerError",
    "AdminTimeoutError",
    "AdminUnreachableError",
    "InvalidCredentialsError",
    "InvalidRequestError",
    "MissingGrantError",
    "NotFoundError",
    "ParticipantPermissions",
    "ParticipantSummary",
    "PhoneCall",
    "RoomAdmin",
    "RoomSummary",
    "TrackSummary",
    "UnsupportedByServerError",
]
