"""A network check before joining: what works between this computer and a LiveKit server.

"I can't hear anyone" is nearly always the network. Like livekit-client's
``ConnectionCheck``, the check joins a room for a few seconds and reports, step by step
in plain words with what to do: signalling (the WebSocket), WebRTC over UDP, the TCP/TURN
fallback a locked-down network needs, publishing audio and video, the round-trip time and
an uplink estimate. It builds on the engine's own ICE plan (the UDP probe and the chosen
TURN entry, ``Room.media_routes()``), so it sees exactly what a call would.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import statistics
from collections.abc import Callable

import numpy as np

from lkdesk import rtc
from lkdesk.auth import ApiCredentials
from lkdesk.core.errors import LkdeskError, MediaNegotiationError
from lkdesk.core.tasks import TaskSet
from lkdesk.session.network_steps import STEPS, CheckStep, NetworkReport, StepState
from lkdesk.session.targets import Credentials, mint_credentials

logger = logging.getLogger(__name__)
__all__ = ["STEPS", "CheckStep", "NetworkCheck", "NetworkReport", "StepState", "check_credentials"]


def check_credentials(url: str, api_key: str, api_secret: str) -> Credentials:
    """Credentials for a throw-away room of the check (API key and secret)."""
    room = f"lkdesk-network-check-{secrets.token_hex(3)}"
    return mint_credentials(url, ApiCredentials(api_key, api_secret), room, "Network check")


class NetworkCheck:
    """Runs the steps once; ``on_step`` hears each as it completes."""

    def __init__(
        self,
        credentials: Credentials,
        on_step: Callable[[CheckStep], None] = lambda _step: None,
        *,
        join_timeout_s: float = 8.0,
        media_timeout_s: float = 8.0,
    ) -> None:
        self._credentials = credentials
        self._on_step = on_step
        self._join_timeout_s = join_timeout_s
        self._media_timeout_s = media_timeout_s
        self.report = NetworkReport()

    def _add(self, step: CheckStep) -> None:
        self.report.steps.append(step)
        self._on_step(step)

    def _skip(self, *keys: str, why: str) -> None:
        for key in keys:
            self._add(CheckStep(key, StepState.SKIPPED, why))

    async def run(self) -> NetworkReport:
        c = self._credentials
        room = rtc.Room()
        options = rtc.RoomOptions(
            join_timeout_s=self._join_timeout_s,
            media_timeout_s=self._media_timeout_s,
            trust=c.trust,
            auto_subscribe=False,
        )
        try:
            await room.connect(c.url, c.token, options)
        except MediaNegotiationError as exc:
            self._add(CheckStep("signalling", StepState.PASS, "The server answers and let us in."))
            self._media_steps(room.media_routes(), str(exc))
            self._skip("publish", "rtt", "uplink", why="Needs a media connection.")
            return self.report
        except LkdeskError as exc:
            self._add(CheckStep("signalling", StepState.FAIL, str(exc), _signal_advice(exc)))
            self._skip(*list(STEPS)[1:], why="Needs signalling.")
            return self.report
        try:
            self._add(CheckStep("signalling", StepState.PASS, "The server answers and let us in."))
            self._media_steps(room.media_routes(), "")
            await self._publish_step(room)
            await self._rtt_step(room)
            await self._uplink_step(room)
        finally:
            await room.disconnect()
        return self.report

    def _media_steps(self, routes: dict[str, str], failure: str) -> None:
        route = routes.get("subscriber", "")
        udp_works = routes.get("udp") == "open" or route in ("udp", "turn/udp")
        relays = [r for r in routes.get("relays", "").split(",") if r in ("tls", "tcp")]
        via = {"turn/tls": "TURN over TLS", "turn/tcp": "TURN over TCP"}.get(route, "")
        if udp_works:
            where = "directly" if route == "udp" else "through the server's relay over UDP"
            self._add(CheckStep("udp", StepState.PASS, f"UDP gets through; media flows {where}."))
        elif via:
            self._add(
                CheckStep(
                    "udp",
                    StepState.WARN,
                    f"UDP is blocked; media went through {via}.",
                    "Calls work, with a little more delay. Allow outgoing UDP to the "
                    "server for the best quality.",
                )
            )
        else:
            self._add(
                CheckStep(
                    "udp",
                    StepState.FAIL,
                    "UDP does not get through to the server (no answer to STUN on its UDP ports).",
                    "Allow outgoing UDP, or "
                    "use a network that does (a firewall or VPN may block it).",
                )
            )
        names = " and ".join({"tls": "TURN over TLS", "tcp": "TURN over TCP"}[r] for r in relays)
        if via:
            self._add(
                CheckStep("relay", StepState.PASS, f"Media reached the server through {via}.")
            )
        elif relays and not failure:
            self._add(
                CheckStep(
                    "relay",
                    StepState.PASS,
                    f"The server offers {names} for networks that block UDP (not needed here).",
                )
            )
        elif relays:
            self._add(
                CheckStep(
                    "relay",
                    StepState.FAIL,
                    f"{names} was offered but did not get through either.",
                    "Your network blocks the media connection entirely: try another network.",
                )
            )
        else:
            state = StepState.FAIL if failure else StepState.WARN
            self._add(
                CheckStep(
                    "relay",
                    state,
                    "The server offers no TURN over TCP or TLS, so "
                    "where UDP is blocked there is no way around.",
                    "Ask the server's administrator to enable TURN/TLS on port 443.",
                )
            )

    async def _publish_step(self, room: rtc.Room) -> None:
        local = room.local_participant
        assert local is not None
        tasks = TaskSet("network-check")
        try:
            audio, video = rtc.AudioSource(48_000, 1), rtc.VideoSource(320, 240)
            mic = rtc.LocalAudioTrack.create_audio_track("network-check-audio", audio)
            camera = rtc.LocalVideoTrack.create_video_track("network-check-video", video)
            tasks.spawn(_tone(audio), "tone")
            tasks.spawn(_pictures(video), "pictures")
            async with asyncio.timeout(self._media_timeout_s):
                await local.publish_track(
                    mic, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
                )
                await local.publish_track(
                    camera, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
                )
                while not room.media_routes().get("publisher"):  # noqa: ASYNC110 (polled)
                    await asyncio.sleep(0.05)
            route = room.media_routes()["publisher"]
            self._add(
                CheckStep(
                    "publish",
                    StepState.PASS,
                    f"A test tone and picture reached the server ({route}).",
                )
            )
        except (LkdeskError, TimeoutError) as exc:
            why = str(exc) or "the server did not take the tracks in time"
            self._add(
                CheckStep(
                    "publish",
                    StepState.FAIL,
                    f"Publishing failed: {why}.",
                    "Others would not see or hear you. Check the firewall for "
                    "outgoing UDP, or your token's canPublish grant.",
                )
            )
        finally:
            await tasks.aclose()

    async def _rtt_step(self, room: rtc.Room) -> None:
        try:
            rtts = [await room.measure_rtt() for _ in range(3)]
        except (LkdeskError, TimeoutError):
            self._add(
                CheckStep(
                    "rtt",
                    StepState.FAIL,
                    "The server did not answer a ping.",
                    "The connection is unstable; try a wired network.",
                )
            )
            return
        rtt = statistics.median(rtts)
        ms = f"{rtt * 1000:.0f} ms"
        if rtt < 0.15:
            self._add(
                CheckStep(
                    "rtt", StepState.PASS, f"{ms}: conversation will feel natural.", value=rtt
                )
            )
        else:
            self._add(
                CheckStep(
                    "rtt",
                    StepState.WARN,
                    f"{ms}: people will talk over each other.",
                    "Use a server closer to you, or a wired network.",
                    rtt,
                )
            )

    async def _uplink_step(self, room: rtc.Room) -> None:
        try:
            bps = await room.measure_uplink()
        except LkdeskError as exc:
            self._add(CheckStep("uplink", StepState.FAIL, f"Could not measure: {exc}."))
            return
        rate = f"about {bps / 1e6:.1f} Mbit/s" if bps >= 1e6 else f"about {bps / 1e3:.0f} kbit/s"
        if bps >= 1.5e6:
            self._add(
                CheckStep("uplink", StepState.PASS, f"{rate}: enough for HD video.", value=bps)
            )
        elif bps >= 300e3:
            self._add(
                CheckStep(
                    "uplink",
                    StepState.WARN,
                    f"{rate}: enough for audio and small video.",
                    "Others may see you blurry; close uploads or move closer to the Wi-Fi.",
                    bps,
                )
            )
        else:
            self._add(
                CheckStep(
                    "uplink",
                    StepState.FAIL,
                    f"{rate}: too slow for video.",
                    "Turn your camera off in calls, or use another network.",
                    bps,
                )
            )


def _signal_advice(error: LkdeskError) -> str:
    text = str(error).lower()
    if "token" in text or "key" in text or "secret" in text:
        return "Check the token or API key and secret."
    return "Check the server URL and that the server is running; a firewall may block it."


async def _tone(source: rtc.AudioSource) -> None:
    t = np.arange(480) / 48_000
    phase = 0.0
    while True:
        samples = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t + phase)).astype(np.int16)
        phase += 2 * math.pi * 440 * 480 / 48_000
        await source.capture_frame(rtc.AudioFrame(samples.reshape(-1, 1), 48_000, 1))


async def _pictures(source: rtc.VideoSource) -> None:
    frame = np.full((240, 320, 3), 128, dtype=np.uint8)
    n = 0
    while True:
        frame[:, :, 0] = n % 256
        source.capture_frame(rtc.VideoFrame(320, 240, rtc.VideoFormat.RGB24, frame.copy()))
        n += 8
        await asyncio.sleep(1 / 15)
