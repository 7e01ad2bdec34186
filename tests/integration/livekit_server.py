"""Start and stop the real LiveKit server (``livekit-server --dev``) for integration tests.

The server runs inside the sandbox's network namespace (see tests/sandbox/run-in-sandbox.sh):
signalling on 127.0.0.1, media candidates on the veth address ``LKDESK_NETNS_IP``, and the
only STUN/TURN server it hands out is its own embedded TURN server on that address, so no
peer ever contacts anything outside the namespace.

Options for the connectivity tests (issue 14): :class:`TurnTls` adds the embedded TURN
server's TLS listener (``turns:<domain>:443?transport=tcp`` in the JoinResponse, the
certificate from a test CA), and ``node_ip``/``bind`` put the server on an IPv6 address only.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jwt.warnings import InsecureKeyLengthWarning
from livekit import api

_log = logging.getLogger(__name__)

SERVER_VERSION = "v1.13.5"
API_KEY = "devkey"  # the pair `--dev` installs when the config has no keys
API_SECRET = "secret"
START_DEADLINE_S = 20.0
STOP_GRACE_S = 5.0


def default_server_path() -> Path:
    """Where scripts/install-test-deps.sh caches the server binary."""
    explicit = os.environ.get("LKDESK_LIVEKIT_SERVER")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("LKDESK_CACHE", Path.home() / ".cache" / "lkdesk"))
    return cache / f"livekit-server-{SERVER_VERSION}" / "bin" / "server"


def netns_ip() -> str:
    return os.environ.get("LKDESK_NETNS_IP", "10.77.0.1")


def _free_port(kind: int, host: str = "0.0.0.0") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _port_is_free(kind: int, port: int, host: str = "0.0.0.0") -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


RELAY_PORTS = 8  # TURN allocations: every peer's two PCs, per TURN URL it was given


def _free_udp_range(count: int = RELAY_PORTS) -> int:
    """First port of ``count`` consecutive free UDP ports (TURN relay range)."""
    for _ in range(50):
        port = _free_port(socket.SOCK_DGRAM)
        if port + count <= 65535 and all(
            _port_is_free(socket.SOCK_DGRAM, port + i) for i in range(1, count)
        ):
            return port
    raise RuntimeError(f"no {count} consecutive free UDP ports")


@dataclass(frozen=True)
class ServerPorts:
    http: int
    rtc_tcp: int
    rtc_udp: int
    turn_udp: int
    relay_start: int

    @classmethod
    def pick(cls) -> ServerPorts:
        relay = _free_udp_range()
        taken = set(range(relay, relay + RELAY_PORTS))
        picked: list[int] = []
        for kind in (socket.SOCK_STREAM, socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_DGRAM):
            port = _free_port(kind)
            while port in taken:
                port = _free_port(kind)
            taken.add(port)
            picked.append(port)
        return cls(picked[0], picked[1], picked[2], picked[3], relay)


@dataclass(frozen=True)
class TurnTls:
    """The embedded TURN server's TLS listener: ``domain`` is what the JoinResponse names
    (``turns:<domain>:443``), so the listener is on port 443 of the node address."""

    domain: str
    cert_file: Path
    key_file: Path
    port: int = 443


def render_config(
    ports: ServerPorts,
    node_ip: str,
    log_level: str = "info",
    *,
    turn_tls: TurnTls | None = None,
    bind: tuple[str, ...] | None = None,
) -> str:
    """YAML config; key names checked against livekit-server v1.13.5 pkg/config/config.go
    and mediatransportutil pkg/rtcconfig/config.go.

    The TURN relay may send to the node address (a private one here): livekit refuses
    relaying to private peers unless ``allow_restricted_peer_cidrs`` lists them.
    """
    host = f"[{node_ip}]" if ":" in node_ip else node_ip
    stun = f"{host}:{ports.turn_udp}"
    binds = ", ".join(f'"{b}"' for b in (bind or ("127.0.0.1", node_ip)))
    prefix = 128 if ":" in node_ip else 32
    # An explicit bind (IPv6 only): offer ICE candidates on the node address only.
    ips = f'\n  ips:\n    includes: ["{node_ip}/{prefix}"]' if bind is not None else ""
    # TURN listens on the node address only: bound to 0.0.0.0 in a namespace with several
    # addresses it answers a namespace host (netns.py) from the address of the veth facing it,
    # and a client's connected UDP socket (aioice's, and lkdesk's probe) drops that answer.
    turn_bind = f'\n  bind_addresses: ["{node_ip}"]'
    tls = ""
    if turn_tls is not None:
        tls = f"""
  domain: {turn_tls.domain}
  tls_port: {turn_tls.port}
  cert_file: {turn_tls.cert_file}
  key_file: {turn_tls.key_file}"""
    return f"""\
port: {ports.http}
bind_addresses: [{binds}]
log_level: {log_level}
logging:
  pion_level: error
rtc:
  tcp_port: {ports.rtc_tcp}
  udp_port: {ports.rtc_udp}
  use_external_ip: false
  node_ip: {node_ip}{ips}
  allow_tcp_fallback: false
  enable_loopback_candidate: false
  stun_servers:
    - "{stun}"
