"""``Session``: the interface the UI drives, and the state both implementations share.

:class:`~lkdesk.session.demo.DemoSession` (simulated people, no server) and
:class:`~lkdesk.session.call.CallSession` (a real LiveKit room) implement it; the UI never
knows which one it holds. State lives here as frozen snapshots; changes are announced
through :attr:`Session.events` (names in :data:`~lkdesk.session.emitter.SessionEvent`).
"""

from __future__ import annotations

import itertools
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lkdesk.session import transcript as transcripts
from lkdesk.session.captions import CaptionBook, CaptionLine
from lkdesk.session.emitter import Emitter, Handler, SessionEvent
from lkdesk.session.errors import NotAvailableError
from lkdesk.session.model import (
    Attachment,
    AudioProcessingSettings,
    Capabilities,
    ChatDelivery,
    ChatEntry,
    Device,
    DeviceKind,
    FileTransfer,
    JoinOptions,
    LocalMedia,
    Notice,
    NoticeLevel,
    ParticipantState,
    SessionState,
    ShareSource,
    Status,
    TileKey,
)


class Session(ABC):
    """One call, from device preview through join to leave."""

    def __init__(
        self,
        *,
        room_name: str,
        server_label: str,
        local_identity: str,
        local_name: str,
        name_editable: bool,
        capabilities: Capabilities,
    ) -> None:
        self.events = Emitter()
        self.room_name = room_name
        self.server_label = server_label
        self.local_identity = local_identity
        self.local_name = local_name
        self.name_editable = name_editable
        self._capabilities = capabilities
        self._status = Status(SessionState.IDLE)
        self._participants: dict[str, ParticipantState] = {}
        self._chat: list[ChatEntry] = []
        self._transfers: dict[str, FileTransfer] = {}
        self._local_media = LocalMedia()
        self._audio_processing = AudioProcessingSettings()
        self._order = itertools.count()
        self.camera_height = 720
        self.encryption_note = ""  # "" : not end-to-end encrypted; else what is, in words
        self._captions = CaptionBook(lambda line, new: self.events.emit("caption", line, new))
        self._video_sizes: dict[TileKey, tuple[int, int]] = {}  # what the UI shows them at

    # ----- observing ----------------------------------------------------------------------

    def on(self, event: SessionEvent, handler: Handler) -> None:
        """Call ``handler`` on every ``event`` (see :data:`SessionEvent`)."""
        self.events.on(event, handler)

    def off(self, event: SessionEvent, handler: Handler) -> None:
        """Stop calling ``handler`` for ``event``."""
        self.events.off(event, handler)

    @property
    def status(self) -> Status:
        return self._status

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def local_media(self) -> LocalMedia:
        return self._local_media

    @property
    def audio_processing(self) -> AudioProcessingSettings:
        """Echo cancellation, noise suppression and gain control on the microphone."""
        return self._audio_processing

    async def set_audio_processing(self, settings: AudioProcessingSettings) -> None:
        """Switch microphone processing (live, also before joining)."""
        self._set_audio_processing(settings)

    @property
    def participants(self) -> tuple[ParticipantState, ...]:
        """Everyone in the room: the local user first, then in join order."""
        return tuple(sorted(self._participants.values(), key=lambda p: (not p.is_local, p.order)))

    def participant(self, identity: str) -> ParticipantState | None:
        return self._participants.get(identity)

    @property
    def chat_history(self) -> tuple[ChatEntry, ...]:
        """Every chat message of this session, oldest first."""
        return tuple(self._chat)  # a real call projects its one history (call.py overrides)

    @property
    def transfers(self) -> tuple[FileTransfer, ...]:
        return tuple(self._transfers.values())

    @property
    def captions(self) -> tuple[CaptionLine, ...]:
        """Transcribed speech of this call (from agents or transcription services)."""
        return self._captions.lines

    def transcript(self, query: str = "") -> tuple[transcripts.TranscriptEntry, ...]:
        """Chat and captions in one timeline, only what matches ``query`` when given."""
        entries = transcripts.build(self.chat_history, self._captions.lines)
        return tuple(transcripts.search(entries, query))

    def set_video_size(self, key: TileKey, width: int, height: int) -> None:
        """``key``'s video is shown at most ``width``×``height`` device pixels (0×0: as
        decoded): its ``video_frame`` pictures arrive converted at that size, cropped by the
        viewer (cameras) or letterboxed (screen shares); the decoded size until the next."""
        self._video_sizes[key] = (max(0, width), max(0, height))

    @abstractmethod
    def watch_connection_details(self, on: bool) -> None:
        """While on, emit ``connection_details`` (a ``CallDetails``) every second."""

    # ----- use-cases ------------------------------------------------------------------------

    @abstractmethod
    def devices(self, kind: DeviceKind) -> tuple[Device, ...]:
        """The local devices of ``kind`` found by the last :meth:`refresh_devices`."""

    @abstractmethod
    async def refresh_devices(self) -> None:
        """Look for devices again; capabilities change when none of a kind is found."""

    @abstractmethod
    async def start_preview(self, *, camera: bool, microphone: bool) -> None:
        """Show the camera (``preview_frame`` events) and measure the mic (``mic_level``)."""

    @abstractmethod
    async def stop_preview(self) -> None:
        """Stop what :meth:`start_preview` started."""

    @abstractmethod
    async def test_speaker(self) -> None:
        """Play a short test sound on the chosen speaker; returns when it has played."""

    @abstractmethod
    async def select_device(self, kind: DeviceKind, device_id: str) -> None:
        """Use ``device_id`` for ``kind`` from now on (live during a call)."""

    async def set_camera_height(self, height: int) -> None:
        """Ask the camera for 360, 540, 720 or 1080 lines from now on."""
        self.camera_height = height

    @abstractmethod
    async def join(self, options: JoinOptions) -> None:
        """Join the room. Raises a :class:`~lkdesk.core.errors.LkdeskError` saying what to do."""

    @abstractmethod
    async def leave(self) -> None:
        """Leave the room; the status becomes ENDED (by the user)."""

    @abstractmethod
    async def set_microphone(self, on: bool) -> None:
        """Send (True) or mute (False) the microphone."""

    @abstractmethod
    async def set_camera(self, on: bool) -> None:
        """Send (True) or stop (False) the camera."""

    @abstractmethod
    async def share_sources(self) -> tuple[ShareSource, ...]:
        """The monitors and application windows that can be shared (lkdesk's own left out)."""

    @abstractmethod
    async def share_thumbnail(self, source_id: str, width: int) -> Any:
        """A ``width``-pixel-wide RGB picture of a source, or None when it is gone."""

    @abstractmethod
    async def set_screen_share(
        self, on: bool, source_id: str = "", with_audio: bool = False
    ) -> None:
        """Start (from ``source_id``, with computer audio if asked) or stop sharing.

        Starting while sharing switches to the new source without a new track.
        """

    @abstractmethod
    async def send_chat(self, text: str) -> None:
        """Send a chat message to everyone."""

    @abstractmethod
    async def retry_chat(self, message_id: str) -> None:
        """Send one of our messages that failed again."""

    @abstractmethod
    async def send_file(self, path: Path) -> None:
        """Send a file to everyone; progress arrives as ``transfer`` events."""

    @abstractmethod
    async def save_file(self, transfer_id: str, destination: Path) -> None:
        """Write a received file to ``destination``."""

    @abstractmethod
    async def mute_participant(self, identity: str) -> None:
        """Admin: mute someone's microphone."""

    @abstractmethod
    async def remove_participant(self, identity: str) -> None:
        """Admin: remove someone from the room."""

    @abstractmethod
    async def set_participant_can_publish(self, identity: str, allowed: bool) -> None:
        """Admin: allow or forbid someone to send audio and video."""

    @abstractmethod
    async def rename_participant(self, identity: str, name: str) -> None:
        """Admin: change someone's display name."""

    @abstractmethod
    async def set_participant_metadata(self, identity: str, metadata: str) -> None:
        """Admin: replace someone's metadata (apps use it for roles, hand raising ...)."""

    @abstractmethod
    async def move_participant(self, identity: str, room: str) -> None:
        """Admin: move someone to another room."""

    @abstractmethod
    async def dial_phone(self, phone_number: str, trunk_id: str) -> None:
        """Admin: call a phone number into the room through an outbound SIP trunk."""

    async def check_network(self, on_step: Callable[[Any], None]) -> Any:
        """Check the network to this call's server (a ``NetworkReport``, steps to ``on_step``)."""
        raise NotAvailableError("The demo room runs on this computer: no network to check.")

    @abstractmethod
    async def aclose(self) -> None:
        """Leave if needed and stop every task; the session cannot be used afterwards."""

    # ----- helpers for implementations --------------------------------------------------------

    def _set_status(self, status: Status) -> None:
        if status != self._status:
            self._status = status
            self.events.emit("status", status)

    def _set_capabilities(self, capabilities: Capabilities) -> None:
        if capabilities != self._capabilities:
            self._capabilities = capabilities
            self.events.emit("capabilities", capabilities)

    def _set_room_name(self, name: str) -> None:
        if name and name != self.room_name:
            self.room_name = name
            self.events.emit("room_name", name)

    def _set_audio_processing(self, settings: AudioProcessingSettings) -> None:
        if settings != self._audio_processing:
            self._audio_processing = settings
            self.events.emit("audio_processing", settings)

    def _upsert(self, state: ParticipantState) -> ParticipantState:
        """Add or replace a participant; keeps the join order of one already present."""
        old = self._participants.get(state.identity)
        if old is None:
            state = replace(state, order=next(self._order))
            self._participants[state.identity] = state
            self.events.emit("participant_joined", state)
            return state
        state = replace(state, order=old.order)
        if state != old:
            self._participants[state.identity] = state
            self.events.emit("participant_updated", state)
        return state

    def _update(self, identity: str, **changes: Any) -> ParticipantState | None:
        old = self._participants.get(identity)
        return None if old is None else self._upsert(replace(old, **changes))

    def _remove(self, identity: str, reason: str = "left") -> None:
        state = self._participants.pop(identity, None)
        if state is not None:
            self.events.emit("participant_left", state, reason)

    def _clear_participants(self) -> None:
        for identity in list(self._participants):
            self._remove(identity, "ended")

    def _set_local_media(self, media: LocalMedia) -> None:
        if media != self._local_media:
            self._local_media = media
            self.events.emit("local_media", media)
        self._update(
            self.local_identity,
            mic_on=media.mic_on,
            camera_on=media.camera_on,
            screen_on=media.screen_on,
        )

    def _add_chat(
        self,
        sender_identity: str,
        sender_name: str,
        text: str,
        *,
        attachment: Attachment | None = None,
        message_id: str | None = None,
        delivery: ChatDelivery | None = None,
        error: str = "",
    ) -> ChatEntry:
        """Add a message, or update the one with ``message_id`` (its time and place stay)."""
        is_local = sender_identity == self.local_identity
        if delivery is None:
            delivery = ChatDelivery.SENT if is_local else ChatDelivery.RECEIVED
        for i, existing in enumerate(self._chat):
            if message_id is not None and existing.id == message_id:
                updated = replace(existing, text=text, delivery=delivery, error=error)
                self._chat[i] = updated
                self._announce_chat(updated, new=False)
                return updated
        message = ChatEntry(
            id=message_id or uuid.uuid4().hex,
            sender_identity=sender_identity,
            sender_name=sender_name,
            text=text,
            sent_at=datetime.now(UTC),
            is_local=is_local,
            attachment=attachment,
            delivery=delivery,
            error=error,
        )
        self._chat.append(message)
        self._announce_chat(message, new=True)
        return message

    def _announce_chat(self, entry: ChatEntry, *, new: bool) -> None:
        self.events.emit("chat_message" if new else "chat_updated", entry)

    def _set_transfer(self, transfer: FileTransfer) -> None:
        self._transfers[transfer.id] = transfer
        self.events.emit("transfer", transfer)

    def _notice(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        self.events.emit("notice", Notice(text, level))
