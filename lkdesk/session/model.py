"""What the UI sees of a call: frozen snapshots and small enums. No Qt, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class SessionState(StrEnum):
    """Where a session is in its life."""

    IDLE = "idle"  # created; devices may be previewed, not joined yet
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ENDED = "ended"  # left, removed, or failed; ``Status.message`` says why


@dataclass(frozen=True, slots=True)
class Status:
    """The session's state and, when it ended, why (plain words) and whether to rejoin."""

    state: SessionState
    message: str = ""
    by_user: bool = False  # True when the user left on purpose
    can_rejoin: bool = True


class Quality(IntEnum):
    """Connection quality as quality bars: 0 (lost) to 3 (excellent)."""

    LOST = 0
    POOR = 1
    GOOD = 2
    EXCELLENT = 3


class VideoKind(StrEnum):
    """Which of a participant's videos a tile shows."""

    CAMERA = "camera"
    SCREEN = "screen"


class DeviceKind(StrEnum):
    """Kinds of local media device."""

    CAMERA = "camera"
    MICROPHONE = "microphone"
    SPEAKER = "speaker"


@dataclass(frozen=True, slots=True)
class TileKey:
    """Names one video in the room: a participant's camera or screen share."""

    identity: str
    kind: VideoKind = VideoKind.CAMERA


class ParticipantKind(StrEnum):
    """What a participant is; the UI names every kind but a person."""

    PERSON = "person"
    AGENT = "agent"  # a LiveKit agent (AI voice assistant, bot)
    PHONE = "phone"  # a phone call dialled in or out through SIP
    INGRESS = "ingress"  # a stream brought into the room (RTMP, WHIP, a URL)
    EGRESS = "egress"  # a recording or a stream out of the room
    CONNECTOR = "connector"
    BRIDGE = "bridge"


@dataclass(frozen=True, slots=True)
class ParticipantState:
    """Everything the UI shows about one participant.

    ``agent_state`` is an agent's ``lk.agent.state`` (listening, thinking, speaking …);
    ``not_permitted`` names what the participant publishes but does not let us receive;
    ``cannot_decrypt``: their end-to-end encrypted media does not open with our passphrase.
    """

    identity: str
    name: str
    is_local: bool = False
    mic_on: bool = False
    camera_on: bool = False
    screen_on: bool = False
    speaking: bool = False
    audio_level: float = 0.0
    quality: Quality = Quality.EXCELLENT
    can_publish: bool = True
    order: int = 0  # join order, for a stable grid
    kind: ParticipantKind = ParticipantKind.PERSON
    agent_state: str = ""
    not_permitted: tuple[str, ...] = ()
    cannot_decrypt: bool = False

    @property
    def display_name(self) -> str:
        """The name, or the identity when the participant has none."""
        return self.name or self.identity


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What the local user sends."""

    mic_on: bool = False
    camera_on: bool = False
    screen_on: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a chat message; ``transfer_id`` names its :class:`FileTransfer`."""

    transfer_id: str
    file_name: str
    size: int


class ChatDelivery(StrEnum):
    """Where a chat message stands: ours are SENDING, then SENT or FAILED; others' RECEIVED."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    RECEIVED = "received"


@dataclass(frozen=True, slots=True)
class ChatEntry:
    """One chat line, or a file announcement when ``attachment`` is set."""

    id: str
    sender_identity: str
    sender_name: str
    text: str
    sent_at: datetime
    is_local: bool = False
    attachment: Attachment | None = None
    delivery: ChatDelivery = ChatDelivery.RECEIVED
    error: str = ""  # why a FAILED message was not sent


class TransferState(StrEnum):
    """Progress of a file transfer."""

    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FileTransfer:
    """A file being sent or received; ``size`` is 0 when unknown."""

    id: str
    file_name: str
    size: int
    transferred: int
    state: TransferState
    outgoing: bool
    peer_name: str = ""
    error: str = ""

    @property
    def fraction(self) -> float | None:
        """0..1 progress, or None when the size is unknown."""
        if self.state is TransferState.DONE:
            return 1.0
        return min(self.transferred / self.size, 1.0) if self.size else None


@dataclass(frozen=True, slots=True)
class Feature:
    """Whether an action can be used now; ``reason`` says why not, in plain words."""

    available: bool
    reason: str = ""


AVAILABLE = Feature(True)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What this session can do; the UI disables what is not available and says why."""

    microphone: Feature = AVAILABLE
    camera: Feature = AVAILABLE
    screen_share: Feature = AVAILABLE
    chat: Feature = AVAILABLE
    files: Feature = AVAILABLE
    speaker: Feature = AVAILABLE
    audio_processing: Feature = AVAILABLE
    admin: Feature = AVAILABLE
    move_participants: Feature = AVAILABLE
    system_audio: Feature = AVAILABLE  # "share computer audio" with a screen


class ShareKind(StrEnum):
    """What a screen-share source is."""

    SCREEN = "screen"  # a whole monitor
    WINDOW = "window"  # one application window


@dataclass(frozen=True, slots=True)
class ShareSource:
    """Something that can be shared: a monitor or an application window."""

    id: str
    kind: ShareKind
    title: str
    width: int = 0
    height: int = 0


@dataclass(frozen=True, slots=True)
class AudioProcessingSettings:
    """How the microphone is cleaned up before it is sent (each on by default)."""

    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True


@dataclass(frozen=True, slots=True)
class Device:
    """A local camera, microphone or speaker."""

    id: str
    name: str
    kind: DeviceKind


@dataclass(frozen=True, slots=True)
class JoinOptions:
    """The choices made on the pre-join screen.

    ``passphrase``: join end-to-end encrypted with it (LiveKit Meet's ``#passphrase``);
    None joins without encryption.
    """

    display_name: str = ""
    mic_on: bool = True
    camera_on: bool = True
    devices: dict[DeviceKind, str] = field(default_factory=dict)
    passphrase: str | None = field(default=None, repr=False)


class NoticeLevel(StrEnum):
    """How a background message should be shown."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that no action of theirs returned (a toast)."""

    text: str
    level: NoticeLevel = NoticeLevel.INFO
