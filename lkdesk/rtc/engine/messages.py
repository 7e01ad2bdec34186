"""The engine's table of signalling messages: each server message to one small handler.

Transport messages (offer, answer, trickle, leave) are handled here; requests the server
answers (add_track → track_published, update_metadata → request_response) are matched to
their waiters; everything about participants and the room goes to the engine's listener as
a typed event. A message that fails to apply is logged and dropped, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.core.errors import PublishError, PublishPermissionError, RoomError
from lkdesk.rtc.engine.events import (
    EngineEvent,
    LocalMuteRequested,
    LocalUnpublishRequested,
    ParticipantsUpdated,
    QualityUpdated,
    RoomMoved,
    RoomUpdated,
    SpeakersChanged,
    SubscriptionFailed,
    SubscriptionPermissionChanged,
    TokenRefreshed,
    TrackBound,
)
from lkdesk.rtc.engine.ice import candidate_init

if TYPE_CHECKING:
    from lkdesk.rtc.engine.engine import RtcEngine
    from lkdesk.rtc.engine.subscriber import SubscriberConnection

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 10.0

Handler = Callable[[Any], Awaitable[None] | None]


class MessageRouter:
    """Routes one session's signalling messages; keeps the requests waiting for answers."""

    def __init__(self, engine: RtcEngine) -> None:
        self._engine = engine
        self._requests: dict[int, asyncio.Future[proto_rtc.RequestResponse]] = {}
        self._tracks: dict[str, asyncio.Future[proto_models.TrackInfo]] = {}
        self._handlers: dict[str, Handler] = {
            "offer": self._on_offer,
            "answer": self._on_answer,
            "trickle": self._on_trickle,
            "media_sections_requirement": self._on_media_sections,
            "leave": self._on_leave,
            "track_published": self._on_track_published,
            "request_response": self._on_request_response,
            "refresh_token": self._on_refresh_token,
            "room_moved": self._on_room_moved,
            "update": lambda m: self._emit(ParticipantsUpdated(tuple(m.participants))),
            "speakers_changed": lambda m: self._emit(SpeakersChanged(tuple(m.speakers))),
            "room_update": lambda m: self._emit(RoomUpdated(m.room)),
            "connection_quality": lambda m: self._emit(QualityUpdated(tuple(m.updates))),
            "mute": lambda m: self._emit(LocalMuteRequested(m.sid, m.muted)),
            "track_unpublished": lambda m: self._emit(LocalUnpublishRequested(m.track_sid)),
            "subscription_response": lambda m: self._emit(
                SubscriptionFailed(m.track_sid, _subscription_error(m.err))
            ),
            "subscription_permission_update": lambda m: self._emit(
                SubscriptionPermissionChanged(m.participant_sid, m.track_sid, m.allowed)
            ),
        }

    def _emit(self, event: EngineEvent) -> None:
        self._engine.emit(event)

    async def route(self, message: proto_rtc.SignalResponse) -> None:
        kind = message.WhichOneof("message") or ""
        handler = self._handlers.get(kind)
        if handler is None:
            logger.debug("unhandled signalling message %s", kind)
            return
        try:
            result = handler(getattr(message, kind))
            if result is not None:
                await result
        except Exception:  # one bad message must not end the session
            logger.exception("handling %s failed", kind)

    def session_ended(self) -> None:
        """Requests of the old session will never be answered."""
        futures: list[asyncio.Future[Any]] = [*self._requests.values(), *self._tracks.values()]
        for future in futures:
            if not future.done():
                future.cancel()
        self._requests.clear()
        self._tracks.clear()

    # ----- transport -------------------------------------------------------------------------

    async def _on_offer(self, offer: proto_rtc.SessionDescription) -> None:
        subscriber = self._engine.subscriber
        signal = self._engine.signal
        if subscriber is None or signal is None:
            return
        sdp, changes = await subscriber.answer(offer.sdp, dict(offer.mid_to_track_id))
        answer = proto_rtc.SessionDescription(type="answer", sdp=sdp, id=offer.id)
        if signal.session is not None:
            signal.session.subscriber_offer(offer)
            signal.session.subscriber_answer(answer)
        self._engine.send(proto_rtc.SignalRequest(answer=answer))
        self._engine.spawn(self._trickle_late(subscriber), "trickle-late-candidates")
        for change in changes:
            self._emit(TrackBound(change.mid, change.old_sid, change.new_sid))

    async def _trickle_late(self, subscriber: SubscriberConnection) -> None:
        for late in await subscriber.late_candidates():
            init = candidate_init(late.candidate, late.sdp_mid, late.sdp_mline_index)
            trickle = proto_rtc.TrickleRequest(
                candidateInit=init, target=proto_rtc.SignalTarget.SUBSCRIBER
            )
            self._engine.send(proto_rtc.SignalRequest(trickle=trickle))

    def _on_answer(self, answer: proto_rtc.SessionDescription) -> None:
        publisher = self._engine.publisher_connection
        if publisher is not None:
            publisher.on_answer(answer)

    def _on_media_sections(self, requirement: proto_rtc.MediaSectionsRequirement) -> None:
        """Single-PC mode: the server needs more receive-only media lines (§2.6)."""
        single = self._engine.single_connection
        if single is None:
            logger.warning("ignoring a media-sections requirement outside single-PC mode")
            return
        single.on_media_sections_requirement(requirement)

    async def _on_trickle(self, trickle: proto_rtc.TrickleRequest) -> None:
        if trickle.target == proto_rtc.SignalTarget.SUBSCRIBER:
            subscriber = self._engine.subscriber
            if subscriber is not None:
                await subscriber.add_remote_candidate(trickle.candidateInit)
        else:
            publisher = self._engine.publisher_connection
            if publisher is not None:
                await publisher.add_remote_candidate(trickle.candidateInit)

    def _on_leave(self, leave: proto_rtc.LeaveRequest) -> None:
        logger.info("server asked us to leave (reason %d, action %d)", leave.reason, leave.action)
        if leave.action == proto_rtc.LeaveRequest.RESUME:
            self._engine.connection_lost("the server asked us to resume")
        elif leave.action == proto_rtc.LeaveRequest.RECONNECT:
            self._engine.connection_lost("the server asked us to rejoin", resume=False)
        else:
            self._engine.close_soon(leave.reason or proto_models.DisconnectReason.UNKNOWN_REASON)

    def _on_refresh_token(self, token: str) -> None:
        self._engine.token = token
        self._emit(TokenRefreshed(token))

    def _on_room_moved(self, moved: proto_rtc.RoomMovedResponse) -> None:
        """Follow a move (protocol 16): new room, token and participant; connections stay.

        The engine keeps what a resume or rejoin needs (token, join state, our sid); the
        room's models are the listener's.
        """
        if not moved.HasField("room") or not moved.room.name:
            logger.warning("ignoring a room-moved message that names no room")
            return
        engine = self._engine
        participant = moved.participant if moved.HasField("participant") else None
        if engine.join is not None:
            engine.join.room.CopyFrom(moved.room)
            if participant is not None:
                engine.join.participant.CopyFrom(participant)
        signal = engine.signal
        if participant is not None and participant.sid and signal and signal.session:
            signal.session.participant_sid = participant.sid
        logger.info("moved to room %s", moved.room.name)
        if moved.token:
            self._on_refresh_token(moved.token)
        self._emit(RoomMoved(moved.room, participant, tuple(moved.other_participants)))

    # ----- requests and their answers ---------------------------------------------------------

    async def request(
        self, build: Callable[[int], proto_rtc.SignalRequest]
    ) -> proto_rtc.RequestResponse:
        """Send a request carrying a fresh request id; the server's RequestResponse."""
        signal = self._engine.signal
        if signal is None or signal.session is None:
            raise RoomError("Not connected to a room.")
        request_id = signal.session.next_request_id()
        future: asyncio.Future[proto_rtc.RequestResponse] = (
            asyncio.get_running_loop().create_future()
        )
        self._requests[request_id] = future
        self._engine.send(build(request_id))
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                return await future
        except TimeoutError as exc:
            raise RoomError("The server did not confirm the change within 5 s.") from exc
        except asyncio.CancelledError:
            if future.cancelled():  # the session ended under us, not our caller's cancel
                raise RoomError("The connection dropped before the server answered.") from None
            raise
        finally:
            self._requests.pop(request_id, None)

    async def add_track(self, request: proto_rtc.AddTrackRequest) -> proto_models.TrackInfo:
        future: asyncio.Future[proto_models.TrackInfo] = asyncio.get_running_loop().create_future()
        self._tracks[request.cid] = future
        self._engine.send(proto_rtc.SignalRequest(add_track=request))
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                return await future
        except TimeoutError as exc:
            raise PublishError("The server did not accept the track within 10 s.") from exc
        except asyncio.CancelledError:
            if future.cancelled():
                raise PublishError("The connection dropped while publishing.") from None
            raise
        finally:
            self._tracks.pop(request.cid, None)

    def _on_track_published(self, response: proto_rtc.TrackPublishedResponse) -> None:
        future = self._tracks.get(response.cid)
        if future is not None and not future.done():
            future.set_result(response.track)

    def _on_request_response(self, response: proto_rtc.RequestResponse) -> None:
        if response.WhichOneof("request") == "add_track":
            future = self._tracks.get(response.add_track.cid)
            if future is not None and not future.done():
                future.set_exception(_publish_refused(response))
                return
        waiting = self._requests.pop(response.request_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(response)
        elif response.reason != proto_rtc.RequestResponse.OK:
            logger.warning("server refused a request: %s", response.message)


def _subscription_error(code: int) -> str:
    """The error's name; a code newer than our protobufs is named by its number."""
    try:
        return proto_models.SubscriptionError.Name(code)
    except ValueError:
        return f"SE_{code}"


def _publish_refused(response: proto_rtc.RequestResponse) -> PublishError:
    if response.reason == proto_rtc.RequestResponse.NOT_ALLOWED:
        return PublishPermissionError(
            "The server does not allow this session to publish that track."
        )
    reason = proto_rtc.RequestResponse.Reason.Name(response.reason)
    return PublishError(f"The server refused the track ({reason}: {response.message}).")
