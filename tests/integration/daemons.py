"""Debian's nginx (TLS-terminating reverse proxy) and tinyproxy (HTTP CONNECT proxy) for tests.

Each runs in the foreground as a child of the test on free loopback ports, with its config,
certificates and logs in a temp directory, and is stopped (and reaped) afterwards: nothing
is a system service, nothing listens beyond the sandbox namespace.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.integration.certs import CertFiles

READY_DEADLINE_S = 10.0


def free_tcp_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _wait_listening(proc: subprocess.Popen[bytes], host: str, port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args!r} is not listening on {host}:{port}:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"<no log: {exc}>"


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass(frozen=True)
class TlsSite:
    """One HTTPS listener of the reverse proxy, serving ``cert``."""

    name: str
    cert: CertFiles
    port: int


class TlsReverseProxy:
    """nginx terminating TLS for the LiveKit server: one listener per certificate.

    ``url(name, host)`` is the ``wss://`` URL of a site; WebSocket upgrades and RoomService
    (Twirp over HTTPS) are passed to the server's plain HTTP port.
    """

    def __init__(self, upstream_port: int, certs: dict[str, CertFiles], host: str = "127.0.0.1"):
        self.workdir = Path(tempfile.mkdtemp(prefix="lkdesk-nginx-"))
        self.host = host
        self.upstream_port = upstream_port
        self.sites = {name: TlsSite(name, c, free_tcp_port(host)) for name, c in certs.items()}
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "error.log"

    def url(self, site: str, hostname: str = "localhost", scheme: str = "wss") -> str:
        return f"{scheme}://{hostname}:{self.sites[site].port}"

    def _config(self) -> str:
        w = self.workdir
        servers = "".join(
            f"""
  server {{
    listen {self.host}:{site.port} ssl;
    ssl_certificate {site.cert.cert};
    ssl_certificate_key {site.cert.key};
    location / {{
      proxy_pass http://127.0.0.1:{self.upstream_port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 300s;
      proxy_buffering off;
    }}
  }}"""
            for site in self.sites.values()
        )
        return f"""\
user root root;
worker_processes 1;
pid {w}/nginx.pid;
error_log {w}/error.log info;
events {{ worker_connections 128; }}
http {{
  access_log {w}/access.log;
  client_body_temp_path {w}/body;
  proxy_temp_path {w}/proxy;
  fastcgi_temp_path {w}/fastcgi;
  uwsgi_temp_path {w}/uwsgi;
  scgi_temp_path {w}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}{servers}
}}
"""

    def start(self) -> None:
        conf = self.workdir / "nginx.conf"
        conf.write_text(self._config())
        self._proc = subprocess.Popen(
            ["nginx", "-e", str(self.log_path), "-p", str(self.workdir), "-c", str(conf),
             "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for site in self.sites.values():
                _wait_listening(self._proc, self.host, site.port, self.log_path)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        _stop(proc, signal.SIGQUIT)  # graceful: nginx's master reaps its worker
        shutil.rmtree(self.workdir, ignore_errors=True)


class ConnectProxy:
    """tinyproxy: an HTTP proxy allowing CONNECT to ``connect_ports`` only, logging each."""

    def __init__(self, connect_ports: tuple[int, ...]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="lkdesk-tinyproxy-"))
        self.port = free_tcp_port()
        self.connect_ports = connect_ports
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "tinyproxy.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        conf = self.workdir / "tinyproxy.conf"
        allowed = "\n".join(f"ConnectPort {port}" for port in self.connect_ports)
        conf.write_text(
            f"""\
Port {self.port}
Listen 127.0.0.1
Timeout 600
LogFile "{self.log_path}"
LogLevel Connect
MaxClients 20
Allow 127.0.0.1
DisableViaHeader Yes
{allowed}
"""
        )
        self._proc = subprocess.Popen(
            ["tinyproxy", "-d", "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(self._proc, "127.0.0.1", self.port, self.log_path)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        _stop(proc)
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running(daemon: TlsReverseProxy | ConnectProxy) -> Iterator[None]:
    daemon.start()
    try:
        yield
    finally:
        daemon.stop()
