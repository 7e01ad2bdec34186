"""Join time and first remote frame over wss:// + TURN/TLS vs direct ws:// + UDP: lkdesk and
the official Python SDK in the same run (issue 14).

Run inside the test sandbox:
    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.connect_paths --rounds 5

A server with TURN/TLS on 443 (certificate from a CA made in the run) sits behind nginx for
wss://; an SDK peer publishes VP8. Each join runs in a fresh child process inside a network
namespace (tests/integration/netns.py): an open one for "direct", one whose firewall drops
UDP and TCP to the server's ICE-TCP port for "TURN/TLS", and one dropping UDP only ("no
UDP": the SDK's libwebrtc falls back to ICE-TCP there, lkdesk to TURN/TLS, as aioice has no
ICE-TCP). The child measures from just
before ``connect`` (so interpreter start-up is not counted) and prints JSON. Both clients
are given the test CA: lkdesk through its per-server trusted CA, the SDK through
``SSL_CERT_FILE`` (its only way to trust a private CA).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.integration.certs import TestCa
from tests.integration.daemons import TlsReverseProxy, running
from tests.integration.livekit_server import LiveKitServer, TurnTls, netns_ip
from tests.integration.netns import NetnsHost, netns_host

FRAME_DEADLINE_S = 20.0


async def _child(client_name: str, url: str, token: str, ca_pem: str) -> dict[str, Any]:
    """One join in this process: seconds to joined and to the first remote video frame."""
    if client_name == "lkdesk":
        from lkdesk import rtc as client

        options: Any = client.RoomOptions(trust=client.ServerTrust(ca_pem))
    else:
        from livekit import rtc as client  # type: ignore[no-redef]

        options = client.RoomOptions(auto_subscribe=True)
    room = client.Room()
    first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    readers: list[asyncio.Task[None]] = []

    async def read(track: Any) -> None:
        async for _ in client.VideoStream(track):
            if not first.done():
                first.set_result(time.perf_counter())
            return

    def subscribed(track: Any, *_: object) -> None:
        if track.kind == client.TrackKind.KIND_VIDEO:
            readers.append(asyncio.create_task(read(track)))

    room.on("track_subscribed", subscribed)
    start = time.perf_counter()
    joined = 0.0
    try:
        async with asyncio.timeout(FRAME_DEADLINE_S):
            await room.connect(url, token, options)
            joined = time.perf_counter()
            frame = await first
        routes = room.media_routes() if client_name == "lkdesk" else {}
        return {"join": joined - start, "frame": frame - start, "routes": routes}
    except Exception as exc:  # noqa: BLE001 - reported as the sample's outcome
        stage = "no frame after joining" if joined else "joining"
        return {"error": f"{stage}: {type(exc).__name__}: {exc}"[:300]}
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        async with asyncio.timeout(10):
            await room.disconnect()


async def _join_in(host: NetnsHost, client: str, url: str, token: str, ca: TestCa) -> Any:
    env = dict(os.environ, SSL_CERT_FILE=str(ca.path))
    argv = [
        sys.executable,
        "-m",
        "bench.connect_paths",
        "--child",
        client,
        url,
        token,
        str(ca.path),
    ]
    proc = await asyncio.create_subprocess_exec(
        *host.command(*argv),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return {"error": "the child did not finish within 60 s"}
    if proc.returncode != 0:
        return {"error": err.decode(errors="replace").strip().splitlines()[-1:]}
    return json.loads(out.decode().strip().splitlines()[-1])


def _row(name: str, samples: list[dict[str, Any]]) -> tuple[float, float] | None:
    good = [s for s in samples if "error" not in s]
    if not good:
        print(f"{name:26s} failed: {samples[0].get('error')}")
        return None
    join = statistics.median(s["join"] for s in good) * 1000
    frame = statistics.median(s["frame"] for s in good) * 1000
    extra = f"  routes {good[-1]['routes']}" if good[-1]["routes"] else ""
    print(
        f"{name:26s} join p50 {join:7.0f} ms  first frame p50 {frame:7.0f} ms"
        f"  (n={len(good)}/{len(samples)}){extra}"
    )
    return join, frame


async def main(rounds: int) -> None:
    ip = netns_ip()
    workdir = Path(tempfile.mkdtemp(prefix="lkdesk-bench-connect-"))
    ca = TestCa(workdir / "pki")
    turn = ca.issue("turn", ip)
    server = LiveKitServer.create(turn_tls=TurnTls(ip, turn.cert, turn.key))
    server.start()
    try:
        nginx = TlsReverseProxy(server.ports.http, {"wss": ca.issue("wss", ip)}, host=ip)
        with (
            running(nginx),
            netns_host() as open_host,
            netns_host() as no_udp,
            netns_host() as walled,
        ):
            no_udp.block_udp()
            walled.block_udp()
            walled.block_tcp_to(server.ports.rtc_tcp)
            from tests.integration.peers import SdkPeer

            room = "bench-connect"
            publisher = SdkPeer(server.ws_url, server.token("publisher", room))
            await publisher.connect()
            await publisher.publish_video(width=640, height=360)
            paths = {
                "direct ws + UDP": (open_host, server.lan_ws_url),
                "wss, no UDP": (no_udp, nginx.url("wss", ip)),
                "wss + TURN/TLS": (walled, nginx.url("wss", ip)),
            }
            results: dict[str, list[dict[str, Any]]] = {}
            for i in range(rounds):
                for path, (host, url) in paths.items():
                    for client in ("lkdesk", "sdk"):
                        token = server.token(f"{client}-{i}-{len(results)}", room)
                        sample = await _join_in(host, client, url, token, ca)
                        results.setdefault(f"{client:6s} {path}", []).append(sample)
            table = {name: _row(name, samples) for name, samples in results.items()}
            for client in ("lkdesk", "sdk"):
                direct = table.get(f"{client:6s} direct ws + UDP")
                relayed = table.get(f"{client:6s} wss + TURN/TLS")
                if direct and relayed:
                    print(
                        f"{client}: TURN/TLS vs direct: join {relayed[0] / direct[0]:.2f}x, "
                        f"first frame {relayed[1] / direct[1]:.2f}x"
                    )
            for path in paths:
                lk, sdk = table.get(f"lkdesk {path}"), table.get(f"sdk    {path}")
                if lk and sdk:
                    print(
                        f"lkdesk/sdk over {path}: join {lk[0] / sdk[0]:.2f}x, "
                        f"first frame {lk[1] / sdk[1]:.2f}x"
                    )
            await publisher.aclose()
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        client_name, url, token, ca_file = sys.argv[2:6]
        result = asyncio.run(_child(client_name, url, token, Path(ca_file).read_text()))
        print(json.dumps(result))
    else:
        parser = argparse.ArgumentParser(description=__doc__)
        parser.add_argument("--rounds", type=int, default=5)
        asyncio.run(main(parser.parse_args().rounds))
