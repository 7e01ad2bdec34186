"""A real browser peer for lkdesk's tests: livekit-client in headless Chromium.

:class:`BrowserPeer` starts ``node driver.mjs`` (playwright-core driving Debian's
``/usr/bin/chromium``, never a downloaded browser) and talks to it in JSON lines. The page
(``peer.html`` / ``peer.js``) publishes a canvas camera track of one solid colour and a
WebAudio oscillator microphone track, and measures what it receives: the mean colour of each
remote video track and the dominant frequency of each remote audio track.

Like every WebRTC peer here it must run inside the sandbox network namespace
(tests/sandbox/run-in-sandbox.sh): libwebrtc ignores loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

_log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "driver.mjs"
NODE_MODULES = HERE / "node_modules"
INSTALL_HINT = "run scripts/install-test-deps.sh"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 60.0
QUIT_TIMEOUT_S = 15.0
LOG_LINES = 2000
STDOUT_LIMIT = 32 * 1024 * 1024  # one getState() reply is one line

State = dict[str, Any]
Predicate = Callable[[State], object]


class BrowserPeerError(RuntimeError):
    """The browser peer failed (driver died, command failed or timed out)."""


class BrowserPeerUnavailable(BrowserPeerError):
    """Something the browser peer needs is not installed."""


def chromium_path() -> Path:
    return Path(os.environ.get("LKDESK_CHROMIUM", DEFAULT_CHROMIUM))


def check_dependencies() -> str:
    """Return the node executable; raise :class:`BrowserPeerUnavailable` naming what is missing."""
    node = shutil.which("node")
    missing: list[str] = []
    if node is None:
        missing.append("node (Node.js >= 20) on PATH")
    chromium = chromium_path()
    if not chromium.is_file() or not os.access(chromium, os.X_OK):
        missing.append(f"Chromium at {chromium} (apt package 'chromium')")
    for package in ("livekit-client", "playwright-core"):
        if not (NODE_MODULES / package / "package.json").is_file():
            missing.append(f"{NODE_MODULES / package} (npm ci in {HERE})")
    if missing:
        raise BrowserPeerUnavailable(
            "browser peer unavailable, missing: " + "; ".join(missing) + f" -- {INSTALL_HINT}"
        )
    assert node is not None
    return node


def _pids_using_profile(profile: Path) -> list[int]:
    """Browser processes started with ``--user-data-dir=<profile>`` (our unique temp dir)."""
    needle = f"--user-data-dir={profile}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline.split(b"\0"):
            found.append(int(entry.name))
    return found


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class BrowserPeer:
    """One Chromium tab running livekit-client. Use as ``async with BrowserPeer("alice") as p``."""

    def __init__(
        self,
        name: str = "browser",
        *,
        start_timeout: float = START_TIMEOUT_S,
        call_timeout: float = CALL_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.info: dict[str, Any] = {}
        self.joined: dict[str, Any] = {}
        self._log_lines: deque[str] = deque(maxlen=LOG_LINES)
        self._proc: asyncio.subprocess.Process | None = None
        self._profile: Path | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        node = check_dependencies()
        self._profile = Path(tempfile.mkdtemp(prefix=f"lkdesk-chromium-{self.name}-"))
        env = dict(os.environ)
        env.update(
            PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
            PLAYWRIGHT_BROWSERS_PATH="0",
            LKDESK_BROWSER_PROFILE=str(self._profile),
            LKDESK_CHROMIUM=str(chromium_path()),
        )
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._proc = await asyncio.create_subprocess_exec(
            node,
            str(DRIVER),
            cwd=HERE,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so aclose() can end it whole
            limit=STDOUT_LIMIT,
        )
        _log.info("[%s] driver pid %d, profile %s", self.name, self._proc.pid, self._profile)
        self._tasks = [
            asyncio.create_task(self._read_stdout(), name=f"browser-peer-{self.name}-stdout"),
            asyncio.create_task(self._read_stderr(), name=f"browser-peer-{self.name}-stderr"),
        ]
        try:
            self.info = await asyncio.wait_for(asyncio.shield(self._ready), self.start_timeout)
        except TimeoutError as exc:
            raise BrowserPeerError(
                f"[{self.name}] browser did not become ready in {self.start_timeout:.0f} s\n"
                f"{self.log_tail()}"
            ) from exc
        _log.info(
            "[%s] ready: Chromium %s, livekit-client %s",
            self.name,
            self.info.get("browserVersion"),
            self.info.get("sdkVersion"),
        )

    async def aclose(self) -> None:
        """Quit the driver (it closes Chromium); kill whatever is left; remove the profile."""
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            try:
                await self._send({"id": self._take_id(), "cmd": "quit"})
                if proc.stdin is not None:
                    proc.stdin.close()
                await asyncio.wait_for(proc.wait(), QUIT_TIMEOUT_S)
            except (TimeoutError, BrowserPeerError, ConnectionError, OSError) as exc:
                _log.warning("[%s] driver did not quit cleanly (%r); killing it", self.name, exc)
                _kill_group(proc.pid)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), QUIT_TIMEOUT_S)
        if proc is not None:
            # The driver has its own process group; Chromium (started detached by playwright)
            # has another. Normally both are gone by now.
            _kill_group(proc.pid)
        if self._profile is not None:
            await self._kill_browser_processes(self._profile)
            shutil.rmtree(self._profile, ignore_errors=True)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._fail_pending(BrowserPeerError(f"[{self.name}] browser peer closed"))
        if proc is not None:
            _log.info("[%s] driver exited with %s", self.name, proc.returncode)

    async def _kill_browser_processes(self, profile: Path) -> None:
        deadline = time.monotonic() + 5.0
        while pids := _pids_using_profile(profile):
            if time.monotonic() > deadline:
                _log.warning("[%s] killing leftover Chromium processes %s", self.name, pids)
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        _kill_group(os.getpgid(pid))
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5.0
            await asyncio.sleep(0.1)

    # -- protocol ----------------------------------------------------------------------------

    def _take_id(self) -> int:
        msg_id = self._next_id
        self._next_id += 1
        return msg_id

    async def _send(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise BrowserPeerError(f"[{self.name}] driver is not running\n{self.log_tail()}")
        proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()

    async def call(self, cmd: str, *, timeout_s: float | None = None, **args: Any) -> Any:
        """Run one driver command and return its result; raise :class:`BrowserPeerError`.

        ``timeout_s`` defaults to the peer's ``call_timeout``."""
        if self._closed:
            raise BrowserPeerError(f"[{self.name}] browser peer is closed")
        msg_id = self._take_id()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        limit = self.call_timeout if timeout_s is None else timeout_s
        try:
            await self._send({"id": msg_id, "cmd": cmd, "args": args})
            return await asyncio.wait_for(fut, limit)
        except TimeoutError as exc:
            raise BrowserPeerError(
                f"[{self.name}] {cmd} timed out after {limit:.0f} s\n{self.log_tail()}"
            ) from exc
        finally:
            self._pending.pop(msg_id, None)

    async def _read_stdout(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            while line := await proc.stdout.readline():
                self._dispatch(line)
        finally:
            await proc.wait()
            err = BrowserPeerError(
                f"[{self.name}] driver exited with {proc.returncode}\n{self.log_tail()}"
            )
            self._fail_pending(err)

    def _dispatch(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            self._log_lines.append(f"[stdout] {line.decode(errors='replace').rstrip()}")
            return
        if msg.get("event") == "ready":
            if self._ready is not None and not self._ready.done():
                if msg.get("ok"):
                    self._ready.set_result(msg.get("result") or {})
                else:
                    self._ready.set_exception(
                        BrowserPeerError(f"[{self.name}] driver failed: {msg.get('error')}")
                    )
            return
        fut = self._pending.get(msg.get("id"))
        if fut is None or fut.done():
            return
        if msg.get("ok"):
            fut.set_result(msg.get("result"))
        else:
            fut.set_exception(BrowserPeerError(f"[{self.name}] {msg.get('error')}"))

    async def _read_stderr(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stderr is not None
        while line := await proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            self._log_lines.append(text)
            _log.debug("[%s] %s", self.name, text)

    def _fail_pending(self, err: BrowserPeerError) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(err)
            self._ready.exception()  # mark retrieved: start() may never await it
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(err)
        self._pending.clear()

    # -- logs ----------------------------------------------------------------------------------

    @property
    def log_text(self) -> str:
        """Everything the driver and the page wrote to stderr (last ``LOG_LINES`` lines)."""
        return "\n".join(self._log_lines)

    def log_tail(self, lines: int = 40) -> str:
        tail = list(self._log_lines)[-lines:]
        return f"--- {self.name} browser log (last {len(tail)} lines) ---\n" + "\n".join(tail)

    # -- convenience ---------------------------------------------------------------------------

    async def join(
        self,
        url: str,
        token: str,
        *,
        vp9_with_vp8_backup: bool = True,
        simulcast: bool = True,
        color: tuple[int, int, int] = (0, 0, 255),
        tone_hz: float = 660,
        single_peer_connection: bool | None = None,
        publish_video: bool = True,
        publish_audio: bool = True,
        timeout_s: float | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Connect and publish. ``vp9_with_vp8_backup`` gives LiveKit Meet's camera settings
        (VP9, VP8 backup codec, RED, dynacast, adaptive stream); False gives plain VP8.
        ``single_peer_connection=None`` leaves the SDK default. Extra ``options`` go to
        peer.js as they are (e.g. ``dtx``, ``width``, ``fps``, ``rtcConfig``)."""
        opts: dict[str, Any] = {
            "videoCodec": "vp9" if vp9_with_vp8_backup else "vp8",
            "backupCodec": "vp8" if vp9_with_vp8_backup else None,
            "simulcast": simulcast,
            "dynacast": vp9_with_vp8_backup,
            "adaptiveStream": vp9_with_vp8_backup,
            "color": list(color),
            "toneHz": tone_hz,
            "publishVideo": publish_video,
            "publishAudio": publish_audio,
        }
        if single_peer_connection is not None:
            opts["singlePeerConnection"] = single_peer_connection
        opts.update(options)
        result: dict[str, Any] = await self.call(
            "join", url=url, token=token, options=opts, timeout_s=timeout_s
        )
        self.joined = result
        _log.info("[%s] joined: %s", self.name, json.dumps(result))
        return result

    async def republish_camera(self, **options: Any) -> dict[str, Any]:
        """Unpublish the camera and publish it again with other peer.js options (e.g.
        ``videoCodec``, ``backupCodec``, ``scalabilityMode``, ``color``): a codec switch."""
        result: dict[str, Any] = await self.call("republishCamera", options=options)
        _log.info("[%s] republished camera: %s", self.name, json.dumps(result))
        return result

    async def send_chat(
        self, text: str, *, legacy: bool = False, chat_packet: bool = False, edit_id: str = ""
    ) -> dict[str, Any]:
        """Send chat as a text stream on ``lk.chat`` (plus a legacy ``lk-chat-topic`` packet),
        or with ``chat_packet`` as livekit-client's deprecated ChatMessage packet (``edit_id``
        edits an earlier one)."""
        options = {"legacy": legacy, "chatPacket": chat_packet, "editId": edit_id}
        result: dict[str, Any] = await self.call("sendChat", text=text, options=options)
        return result

    async def send_transcription(
        self, pieces: list[str], attributes: dict[str, str]
    ) -> dict[str, Any]:
        """One ``lk.transcription`` text stream written piece by piece (``streamText``)."""
        result: dict[str, Any] = await self.call(
            "sendTranscription", pieces=pieces, attributes=attributes
        )
        return result

    async def state(self) -> State:
        result: State = await self.call("getState")
        return result

    async def leave(self) -> None:
        await self.call("leave")

    async def wait_for(
        self,
        predicate: Predicate,
        timeout_s: float = 30.0,
        *,
        interval: float = 0.25,
        consecutive: int = 1,
        what: str = "condition",
    ) -> State:
        """Poll :meth:`state` until ``predicate(state)`` is truthy in ``consecutive`` polls in a
        row (use > 1 for measurements that settle, like a tone just after subscribing); return
        the last state."""
        deadline = time.monotonic() + timeout_s
        last: State = {}
        streak = 0
        while True:
            last = await self.state()
            streak = streak + 1 if predicate(last) else 0
            if streak >= consecutive:
                return last
            if time.monotonic() >= deadline:
                raise BrowserPeerError(
                    f"[{self.name}] timed out after {timeout_s:.0f} s waiting for {what}; "
                    f"last state:\n{summarize(last)}\n{self.log_tail()}"
                )
            await asyncio.sleep(interval)


# -- helpers for reading a state -------------------------------------------------------------


def remote_tracks(state: State, kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Measured subscribed remote tracks (``remoteTracks``), optionally of one kind."""
    for track in state.get("remoteTracks", []):
        if kind is None or track.get("kind") == kind:
            yield track


def track_owner(state: State, sid: str) -> str | None:
    for participant in state.get("participants", []):
        for track in participant.get("tracks", []):
            if track.get("sid") == sid:
                owner: str = participant["identity"]
                return owner
    return None


def chat_texts(state: State, *, sender: str | None = None, via: str = "lk.chat") -> list[str]:
    return [
        c["text"]
        for c in state.get("chat", [])
        if c.get("via") == via and (sender is None or c.get("from") == sender)
    ]


def summarize(state: State) -> str:
    """A short human-readable digest of a state for failure messages."""
    brief = {
        "connectionState": state.get("connectionState"),
        "pcMode": state.get("pcMode"),
        "sentVideoMimeTypes": state.get("sentVideoMimeTypes"),
        "participants": state.get("participants"),
        "remoteTracks": [
            {k: v for k, v in t.items() if k != "inbound"} for t in state.get("remoteTracks", [])
        ],
        "chat": state.get("chat"),
        "events": state.get("events", [])[-15:],
    }
    return json.dumps(brief, indent=1, default=str)
