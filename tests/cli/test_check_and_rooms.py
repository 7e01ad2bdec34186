"""``lkdesk check`` and ``lkdesk rooms|token`` against the real server: the network check
passes on the sandbox's LAN, names "WebRTC over UDP" when the firewall drops UDP and
"Signalling" when no server answers; rooms are created, listed with their participants and
deleted; wrong usage and refused credentials have their own exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.cli.tools import run_lkdesk
from tests.integration.livekit_server import LiveKitServer
from tests.integration.netns import netns_host
from tests.integration.peers import SdkPeer

pytestmark = pytest.mark.integration


def keys(server: LiveKitServer) -> list[str]:
    return ["--api-key", server.api_key, "--api-secret", server.api_secret]


async def test_the_network_check_passes_against_the_test_server(
    livekit_server: LiveKitServer,
) -> None:
    done = await run_lkdesk("check", livekit_server.ws_url, *keys(livekit_server), "--json")
    assert done.code == 0, done.err
    steps = {s["key"]: s for s in json.loads(done.out)}
    assert list(steps) == ["signalling", "udp", "relay", "publish", "rtt", "uplink"]
    assert all(s["state"] in ("pass", "warning") for s in steps.values()), steps
    assert steps["udp"]["state"] == "pass" and steps["publish"]["state"] == "pass"
    assert steps["relay"]["state"] == "warning"  # the test server offers no TURN/TLS
    assert 0 < steps["rtt"]["value"] < 1.0
    assert steps["uplink"]["value"] > 3e5  # aiortc's SCTP in Python: CPU-bound on a busy box
    assert "Round-trip time: ok" in done.err


async def test_the_network_check_names_udp_when_the_network_blocks_it(
    livekit_server: LiveKitServer,
) -> None:
    with netns_host() as host:
        host.block_udp()
        done = await run_lkdesk(
            "check", livekit_server.lan_ws_url, *keys(livekit_server), prefix=host.command()
        )
    assert done.code == 1, done.err
    lines = done.out.splitlines()
    assert "Signalling (WebSocket): pass" in lines[0]
    assert lines[1].startswith("WebRTC over UDP: fail: UDP does not get through"), done.out
    assert "What to do: Allow outgoing UDP" in lines[2]
    assert "TCP/TURN fallback: fail" in done.out
    assert done.err.rstrip().endswith("the check failed at: WebRTC over UDP")


async def test_the_network_check_names_signalling_when_the_server_is_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    done = await run_lkdesk("check", f"ws://127.0.0.1:{port}", "--api-key", "k",
                            "--api-secret", "s")  # fmt: skip
    assert done.code == 1
    assert done.out.startswith("Signalling (WebSocket): fail: Nothing is listening at the server")
    assert "What to do: Check the server URL" in done.out
    assert "WebRTC over UDP: skipped" in done.out


async def test_rooms_are_created_listed_with_people_and_deleted(
    livekit_server: LiveKitServer, room_name: str, tmp_path: Path
) -> None:
    server = livekit_server
    url = ["--url", server.ws_url, *keys(server)]
    created = await run_lkdesk("rooms", "create", room_name, *url)
    assert created.code == 0 and created.out.strip() == room_name, created.err
    minted = await run_lkdesk("token", "mint", "--room", room_name, "--identity", "carol",
                              "--name", "Carol", *keys(server))  # fmt: skip
    assert minted.code == 0
    async with SdkPeer(server.ws_url, minted.out.strip()) as peer:
        await peer.publish_tone(440.0)
        listed = await run_lkdesk("rooms", "list", "--json", *url)
        assert listed.code == 0, listed.err
        rooms = {r["name"]: r for r in json.loads(listed.out)}
        people = rooms[room_name]["participants"]
        assert [(p["identity"], p["name"]) for p in people] == [("carol", "Carol")]
        assert [t["source"] for t in people[0]["tracks"]] == ["microphone"]
        deleted = await run_lkdesk("rooms", "delete", room_name, *url)
        assert deleted.code == 0, deleted.err
        await peer.wait_for("disconnected")
    listed = await run_lkdesk("rooms", "list", "--json", *url)
    assert room_name not in {r["name"] for r in json.loads(listed.out)}

    refused = await run_lkdesk("rooms", "list", "--url", server.ws_url, "--api-key",
                               server.api_key, "--api-secret", "wrong")  # fmt: skip
    assert refused.code == 1 and "secret" in refused.err.lower(), refused.err
    usage = await run_lkdesk("rooms", "list", "--url", server.ws_url)
    assert usage.code == 2 and "--api-key" in usage.err