turn:
  enabled: true
  udp_port: {ports.turn_udp}
  relay_range_start: {ports.relay_start}
  relay_range_end: {ports.relay_start + RELAY_PORTS - 1}
  allow_restricted_peer_cidrs: ["{node_ip}/{prefix}"]{turn_bind}{tls}
room:
  enable_remote_unmute: true
  empty_timeout: 30
  departure_timeout: 5
"""


@dataclass
class LiveKitServer:
    """A running server. Use :meth:`start` / :meth:`stop` (the fixture does)."""

    binary: Path
    workdir: Path
    ports: ServerPorts
    node_ip: str
    api_key: str = API_KEY
    api_secret: str = API_SECRET
    turn_tls: TurnTls | None = None
    bind: tuple[str, ...] | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def ws_url(self) -> str:
        if self.bind is not None:  # e.g. IPv6 only: the first bind address
            host = self.bind[0]
            return f"ws://{f'[{host}]' if ':' in host else host}:{self.ports.http}"
        return f"ws://127.0.0.1:{self.ports.http}"

    @property
    def lan_ws_url(self) -> str:
        """Signalling as seen from another namespace on the sandbox LAN (see netns.py)."""
        host = f"[{self.node_ip}]" if ":" in self.node_ip else self.node_ip
        return f"ws://{host}:{self.ports.http}"

    @property
    def http_url(self) -> str:
        return self.ws_url.replace("ws://", "http://", 1)

    @property
    def log_path(self) -> Path:
        return self.workdir / "livekit-server.log"

    @property
    def config_path(self) -> Path:
        return self.workdir / "livekit.yaml"

    @property
    def stun_url(self) -> str:
        """The embedded TURN server's address as a STUN URL (inside the namespace)."""
        return f"stun:{self.node_ip}:{self.ports.turn_udp}"

    @classmethod
    def create(
        cls,
        binary: Path | None = None,
        *,
        turn_tls: TurnTls | None = None,
        node_ip: str | None = None,
        bind: tuple[str, ...] | None = None,
    ) -> LiveKitServer:
        workdir = Path(tempfile.mkdtemp(prefix="lkdesk-livekit-"))
        return cls(
            binary or default_server_path(),
            workdir,
            ServerPorts.pick(),
            node_ip or netns_ip(),
            turn_tls=turn_tls,
            bind=bind,
        )

    def token(
        self,
        identity: str,
        room: str,
        *,
        name: str | None = None,
        metadata: str | None = None,
        attributes: dict[str, str] | None = None,
        ttl: timedelta = timedelta(minutes=10),
        kind: str | None = None,
        sip: api.SIPGrants | None = None,
        **grants: Any,
    ) -> str:
        """Mint a join token; ``grants`` are extra :class:`livekit.api.VideoGrants` fields,
        ``kind`` the participant kind ("agent", "sip", ...), ``sip`` SIP service grants.

        ``kind="agent"`` makes the participant an agent (the server then forwards its legacy
        transcription packets and keeps the identity it publishes text streams for)."""
        video: dict[str, Any] = {"room_join": True, "can_update_own_metadata": True}
        video.update(grants)
        tok = (
            api.AccessToken(self.api_key, self.api_secret)
            .with_identity(identity)
            .with_ttl(ttl)
            .with_grants(api.VideoGrants(room=room, **video))
        )
        if name is not None:
            tok = tok.with_name(name)
        if metadata is not None:
            tok = tok.with_metadata(metadata)
        if attributes is not None:
            tok = tok.with_attributes(attributes)
        if kind is not None:
            tok = tok.with_kind(kind)  # type: ignore[arg-type]
        if sip is not None:
            tok = tok.with_sip_grants(sip)
        with warnings.catch_warnings():
            # `--dev`'s fixed secret is 6 bytes; PyJWT warns about it on every token.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return tok.to_jwt()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no server log: {exc}>"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        if not self.binary.is_file():
            raise RuntimeError(
                f"LiveKit server binary not found at {self.binary}; "
                "run scripts/install-test-deps.sh"
            )
        self.config_path.write_text(
            render_config(self.ports, self.node_ip, turn_tls=self.turn_tls, bind=self.bind)
        )
        with self.log_path.open("ab") as log_file:
            self._proc = subprocess.Popen(
                [str(self.binary), "--dev", "--config", str(self.config_path)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                start_new_session=True,
            )
        _log.info("livekit-server pid %d on %s, log %s", self._proc.pid, self.ws_url, self.log_path)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # the error message already carries the log tail
            raise

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_DEADLINE_S
        last_error = "no attempt"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"livekit-server exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.http_url + "/", timeout=1) as resp:
                    if resp.status == 200:
                        return
                    last_error = f"HTTP {resp.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.1)
        raise RuntimeError(
            f"livekit-server not ready after {START_DEADLINE_S:.0f} s ({last_error}):\n"
            f"{self.log_tail()}"
        )

    def restart(self, down_s: float = 0.0) -> None:
        """Crash the server (SIGKILL: every session is lost), stay down ``down_s``, start it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait(timeout=STOP_GRACE_S)
        time.sleep(down_s)
        self.start()

    def stop(self, *, remove_workdir: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _log.warning("livekit-server ignored SIGTERM; killing pid %d", proc.pid)
                proc.kill()
                proc.wait(timeout=STOP_GRACE_S)
        if remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
