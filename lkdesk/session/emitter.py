"""The session's event names; the emitter itself is lkdesk.core's."""

from __future__ import annotations

from typing import Literal

from lkdesk.core.emitter import EventEmitter, Handler

SessionEvent = Literal[
    "status",  # (Status)
    "participant_joined",  # (ParticipantState)
    "participant_updated",  # (ParticipantState)
    "participant_left",  # (ParticipantState, reason: str)
    "video_frame",  # (TileKey, contiguous ndarray uint8: (h, w, 3) RGB or (h, w, 4) BGRA)
    "video_ended",  # (TileKey)
    "local_media",  # (LocalMedia)
    "chat_message",  # (ChatEntry) a new message
    "chat_updated",  # (ChatEntry) a known message changed (delivery state, edit)
    "transfer",  # (FileTransfer)
    "preview_frame",  # (ndarray) local camera preview before and during the call
    "mic_level",  # (float 0..1) local microphone level
    "notice",  # (Notice)
    "capabilities",  # (Capabilities)
    "audio_processing",  # (AudioProcessingSettings)
    "talking_while_muted",  # (bool) voice on the muted microphone: show "You are muted"
    "room_name",  # (str) the room was renamed under us: an administrator moved us
    "caption",  # (CaptionLine, new: bool) transcribed speech, a new line or an update
    "connection_details",  # (CallDetails) every second while watched
    "file_saved",  # (transfer id: str, Path) the user saved a received file there
]


class Emitter(EventEmitter[SessionEvent]):
    """A session's events (``on``/``off``/``off_all``/``emit``)."""


__all__ = ["Emitter", "Handler", "SessionEvent"]
