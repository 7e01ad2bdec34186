"""Time to resume after four network faults: lkdesk vs the official Python SDK, same run.

Run inside the test sandbox (real server, private network namespace), from the repository:
    PYTHONPATH=$PWD bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.resume_times

Each trial puts one client (lkdesk: tests/integration/lkdesk_agent.py; the official SDK:
bench/sdk_agent.py) in a fresh network namespace of its own (tests/integration/netns.py),
joined to the server across a veth link, publishing 320x240 VP8 video (a solid colour with a
frame counter, tests/integration/analysis.py) and subscribed to the observer's. The observer
is an official-SDK participant in the sandbox namespace doing the same. Once video flows both
ways, the fault:

* ``signal-reset``: the client's signalling TCP connection is reset (``ss -K``); times are
  from the reset.
* ``udp-blackout``: every UDP packet in and out of the client's namespace is dropped for 8 s;
  times are from the END of the blackout.
* ``address-change``: the client's namespace moves to a new address (old sockets die); times
  are from the change.
* ``server-crash``: the server is SIGKILLed, stays down 1 s and is started again (every
  session is lost, the observer's too); times are from the moment it answers again.

Measured, on the monotonic clock the processes share: (1) the client's ``reconnected`` event
(and, from the fault's start, its ``reconnecting``); (2) the client's video live again at the
observer; (3) the observer's video live again at the client; and whether the observer saw the
client leave or come back under a new participant sid (a rejoin). A frame is live when it has
the right colour and shows what its sender captured at most 0.5 s later than usual (both
producers number frames at 30 fps on the monotonic clock, so a backlog of frames from the
outage decoded late is recognised). Video is back with the first frame of the first run of
live frames (counter going up, no gap over 0.5 s) begun after the fault that lasts 1 s; it
never froze (0) when one run spans the fault until 1 s after the reference or the
``reconnected`` event. A trial ends when both videos have been live for 3 s, the client is
connected and at least 20 s have passed since the reference (45 s at most). Each round runs
every fault for both clients, back to back, the order of the clients alternating between
rounds. ``--log-dir`` keeps the agents', the observer's and the server's logs; ``--json``
writes every trial's figures and received frames.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc as sdk
from livekit.rtc.room import EventTypes

from tests.integration.analysis import COUNTER_ROWS, content_region, decode_counter, mean_color
from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import NetnsHost, netns_host
from tests.integration.peers import SdkPeer
from tests.integration.remote_lkdesk import RemoteLkdesk, remote_lkdesk

CLIENT = "client"
OBSERVER = "observer"
CLIENT_COLOUR = (220, 30, 200)
OBSERVER_COLOUR = (30, 210, 60)
COLOUR_TOLERANCE = 35.0
AGENTS = {"lkdesk": "tests.integration.lkdesk_agent", "sdk": "bench.sdk_agent"}
FPS = 30  # both producers number their frames at this rate (peers.py, lkdesk_media.py)
CONNECTED = 1  # ConnectionState.CONN_CONNECTED in both clients

BLACKOUT_S = 8.0
CRASH_DOWN_S = 1.0
STEADY_S = 3.0  # video flowing both ways this long before the fault
FREEZE_S = 0.5  # no new frame for longer than this breaks a run of live video
STALE_S = 0.5  # a frame shown this much later than usual is backlog, not live video
RUN_S = 1.0  # video is back with the first run of live video this long
HOLD_S = 3.0  # both videos live this long ends the observation...
MIN_OBSERVE_S = 20.0  # ...but not before this long after the reference: a client whose
#: media came back may still lose its signalling later (the SDK notices a dead socket after a
#: ping timeout of about 12-15 s)
MAX_OBSERVE_S = 45.0
POLL_S = 1.0

#: The observer's own events, and what it sees of the client, recorded with their times.
RECORDED: tuple[EventTypes, ...] = (
    "participant_connected",
    "participant_disconnected",
    "track_subscribed",
    "reconnecting",
    "reconnected",
    "disconnected",
)

Frame = list[Any]  # [monotonic time, counter, [r, g, b]]
Fault = Callable[[NetnsHost, LiveKitServer], Awaitable[None]]


# -- faults --------------------------------------------------------------------------------


async def signal_reset(host: NetnsHost, server: LiveKitServer) -> None:
    if host.reset_tcp(server.ports.http) < 1:
        raise RuntimeError("no signalling connection to reset")


async def udp_blackout(host: NetnsHost, _server: LiveKitServer) -> None:
    with host.udp_blackout():
        await asyncio.sleep(BLACKOUT_S)


async def address_change(host: NetnsHost, _server: LiveKitServer) -> None:
    host.change_address()


async def server_crash(_host: NetnsHost, server: LiveKitServer) -> None:
    await asyncio.to_thread(server.restart, CRASH_DOWN_S)


#: fault name -> (injection, whether times count from its end rather than its start)
FAULTS: dict[str, tuple[Fault, bool]] = {
    "signal-reset": (signal_reset, False),
    "udp-blackout": (udp_blackout, True),
    "address-change": (address_change, False),
    "server-crash": (server_crash, True),
}


# -- video analysis ---------------------------------------------------------------------------


def colour_ok(frame: Frame, expected: tuple[int, int, int]) -> bool:
    return all(
        abs(float(c) - e) < COLOUR_TOLERANCE for c, e in zip(frame[2], expected, strict=True)
    )


Live = Callable[[Frame], bool]


def live_test(frames: list[Frame], expected: tuple[int, int, int], before: float) -> Live:
    """Whether a frame is live: the right colour, and showing what its sender captured no
    later than ``STALE_S`` beyond the usual delay. Both producers number their frames at
    ``FPS`` on the monotonic clock, so ``time - counter / FPS`` is constant for live frames;
    its median over the frames received before ``before`` (the fault) is the usual delay. A
    backlog of frames from the outage, decoded late, is not live video."""
    offsets = [f[0] - f[1] / FPS for f in frames if f[0] < before and colour_ok(f, expected)]
    usual = statistics.median(offsets) if offsets else 0.0
    return lambda f: colour_ok(f, expected) and f[0] - f[1] / FPS - usual < STALE_S


def runs(frames: list[Frame], live: Live) -> list[tuple[float, float]]:
    """Runs of live video, (first, last frame time): split where no frame came for over
    ``FREEZE_S``, a frame is not live or the counter did not go up."""
    found: list[tuple[float, float]] = []
    first = last = 0.0
    previous: Frame | None = None
    for frame in frames:
        if not live(frame):
            if previous is not None:
                found.append((first, last))
            previous = None
            continue
        if previous is not None and frame[0] - previous[0] <= FREEZE_S and frame[1] > previous[1]:
            last = frame[0]
        else:
            if previous is not None:
                found.append((first, last))
            first = last = frame[0]
        previous = frame
    if previous is not None:
        found.append((first, last))
    return found


def live_since(frames: list[Frame], live: Live, now: float) -> float | None:
    """Start of the run of live video still going on at ``now``."""
    found = runs(frames, live)
    if found and now - found[-1][1] <= FREEZE_S:
        return found[-1][0]
    return None


def video_back(
    frames: list[Frame], live: Live, start: float, settled: float, end: float
) -> float | None:
    """When video came back for good after the fault began at ``start``: ``start`` itself if
    one run spans ``start`` to ``settled`` (it never froze), else the first frame of the first
    run begun after ``start`` that lasts ``RUN_S`` or reaches ``end`` (a shorter burst followed
    by another freeze is part of the outage); None if there is no such run."""
    found = runs(frames, live)
    if any(first <= start and last >= settled for first, last in found):
        return start
    for first, last in found:
        if first > start and (last - first >= RUN_S or end - last <= FREEZE_S):
            return first
    return None


def glitches(frames: list[Frame]) -> int:
    """Steps where the counter did not go up although frames kept coming (misread, repeat)."""
    return sum(1 for a, b in itertools.pairwise(frames) if b[0] - a[0] <= FREEZE_S and b[1] <= a[1])


def gaps(frames: list[Frame], after: float, before: float, ref: float) -> list[list[float]]:
    """Freezes (no frame for over ``FREEZE_S``) between ``after`` and ``before``, from ``ref``."""
    times = [after] + [f[0] for f in frames if after < f[0] < before] + [before]
    return [
        [round(a - ref, 2), round(b - ref, 2)]
        for a, b in itertools.pairwise(times)
        if b - a > FREEZE_S
    ]


# -- the observer -------------------------------------------------------------------------------


class Observer:
    """The other participant: an SDK peer in the sandbox namespace, with timed events."""

    def __init__(self, peer: SdkPeer) -> None:
        self.peer = peer
        self.events: list[dict[str, Any]] = []
        self.frames: list[Frame] = []
        self._tasks: set[asyncio.Task[None]] = set()
        for name in RECORDED:
            peer.room.on(name, self._recorder(name))
        peer.room.on("track_subscribed", self._on_track)

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            who = next((a for a in args if hasattr(a, "identity")), None)
            self.events.append(
                {
                    "event": name,
                    "t": time.monotonic(),
                    "identity": getattr(who, "identity", None),
                    "sid": getattr(who, "sid", None),
                }
            )

        return record

    def _on_track(self, track: Any, _publication: Any, participant: Any) -> None:
        if participant.identity == CLIENT and track.kind == sdk.TrackKind.KIND_VIDEO:
            task = asyncio.create_task(self._watch(track))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _watch(self, track: sdk.RemoteTrack) -> None:
        # The newest two frames, like lkdesk's agent: a consumer slowed by a loaded machine
        # must not build a queue of old frames (it would look like a backlog).
        stream = sdk.VideoStream(track, capacity=2, format=sdk.VideoBufferType.RGB24)
        try:
            async for event in stream:
                now = time.monotonic()
                frame = event.frame
                rgb = np.frombuffer(frame.data, dtype=np.uint8)
                rgb = rgb.reshape(frame.height, frame.width, 3)
                if frame.height <= COUNTER_ROWS:
                    continue  # not a test frame (seen as a track ends)
                colour = mean_color(rgb, content_region(frame.width, frame.height))
                self.frames.append([now, decode_counter(rgb), list(colour)])
        finally:
            await stream.aclose()

    def client_events(self, name: str, since: float) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e["event"] == name and e["identity"] == CLIENT and e["t"] >= since
        ]

    def own(self, name: str, since: float) -> list[float]:
        return [e["t"] for e in self.events if e["event"] == name and e["t"] >= since]

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.peer.aclose()


@contextlib.asynccontextmanager
async def observer_in(server: LiveKitServer, room: str) -> AsyncIterator[Observer]:
    peer = SdkPeer(server.ws_url, server.token(OBSERVER, room))
    await peer.connect()
    observer = Observer(peer)
    try:
        await peer.publish_video(color=OBSERVER_COLOUR)
        yield observer
    finally:
        await observer.aclose()


# -- one trial ----------------------------------------------------------------------------------


@dataclass
class Trial:
    client: str
    fault: str
    round: int
    from_end: bool
    at: str = ""  # wall-clock time of the fault (to find it in the logs)
    fault_s: float = 0.0  # how long injecting the fault took (the blackout, the restart)
    reconnecting_s: float | None = None  # first `reconnecting`, from the fault's START
    reconnected_s: float | None = None  # first `reconnected` after the fault, from the reference
    video_at_observer_s: float | None = None  # (2), from the reference; 0 = never froze
    video_at_client_s: float | None = None  # (3), from the reference; 0 = never froze
    gaps_at_observer: list[list[float]] = field(default_factory=list)  # freezes, from the ref
    gaps_at_client: list[list[float]] = field(default_factory=list)
    glitches: list[int] = field(default_factory=list)  # at the observer, at the client
    stale: list[int] = field(default_factory=list)  # backlog frames shown late, likewise
    reconnects: int = 0  # `reconnecting` events after the fault
    left_seen: int = 0  # the observer's participant_disconnected for the client
    new_session: bool = False  # the observer saw the client under a new sid
    sid_changed: bool = False  # the client's own sid after != before
    republished: int = 0  # SDK only: local_track_republished (its full-reconnect path)
    observer_reconnected_s: float | None = None  # the observer's own reconnect (server crash)
    timed_out: bool = False
    error: str = ""
    client_events: list[str] = field(default_factory=list)
    frames: dict[str, list[list[Any]]] = field(default_factory=dict)  # [t from ref, counter, live]

    @property
    def rejoin(self) -> bool:
        return self.left_seen > 0 or self.new_session or self.sid_changed


async def run_trial(
    server: LiveKitServer, client: str, fault_name: str, round_no: int, log_dir: Path
) -> Trial:
    fault, from_end = FAULTS[fault_name]
    trial = Trial(client, fault_name, round_no, from_end)
    room = f"resume-{fault_name}-{client}-{round_no}"
    trial_logs = log_dir / f"{fault_name}-{client}-{round_no}"
    trial_logs.mkdir(parents=True, exist_ok=True)
    with netns_host() as host:
        async with (
            remote_lkdesk(host, trial_logs, module=AGENTS[client]) as agent,
            observer_in(server, room) as observer,
        ):
            try:
                await measure(trial, agent, observer, host, server, fault, room)
            except Exception as exc:  # noqa: BLE001 - one failed trial must not end the run
                trial.error = f"{type(exc).__name__}: {exc}"
                print(f"  ! {client} {fault_name} round {round_no}: {trial.error}")
                print(f"--- agent log ---\n{agent.log_tail(40)}")
    return trial


async def more_frames(agent: RemoteLkdesk, frames: list[Frame], since: float) -> list[Frame]:
    """``frames`` with the ones the client decoded after them (or after ``since``) appended:
    only new frames cross the pipe, whose lines must stay short."""
    after = frames[-1][0] + 1e-6 if frames else since
    new: list[Frame] = await agent.call("frame_log", identity=OBSERVER, since=after)
    return frames + new


async def measure(
    trial: Trial,
    agent: RemoteLkdesk,
    observer: Observer,
    host: NetnsHost,
    server: LiveKitServer,
    fault: Fault,
    room: str,
) -> None:
    joined = await agent.call("connect", url=server.lan_ws_url, token=server.token(CLIENT, room))
    await agent.call("publish_video", color=list(CLIENT_COLOUR))
    async with asyncio.timeout(20):
        while True:
            recent = time.monotonic() - 1.0
            if observer.frames and await agent.call("frame_log", identity=OBSERVER, since=recent):
                break
            await asyncio.sleep(0.2)
    await asyncio.sleep(STEADY_S)
    first_sids = {e["sid"] for e in observer.events if e["identity"] == CLIENT}

    start = time.monotonic()
    trial.at = time.strftime("%H:%M:%S")
    await fault(host, server)
    end = time.monotonic()
    ref = end if trial.from_end else start
    trial.fault_s = end - start
    window = start - 2.0

    at_client: list[Frame] = await more_frames(agent, [], window)
    at_observer = [f for f in observer.frames if f[0] >= window]
    live_at_client = live_test(at_client, OBSERVER_COLOUR, start)
    live_at_observer = live_test(at_observer, CLIENT_COLOUR, start)
    while True:
        await asyncio.sleep(POLL_S)
        now = time.monotonic()
        at_client = await more_frames(agent, at_client, window)
        at_observer = [f for f in observer.frames if f[0] >= window]
        state = await agent.call("state")
        lives = (
            live_since(at_client, live_at_client, now),
            live_since(at_observer, live_at_observer, now),
        )
        settled = state["state"] == CONNECTED and all(
            live is not None and live <= now - HOLD_S for live in lives
        )
        if settled and now - ref >= MIN_OBSERVE_S:
            break
        if now - ref >= MAX_OBSERVE_S:
            trial.timed_out = True
            break

    events = [e for e in agent.events if e["t"] >= start]
    trial.client_events = [f"{e['event']}@{e['t'] - ref:+.2f}" for e in events]
    reconnecting = [e["t"] for e in events if e["event"] == "reconnecting"]
    reconnected = [e["t"] for e in events if e["event"] == "reconnected"]
    trial.reconnects = len(reconnecting)
    if reconnecting:
        trial.reconnecting_s = reconnecting[0] - start
    if reconnected:
        trial.reconnected_s = reconnected[0] - ref
    trial.republished = sum(1 for e in events if e["event"] == "local_track_republished")

    # A freeze the fault causes begins before the client is back (+1 s): video running
    # from the fault's start until then never froze.
    settled_at = max([ref, *reconnected[:1]]) + 1.0
    back_at_client = video_back(at_client, live_at_client, start, settled_at, now)
    back_at_observer = video_back(at_observer, live_at_observer, start, settled_at, now)
    if back_at_client is not None:
        trial.video_at_client_s = max(0.0, back_at_client - ref)
    if back_at_observer is not None:
        trial.video_at_observer_s = max(0.0, back_at_observer - ref)
    trial.gaps_at_client = gaps(at_client, start, now, ref)
    trial.gaps_at_observer = gaps(at_observer, start, now, ref)
    trial.glitches = [glitches(at_observer), glitches(at_client)]
    trial.stale = [
        sum(1 for f in frames if f[0] > start and colour_ok(f, colour) and not live(f))
        for frames, colour, live in (
            (at_observer, CLIENT_COLOUR, live_at_observer),
            (at_client, OBSERVER_COLOUR, live_at_client),
        )
    ]
    trial.frames = {
        side: [[round(f[0] - ref, 3), f[1], live(f)] for f in frames]
        for side, frames, live in (
            ("at_observer", at_observer, live_at_observer),
            ("at_client", at_client, live_at_client),
        )
    }

    trial.left_seen = len(observer.client_events("participant_disconnected", start))
    later_sids = {e["sid"] for e in observer.events if e["identity"] == CLIENT and e["t"] >= start}
    trial.new_session = bool(later_sids - first_sids)
    final = await agent.call("state")
    trial.sid_changed = final["sid"] != joined["sid"]
    observer_back = observer.own("reconnected", start)
    if observer_back:
        trial.observer_reconnected_s = observer_back[0] - ref


# -- the run ----------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(lk: float | None, ref: float | None) -> str:
    if lk is None or ref is None:
        return "n/a"
    if ref <= 0.0:
        return "n/a (both 0)" if lk <= 0.0 else "n/a (SDK 0)"
    return f"{lk / ref:.2f}×"


def print_trial(t: Trial) -> None:
    print(
        f"  {t.at} {t.client:6s} {t.fault:14s} r{t.round}: reconnected {fmt(t.reconnected_s)}, "
        f"video at observer {fmt(t.video_at_observer_s)} (freezes {t.gaps_at_observer}),"
        f" at client {fmt(t.video_at_client_s)} (freezes {t.gaps_at_client}); "
        f"reconnecting {fmt(t.reconnecting_s)} x{t.reconnects}, left seen {t.left_seen}, "
        f"new sid {t.new_session}/{t.sid_changed}, republished {t.republished}, "
        f"observer reconnected {fmt(t.observer_reconnected_s)}, "
        f"counter glitches {t.glitches}, stale frames {t.stale}"
        f"{', TIMED OUT' if t.timed_out else ''}{', ERROR ' + t.error if t.error else ''}"
    )
    print(f"         events: {', '.join(t.client_events) or 'none'}")


def spread(values: list[float | None]) -> str:
    """Median and range of the rounds that have a value; "—" when none has."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return "—"
    middle = statistics.median(present)
    missing = len(values) - len(present)
    note = f", {missing}× none" if missing else ""
    return f"{middle:.2f} s ({present[0]:.2f}–{present[-1]:.2f}{note})"


