"""Publishing local tracks: AddTrackRequest, negotiation, mute and server-side control."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc

from lkdesk.errors import PublishError, PublishPermissionError
from lkdesk.rtc import _aiortc_adapt as adapt
from lkdesk.rtc.ice import IceUrl
from lkdesk.rtc.local_track import (
    LocalAudioTrack,
    LocalTrack,
    LocalTrackPublication,
    LocalVideoTrack,
    TrackPublishOptions,
    VideoEncoding,
)
from lkdesk.rtc.publisher import PublisherConnection
from lkdesk.rtc.sources import SourceVideoTrack
from lkdesk.rtc.types import TrackSource

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 15.0
_SOURCE_NAMES = {
    TrackSource.SOURCE_CAMERA: "camera",
    TrackSource.SOURCE_MICROPHONE: "microphone",
    TrackSource.SOURCE_SCREENSHARE: "screen share",
    TrackSource.SOURCE_SCREENSHARE_AUDIO: "screen share audio",
}


class LocalMedia:
    """Everything the local participant sends: tracks now, data channels via ``connection``."""

    def __init__(
        self,
        *,
        ice_urls: list[IceUrl],
        force_relay: bool,
        send: Callable[[proto_rtc.SignalRequest], None],
        emit: Callable[..., None],
        permissions: Callable[[], proto_models.ParticipantPermission],
        participant: Any,
    ) -> None:
        self._ice_urls = ice_urls
        self._force_relay = force_relay
        self._send = send
        self._emit = emit
        self._permissions = permissions
        self._participant = participant
        self.publications: dict[str, LocalTrackPublication] = {}
        self._transceivers: dict[str, RTCRtpTransceiver] = {}
        self._options: dict[str, TrackPublishOptions] = {}
        self._pending: dict[str, asyncio.Future[proto_models.TrackInfo]] = {}
        self._publisher: PublisherConnection | None = None
        self._setup_lock = asyncio.Lock()

    @property
    def connection(self) -> PublisherConnection | None:
        return self._publisher

    async def ensure_connected(self) -> PublisherConnection:
        """Create, negotiate and connect the publisher PC on first use."""
        async with self._setup_lock:
            if self._publisher is None:
                self._publisher = PublisherConnection(
                    self._ice_urls, force_relay=self._force_relay, send_signal=self._send
                )
                await self._publisher.negotiate()
            await self._publisher.wait_connected(CONNECT_TIMEOUT_S)
            return self._publisher

    # ----- publish / unpublish ------------------------------------------------------

    def _check_allowed(self, source: TrackSource) -> None:
        permission = self._permissions()
        if not permission.can_publish:
            raise PublishPermissionError(
                "This session may not publish media (the token or an administrator "
                "removed the canPublish permission)."
            )
        allowed = set(permission.can_publish_sources)
        if allowed and source.value not in allowed:
            what = _SOURCE_NAMES.get(source, "track of this kind")
            raise PublishPermissionError(
                f"This session may not publish a {what}; the token restricts which sources "
                "it can publish."
            )

    async def publish(
        self, track: LocalTrack, options: TrackPublishOptions
    ) -> LocalTrackPublication:
        if track.sid:
            raise PublishError(f"Track {track.name!r} is already published.")
        self._check_allowed(options.source)
        publisher = await self.ensure_connected()
        rtc_track = track._rtc_track
        cid = rtc_track.id
        future: asyncio.Future[proto_models.TrackInfo] = asyncio.get_running_loop().create_future()
        self._pending[cid] = future
        self._send(proto_rtc.SignalRequest(add_track=self._add_track_request(track, options, cid)))
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                info = await future
        except TimeoutError as exc:
            raise PublishError("The server did not accept the track within 10 s.") from exc
        finally:
            self._pending.pop(cid, None)
        codec = "opus" if isinstance(track, LocalAudioTrack) else options.video_codec
        transceiver = publisher.add_track(rtc_track, codec)
        if isinstance(rtc_track, SourceVideoTrack):
            limits = options.video_encoding or VideoEncoding()
            sender = transceiver.sender
            rtc_track.set_limits(
                limits.max_framerate,
                lambda: adapt.clamp_encoder_bitrate(sender, limits.max_bitrate),
            )
        await publisher.negotiate()
        track.sid = info.sid
        publication = LocalTrackPublication(info, track)
        self.publications[info.sid] = publication
        self._transceivers[info.sid] = transceiver
        self._options[info.sid] = options
        track._on_mute = self._track_muted
        self._emit("local_track_published", publication, track)
        return publication

    def _add_track_request(
        self, track: LocalTrack, options: TrackPublishOptions, cid: str
    ) -> proto_rtc.AddTrackRequest:
        request = proto_rtc.AddTrackRequest(
            cid=cid,
            name=track.name,
            source=options.source.value,  # type: ignore[arg-type]  # same numbering as the proto
            muted=track.muted,
        )
        if isinstance(track, LocalVideoTrack):
            encoding = options.video_encoding or VideoEncoding()
            width, height = track.source.width, track.source.height
            request.type = proto_models.TrackType.VIDEO
            request.width, request.height = width, height
            layer = proto_models.VideoLayer(
                quality=proto_models.VideoQuality.HIGH,
                width=width,
                height=height,
                bitrate=encoding.max_bitrate,
            )
            request.layers.append(layer)
            request.simulcast_codecs.append(
                proto_rtc.SimulcastCodec(codec=options.video_codec, cid=cid, layers=[layer])
            )
        else:
            request.type = proto_models.TrackType.AUDIO
            request.disable_red = True  # aiortc does not send RED
        return request

    async def unpublish(self, sid: str) -> None:
        publication = self.publications.pop(sid, None)
        transceiver = self._transceivers.pop(sid, None)
        if publication is None or transceiver is None:
            raise PublishError(f"No published track with sid {sid!r}.")
        await self._retire(publication, transceiver)
        if self._publisher is not None:
            await self._publisher.negotiate()
        self._emit("local_track_unpublished", publication)

    async def _retire(
        self, publication: LocalTrackPublication, transceiver: RTCRtpTransceiver
    ) -> None:
        if self._publisher is not None:
            self._publisher.remove_track(transceiver)
        track = publication.track
        if track is not None:
            track._rtc_track.stop()
            track._on_mute = None
            track.sid = ""

    def _track_muted(self, track: LocalTrack, muted: bool) -> None:
        publication = self.publications.get(track.sid)
        if publication is None:
            return
        self._send(
            proto_rtc.SignalRequest(mute=proto_rtc.MuteTrackRequest(sid=track.sid, muted=muted))
        )
        self._emit("track_muted" if muted else "track_unmuted", self._participant, publication)

    # ----- server messages -----------------------------------------------------------

    def on_track_published(self, response: proto_rtc.TrackPublishedResponse) -> None:
        future = self._pending.get(response.cid)
        if future is not None and not future.done():
            future.set_result(response.track)

    def on_request_response(self, response: proto_rtc.RequestResponse) -> bool:
        """Fail a pending publish the server refused; True if the response was ours."""
        if response.WhichOneof("request") != "add_track":
            return False
        future = self._pending.get(response.add_track.cid)
        if future is None or future.done():
            return False
        reason = proto_rtc.RequestResponse.Reason.Name(response.reason)
        if response.reason == proto_rtc.RequestResponse.NOT_ALLOWED:
            error: PublishError = PublishPermissionError(
                "The server does not allow this session to publish that track."
            )
        else:
            error = PublishError(f"The server refused the track ({reason}: {response.message}).")
        future.set_exception(error)
        return True

    def on_server_mute(self, request: proto_rtc.MuteTrackRequest) -> None:
        """An administrator muted (or unmuted) one of our tracks."""
        publication = self.publications.get(request.sid)
        if publication is not None and publication.track is not None:
            logger.info("server %s track %s", "muted" if request.muted else "unmuted", request.sid)
            publication.track._set_muted(request.muted)

    async def on_server_unpublished(self, response: proto_rtc.TrackUnpublishedResponse) -> None:
        """The server removed our track (e.g. canPublish revoked)."""
        if response.track_sid in self.publications:
            await self.unpublish(response.track_sid)

    def published(self) -> list[tuple[LocalTrack, TrackPublishOptions]]:
        """Every published track with the options it was published with."""
        return [
            (pub.track, self._options[sid])
            for sid, pub in self.publications.items()
            if pub.track is not None
        ]

    async def close(self) -> None:
        for sid in list(self.publications):
            publication = self.publications.pop(sid)
            transceiver = self._transceivers.pop(sid, None)
            if transceiver is not None:
                await self._retire(publication, transceiver)
        for future in self._pending.values():
            future.cancel()
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
