"""The call use-cases the UI drives. No Qt.

- :class:`Session`: the interface (join, leave, mic/camera/screen, chat, files, admin),
  implemented by :class:`DemoSession` (simulated room) and ``CallSession`` (a real LiveKit
  room, imported lazily by :class:`SessionFactory`)
- :mod:`lkdesk.session.model`: frozen snapshots the UI renders
- :mod:`lkdesk.session.targets`: where to join, validated with field-specific messages
- :class:`ProfileBook`: saved servers and their secrets (keyring)
"""

from lkdesk.session.base import Session
from lkdesk.session.demo import DemoConfig, DemoSession
from lkdesk.session.emitter import SessionEvent
from lkdesk.session.errors import (
    AdminActionError,
    InvalidTargetError,
    NotAvailableError,
    NotConnectedError,
    SessionError,
)
from lkdesk.session.factory import SessionFactory
from lkdesk.session.model import (
    Attachment,
    AudioProcessingSettings,
    Capabilities,
    ChatDelivery,
    ChatEntry,
    Device,
    DeviceKind,
    Feature,
    FileTransfer,
    JoinOptions,
    LocalMedia,
    Notice,
    NoticeLevel,
    ParticipantKind,
    ParticipantState,
    Quality,
    SessionState,
    Status,
    TileKey,
    TransferState,
    VideoKind,
)
from lkdesk.session.profiles import AuthKind, Profile, ProfileBook, TokenRef
from lkdesk.session.targets import (
    ApiKeyTarget,
    DemoTarget,
    JoinTarget,
    ProfileTarget,
    TokenDetails,
    TokenTarget,
    check_url,
    describe_token,
)

__all__ = [
    "AdminActionError",
    "ApiKeyTarget",
    "Attachment",
    "AudioProcessingSettings",
    "AuthKind",
    "Capabilities",
    "ChatDelivery",
    "ChatEntry",
    "DemoConfig",
    "DemoSession",
    "DemoTarget",
    "Device",
    "DeviceKind",
    "Feature",
    "FileTransfer",
    "InvalidTargetError",
    "JoinOptions",
    "JoinTarget",
    "LocalMedia",
    "NotAvailableError",
    "NotConnectedError",
    "Notice",
    "NoticeLevel",
    "ParticipantKind",
    "ParticipantState",
    "Profile",
    "ProfileBook",
    "ProfileTarget",
    "Quality",
    "Session",
    "SessionError",
    "SessionEvent",
    "SessionFactory",
    "SessionState",
    "Status",
    "TileKey",
    "TokenDetails",
    "TokenRef",
    "TokenTarget",
    "TransferState",
    "VideoKind",
    "check_url",
    "describe_token",
]
