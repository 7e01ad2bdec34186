"""The call use-cases the UI drives. No Qt.

- :class:`Session`: the interface (join, leave, mic/camera/screen, chat, files, admin),
  implemented by :class:`DemoSession` (simulated room) and ``CallSession`` (a real LiveKit
  room, imported lazily by :class:`SessionFactory`)
- :mod:`lkdesk.session.model`: frozen snapshots the UI renders
- :mod:`lkdesk.session.targets`: where to join, validated with field-specific messages
- :class:`ProfileBook`: saved servers and their secrets (keyring)
"""

from typing import TYPE_CHECKING, Any

from lkdesk.app_logging import log_path as log_file
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
from lkdesk.session.join_link import JoinLink, looks_like_link, make_link, parse_link
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
    ShareKind,
    ShareSource,
    Status,
    TileKey,
    TransferState,
    VideoKind,
)
from lkdesk.session.passphrase import check_passphrase
from lkdesk.session.profiles import AuthKind, Profile, ProfileBook, TokenRef, same_server
from lkdesk.session.server_check import check_server
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
from lkdesk.session.trust import TrustedCa, describe_trusted_ca, read_ca_file

if TYPE_CHECKING:
    from lkdesk.session.device_check import DeviceCheck


def __getattr__(name: str) -> Any:
    """``DeviceCheck`` loads the media stack, so only when it is first asked for."""
    if name == "DeviceCheck":
        from lkdesk.session.device_check import DeviceCheck

        return DeviceCheck
    raise AttributeError(f"module 'lkdesk.session' has no attribute {name!r}")


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
    "DeviceCheck",
    "DeviceKind",
    "Feature",
    "FileTransfer",
    "InvalidTargetError",
    "JoinLink",
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
    "ShareKind",
    "ShareSource",
    "Status",
    "TileKey",
    "TokenDetails",
    "TokenRef",
    "TokenTarget",
    "TransferState",
    "TrustedCa",
    "VideoKind",
    "check_passphrase",
    "check_server",
    "check_url",
    "describe_token",
    "describe_trusted_ca",
    "log_file",
    "looks_like_link",
    "make_link",
    "parse_link",
    "read_ca_file",
    "same_server",
]