def summary(trials: list[Trial], faults: list[str]) -> None:
    columns = ("reconnecting (from start)", "reconnected", "video at observer", "video at client")
    print(f"\n| fault (times from) | client | {' | '.join(columns)} | rejoin seen | ok rounds |")
    print("|---|---|---|---|---|---|---|---|")
    for fault in faults:
        medians: dict[str, list[float | None]] = {}
        for client in AGENTS:
            mine = [t for t in trials if t.fault == fault and t.client == client]
            ok = [t for t in mine if not t.error]
            values = [
                [t.reconnecting_s for t in ok],
                [t.reconnected_s for t in ok],
                [t.video_at_observer_s for t in ok],
                [t.video_at_client_s for t in ok],
            ]
            medians[client] = [median(v) for v in values]
            rejoins = sum(t.rejoin for t in ok)
            origin = "end" if FAULTS[fault][1] else "start"
            print(
                f"| {fault} ({origin}) | {client} | {' | '.join(spread(v) for v in values)} | "
                f"{rejoins}/{len(ok)} | {len(ok)}/{len(mine)} |"
            )
        ratios = [ratio(a, b) for a, b in zip(medians["lkdesk"], medians["sdk"], strict=True)]
        print(f"| {fault} | ratio lkdesk/SDK (medians) | {' | '.join(ratios)} | | |")
    for fault in faults:
        for client in AGENTS:
            own = [
                t.observer_reconnected_s
                for t in trials
                if t.fault == fault and t.client == client and not t.error
            ]
            if any(v is not None for v in own):
                print(f"observer's own reconnect, {fault}, {client}'s trials: {spread(own)}")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def finish(
    args: argparse.Namespace, trials: list[Trial], log_dir: Path, server: LiveKitServer
) -> None:
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(t) for t in trials], indent=1))
    if args.log_dir:
        with contextlib.suppress(OSError):
            shutil.copy(server.log_path, log_dir / "livekit-server.log")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    shutil.rmtree(server.workdir, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    log_dir = Path(args.log_dir) if args.log_dir else Path(tempfile.mkdtemp(prefix="resume-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(  # the observer's SDK logs (its reconnects) go there, not to stdout
        filename=log_dir / "observer.log",
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    print(f"load before: {loadavg()}; agent logs in {log_dir}")
    server = LiveKitServer.create()
    server.start()
    trials: list[Trial] = []
    try:
        for round_no in range(1, args.rounds + 1):
            clients = list(AGENTS) if round_no % 2 else list(reversed(AGENTS))
            for fault in args.faults:
                for client in clients:
                    trial = await run_trial(server, client, fault, round_no, log_dir)
                    trials.append(trial)
                    print_trial(trial)
                    await asyncio.sleep(1.0)
    finally:
        server.stop(remove_workdir=False)
        print(f"load after: {loadavg()}")
        finish(args, trials, log_dir, server)
    summary(trials, args.faults)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--faults", nargs="+", choices=list(FAULTS), default=list(FAULTS))
    parser.add_argument("--log-dir", help="keep the agents' logs here (default: discarded)")
    parser.add_argument("--json", help="write every trial's figures to this file")
    asyncio.run(main(parser.parse_args()))
