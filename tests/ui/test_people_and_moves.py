"""The window with the real server: kinds and agent states in the people panel and tiles, a
refused track marked, calling a phone (the server has no SIP service), and a move renaming
the room. The move comes from a scripted signalling relay (the open-source server never
sends RoomMoved; see tests/integration/test_rtc_room_moved.py).
"""

from __future__ import annotations

import pytest
from livekit import api
from livekit.protocol import models as proto_models
from livekit.protocol import rtc as proto_rtc
from PySide6.QtWidgets import QDialog, QLineEdit

from lkdesk.session import TileKey
from lkdesk.ui import MainWindow
from tests.integration.livekit_server import LiveKitServer
from tests.integration.peers import SdkPeer
from tests.integration.signal_relay import signal_relay
from tests.ui.helpers import until
from tests.ui.test_real_server import join_with_token

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_people_show_kinds_agent_state_refusals_and_phone_call_errors(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    agent = SdkPeer(
        server.ws_url,
        server.token("agent", room_name, kind="agent", attributes={"lk.agent.state": "listening"}),
    )
    phone = SdkPeer(server.ws_url, server.token("phone-1555", room_name, kind="sip"))
    carol = SdkPeer(server.ws_url, server.token("carol", room_name, name="Carol"))
    peers = (agent, phone, carol)
    try:
        for peer in peers:
            await peer.connect()
        carol.room.local_participant.set_track_subscription_permissions(
            allow_all_participants=False
        )
        await carol.publish_video(color=(30, 60, 230))
        window.show()
        host = server.token("host", room_name, room_admin=True, sip=api.SIPGrants(call=True))
        await join_with_token(window, server.ws_url, host)
        rows = window.room.people.rows

        def detail(identity: str) -> str:
            row = rows.get(identity)
            return row.detail.text() if row is not None else ""

        await until(lambda: detail("agent") == "Agent: listening", what="the agent's row")
        assert detail("phone-1555") == "Phone call"
        await until(
            lambda: detail("carol") == "Not shared with you: camera",
            deadline_s=15,
            what="carol's refused camera",
        )
        assert detail("host") == ""

        await agent.set_attributes({"lk.agent.state": "thinking"})
        await until(lambda: detail("agent") == "Agent: thinking", what="the new agent state")
        tile = window.room.area.tiles[TileKey("agent")]
        assert tile.label() == "agent · thinking" and tile.toolTip().startswith(tile.label())

        # a host calls a phone: the test server has no SIP service, and the toast says so
        people = window.room.people
        assert people.call_phone.isVisibleTo(people)
        people.call_phone.click()
        dialog = people._dialog
        assert isinstance(dialog, QDialog)
        number, trunk = dialog.findChildren(QLineEdit)
        number.setText("+44 20 7946 0000")
        trunk.setText("ST_test")
        dialog.accept()
        await until(
            lambda: any("no SIP service" in t for t in window.room.toasts.texts()),
            deadline_s=15,
            what="the SIP error",
        )
    finally:
        for peer in peers:
            await peer.aclose()


async def test_a_move_shows_the_new_room_name_in_the_header(
    window: MainWindow, livekit_server: LiveKitServer, room_name: str
) -> None:
    server = livekit_server
    alice = SdkPeer(server.ws_url, server.token("alice", room_name, name="Alice"))
    async with signal_relay(server.ws_url) as relay:
        try:
            await alice.connect()
            window.show()
            await join_with_token(window, relay.url, server.token("host", room_name))
            assert window.room.controls.title.text() == room_name
            await until(lambda: "alice" in window.room.people.rows, what="alice's row")
            session = window.session
            assert session is not None
            room = session._room  # type: ignore[attr-defined]
            moved_to = f"{room_name}-2"
            await relay.inject(
                proto_rtc.SignalResponse(
                    room_moved=proto_rtc.RoomMovedResponse(
                        room=proto_models.Room(sid="RM_scripted", name=moved_to),
                        token=server.token("host", moved_to),
                        participant=room.local_participant.info,
                        other_participants=[room.remote_participants["alice"].info],
                    )
                )
            )
            await until(
                lambda: window.room.controls.title.text() == moved_to, what="the new room name"
            )
            assert session.room_name == moved_to
            assert any(moved_to in t for t in window.room.toasts.texts())
            await until(lambda: "alice" in window.room.people.rows, what="alice, in the new room")
        finally:
            await alice.aclose()
            if window.session is not None:
                await window.session.leave()  # before the relay goes: no reconnect left behind
