"""Where end-to-end encryption meets a ``Room``: its options, its events, its engine.

:class:`RoomEncryption` is created with the room and configured on each ``connect``:

* with ``RoomOptions(encryption=...)`` it derives the keys in a worker thread (PBKDF2 takes
  about 0.1 s), then becomes the engine's ``frame_crypto`` (the subscriber installs a
  decryption hook per receiver and asks :meth:`RoomEncryption.receiver` per frame), the
  track publisher's ``encryption`` (``AddTrackRequest.encryption`` and a cryptor per
  published track) and the data transport's ``crypto`` (encrypted data packets);
* it follows the room's events: a receive cryptor per subscribed track (enabled when the
  track's ``TrackInfo.encryption`` says it is encrypted), ``participant_encryption_status_changed``
  when what a participant publishes becomes encrypted or not, and ``e2ee_state_changed``
  when a cryptor's state changes (posted from aiortc's threads to the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from livekit.protocol import models as proto_models

from lkdesk.core.tasks import TaskSet
from lkdesk.rtc.e2ee.cryptor import FrameCryptor
from lkdesk.rtc.e2ee.data_crypto import DataCrypto
from lkdesk.rtc.e2ee.manager import E2EEManager, UnknownTrack
from lkdesk.rtc.e2ee.options import E2EEOptions, EncryptionState, EncryptionType

logger = logging.getLogger(__name__)


class RoomView(Protocol):
    """What the link needs of a ``Room`` (kept structural: the room imports this module)."""

    local_participant: Any

    @property
    def remote_participants(self) -> dict[str, Any]: ...

    def on(self, event: Any, callback: Any = None) -> Any: ...

    def emit(self, event: Any, *args: Any) -> None: ...


class RoomEncryption:
    """The encryption side of one room (see the module docstring)."""

    def __init__(self, room: RoomView) -> None:
        self._room = room
        self.manager = E2EEManager(None)
        self.data: DataCrypto | None = None
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks = TaskSet("e2ee")
        self._status: dict[str, bool] = {}
        self._clear_senders: set[str] = set()
        self._listening = False

    async def configure(self, options: E2EEOptions | None, engine: Any, publisher: Any) -> None:
        """Before joining: set the room up for ``options`` (None: no encryption)."""
        self.manager = manager = E2EEManager(options)
        self._engine = engine
        self._status = {}
        provider = manager.key_provider
        if provider is None:
            engine.frame_crypto = None
            publisher.encryption = None
            engine.data.crypto = None
            self.data = None
            return
        self._loop = asyncio.get_running_loop()
        self._tasks = TaskSet("e2ee")
        manager.on_state = self._post_state
        manager.on_enabled = lambda enabled: self._set_status(self._room.local_participant, enabled)
        provider.key_set_listeners.append(self._key_was_set)
        await asyncio.to_thread(provider.prepare)
        self.data = DataCrypto(provider, self._local_identity)
        self.data.on_clear = self._clear_data
        engine.frame_crypto = self
        publisher.encryption = self
        engine.data.crypto = self.data
        self._listen()

    async def close(self) -> None:
        await self._tasks.aclose()

    # ----- engine and publisher hooks ------------------------------------------------------

    def receiver(self, track_sid: str | None) -> FrameCryptor | UnknownTrack:
        """The cryptor for a frame of ``track_sid`` (called from aiortc's decoder threads)."""
        return self.manager.receiver_for(track_sid)

    def track_encryption(self) -> int:
        """``AddTrackRequest.encryption`` for a track we publish now."""
        return int(self.manager.encryption_type)

    def sender_cryptor(self, info: proto_models.TrackInfo) -> FrameCryptor | None:
        """A cryptor for a track the server accepted (None: sent in clear)."""
        if int(info.encryption) == EncryptionType.NONE:
            return None
        return self.manager.sender(self._local_identity(), info.sid)

    # ----- room events -----------------------------------------------------------------------

    def _listen(self) -> None:
        if self._listening:
            return
        self._listening = True
        on = self._room.on
        on("track_subscribed", self._subscribed)
        on("track_unsubscribed", lambda _t, publication, _p: self.manager.remove(publication.sid))
        on("local_track_unpublished", lambda publication, *_: self.manager.remove(publication.sid))
        for event in ("track_published", "track_unpublished"):
            on(event, lambda _publication, participant: self._refresh(participant))
        on("participant_connected", self._refresh)
        on("participant_disconnected", lambda p: self._status.pop(p.identity, None))
        on("connected", self._connected)
        on("reconnected", self._reconnected)

    def _subscribed(self, _track: Any, publication: Any, participant: Any) -> None:
        if self.manager.key_provider is None:
            return
        join = getattr(self._engine, "join", None)
        if join is not None and join.sif_trailer != self.manager.sif_trailer:
            self.manager.set_sif_trailer(bytes(join.sif_trailer))
        encrypted = publication.info.encryption != EncryptionType.NONE
        self.manager.add_receiver(participant.identity, publication.sid, encrypted=encrypted)

    def _connected(self) -> None:
        if self.manager.key_provider is None:
            return
        self._set_status(self._room.local_participant, self.manager.enabled)
        for participant in self._room.remote_participants.values():
            self._refresh(participant)

    def _reconnected(self) -> None:
        local = self._room.local_participant
        if local is not None:
            self.manager.keep_senders(set(local.track_publications))

    def _refresh(self, participant: Any) -> None:
        """A participant is encrypted when everything it publishes is."""
        if self.manager.key_provider is None:
            return
        publications = list(participant.track_publications.values())
        if publications:
            encrypted = all(p.info.encryption != EncryptionType.NONE for p in publications)
            self._set_status(participant, encrypted)

    def _set_status(self, participant: Any, encrypted: bool) -> None:
        if participant is None or self._status.get(participant.identity) == encrypted:
            return
        self._status[participant.identity] = encrypted
        # the official SDK's argument order (livekit/rtc/room.py emits participant first)
        self._room.emit("participant_encryption_status_changed", participant, encrypted)

    def _clear_data(self, identity: str) -> None:
        """lkdesk's own event: a participant's data arrived unencrypted (once per sender)."""
        participant = self._room.remote_participants.get(identity)
        if participant is not None and identity not in self._clear_senders:
            self._clear_senders.add(identity)
            self._room.emit("unencrypted_data_received", participant)

    # ----- from aiortc's threads --------------------------------------------------------------

    def _post_state(self, cryptor: FrameCryptor, state: EncryptionState) -> None:
        loop = self._loop
        if loop is None:
            return
        # RuntimeError: the loop closed under a decoder thread's last frame
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._emit_state, cryptor.participant_identity, state)

    def _emit_state(self, identity: str, state: EncryptionState) -> None:
        if state in (EncryptionState.DECRYPTION_FAILED, EncryptionState.MISSING_KEY):
            logger.info("cannot decrypt media from %s (%s)", identity, state.name)
        local = self._room.local_participant
        if local is not None and local.identity == identity:
            participant = local
        else:
            participant = self._room.remote_participants.get(identity)
        if participant is not None:
            self._room.emit("e2ee_state_changed", participant, state)

    # ----- keys --------------------------------------------------------------------------------

    def _key_was_set(self, _identity: str, _index: int) -> None:
        """Derive a new key in a worker thread now, not on a frame's or packet's time."""
        provider = self.manager.key_provider
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the loop: the first frame derives it
        if provider is not None:
            with contextlib.suppress(RuntimeError):  # the room ended: nothing uses the key
                self._tasks.spawn(asyncio.to_thread(provider.prepare), "derive-keys")

    def _local_identity(self) -> str:
        local = self._room.local_participant
        return "" if local is None else str(local.identity)
