"""A second "machine" on the sandbox's LAN, and the network faults a real call meets.

:class:`NetnsHost` is a network namespace created by this test run (inside the sandbox's own
namespace, so nothing can leave the box) and joined to the sandbox namespace by a veth pair:

    sandbox netns  10.77.0.1 (v0: server, official-SDK peers)
                   10.78.<n>.1 (hNa) ──veth── 10.78.<n>.2 (hNb)  host netns (lkdesk)

The host routes everything through the veth, so its traffic to the server crosses a link
this module can break: iptables rules inside the host (UDP blackout, random loss), ``ss -K``
on its sockets (signalling reset), ``tc`` on the veth (rate limits; netem is missing on these
kernels), and a change of its address (a laptop moving from Wi-Fi to Ethernet).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import subprocess
from collections.abc import Iterator, Sequence

_log = logging.getLogger(__name__)

_SUBNETS = itertools.count(1)
_COMMAND_TIMEOUT_S = 10.0


def _run(args: Sequence[str]) -> str:
    done = subprocess.run(
        list(args), capture_output=True, text=True, timeout=_COMMAND_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


class NetnsHost:
    """A network namespace with one veth link to the sandbox namespace."""

    def __init__(self) -> None:
        self.index = next(_SUBNETS)  # each test run has its own sandbox namespace
        self.outer_ip = f"10.78.{self.index}.1"
        self.address = f"10.78.{self.index}.2"
        self._outer_dev = f"h{self.index}a"
        self.device = f"h{self.index}b"
        self._holder: subprocess.Popen[bytes] | None = None

    # ----- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        # A sleeping process holds the namespace; every command enters it with nsenter.
        self._holder = subprocess.Popen(
            ["unshare", "--net", "sleep", "infinity"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_for_own_netns()
            veth = ["type", "veth", "peer", "name", self.device, "netns", str(self._holder.pid)]
            _run(["ip", "link", "add", self._outer_dev, *veth])
            _run(["ip", "addr", "add", f"{self.outer_ip}/24", "dev", self._outer_dev])
            _run(["ip", "link", "set", self._outer_dev, "up"])
            self.inside("ip", "link", "set", "lo", "up")
            self.inside("ip", "addr", "add", f"{self.address}/24", "dev", self.device)
            self.inside("ip", "link", "set", self.device, "up")
            self.inside("ip", "route", "add", "default", "via", self.outer_ip)
        except BaseException:
            self.stop()
            raise

    def _wait_for_own_netns(self) -> None:
        assert self._holder is not None
        mine = os.readlink("/proc/self/ns/net")
        for _ in range(200):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{self._holder.pid}/ns/net") != mine:
                    return
            subprocess.run(["sleep", "0.01"], check=False)
        raise RuntimeError("the namespace holder did not enter its own network namespace")

    def stop(self) -> None:
        holder, self._holder = self._holder, None
        if holder is not None:
            holder.kill()
            holder.wait(timeout=5)
        # The veth pair vanishes with the namespace; make sure of our end anyway.
        subprocess.run(["ip", "link", "del", self._outer_dev], capture_output=True, check=False)

    @property
    def netns_path(self) -> str:
        assert self._holder is not None, "host not started"
        return f"/proc/{self._holder.pid}/ns/net"

    def command(self, *args: str) -> list[str]:
        """``args`` wrapped to run inside this host's namespace."""
        return ["nsenter", f"--net={self.netns_path}", "--", *args]

    def inside(self, *args: str) -> str:
        """Run a command inside the host's namespace; its stdout."""
        return _run(self.command(*args))

    # ----- faults ---------------------------------------------------------------------------

    def block_udp(self) -> None:
        """Drop every UDP packet in and out of the host (media and TURN/UDP die, TCP lives)."""
        for chain in ("INPUT", "OUTPUT"):
            self.inside("iptables", "-w", "-I", chain, "-p", "udp", "-j", "DROP")

    def block_tcp_to(self, *ports: int) -> None:
        """Drop the host's TCP to these ports (a firewall letting only some ports out)."""
        for port in ports:
            self.inside("iptables", "-w", "-I", "OUTPUT", "-p", "tcp", "--dport", str(port),
                        "-j", "DROP")  # fmt: skip

    def unblock_udp(self) -> None:
        for chain in ("INPUT", "OUTPUT"):
            self.inside("iptables", "-w", "-D", chain, "-p", "udp", "-j", "DROP")

    @contextlib.contextmanager
    def udp_blackout(self) -> Iterator[None]:
        self.block_udp()
        try:
            yield
        finally:
            self.unblock_udp()

    def random_loss(self, probability: float) -> None:
        """Drop that share of UDP packets each way (iptables statistic match)."""
        for chain in ("INPUT", "OUTPUT"):
            rule = ["-p", "udp", "-m", "statistic", "--mode", "random"]
            rule += ["--probability", f"{probability:.4f}", "-j", "DROP"]
            self.inside("iptables", "-w", "-I", chain, *rule)

    def clear_faults(self) -> None:
        for chain in ("INPUT", "OUTPUT"):
            self.inside("iptables", "-w", "-F", chain)

    def reset_tcp(self, port: int) -> int:
        """Reset the host's TCP connections to ``port`` (``ss -K``); how many were killed."""
        before = self.inside("ss", "-Htn", "state", "established", f"( dport = :{port} )")
        self.inside("ss", "-K", "-tn", f"( dport = :{port} )")
        return len([line for line in before.splitlines() if line.strip()])

    def change_address(self) -> str:
        """Move the host to a new address on the same link (old sockets stop working)."""
        old = self.address
        octet = int(old.rsplit(".", 1)[1]) + 1
        new = f"10.78.{self.index}.{octet}"
        # Deleting the only address also deletes the routes through it; add them back.
        self.inside("ip", "addr", "del", f"{old}/24", "dev", self.device)
        self.inside("ip", "addr", "add", f"{new}/24", "dev", self.device)
        self.inside("ip", "route", "replace", "default", "via", self.outer_ip)
        self.address = new
        _log.info("host moved from %s to %s", old, new)
        return new

    def shape_uplink(self, rate_kbit: int, burst_bytes: int = 16_000) -> None:
        """Cap what the host sends (tbf on the host's end of the veth)."""
        limits = ["rate", f"{rate_kbit}kbit", "burst", str(burst_bytes), "latency", "100ms"]
        self.inside("tc", "qdisc", "replace", "dev", self.device, "root", "tbf", *limits)

    def unshape_uplink(self) -> None:
        subprocess.run(
            self.command("tc", "qdisc", "del", "dev", self.device, "root"),
            capture_output=True,
            check=False,
        )


@contextlib.contextmanager
def netns_host() -> Iterator[NetnsHost]:
    host = NetnsHost()
    host.start()
    try:
        yield host
    finally:
        host.stop()
