"""Chat round trip and byte-stream throughput: lkdesk vs the official Python SDK.

    bash tests/sandbox/run-in-sandbox.sh .venv/bin/python -m bench.data_throughput

An SDK "echo" peer answers every text on topic ``rt`` with the same text. Each client sends
``--messages`` chat-sized texts one at a time and times the echo; then each sends an 8 MB
file to the echo peer, which reads it fully before acknowledging over RPC-free text.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from livekit import rtc as sdk

from lkdesk import rtc as lk
from tests.integration.livekit_server import LiveKitServer

SIZE = 8 * 1024 * 1024


class Echo:
    """An SDK peer echoing texts on ``rt`` and acknowledging files on ``ack``."""

    def __init__(self, room: sdk.Room) -> None:
        self.room = room
        self.tasks: set[asyncio.Task[None]] = set()
        room.register_text_stream_handler("rt", self._text)
        room.register_byte_stream_handler("file", self._file)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _text(self, reader: sdk.TextStreamReader, sender: str) -> None:
        async def run() -> None:
            text = await reader.read_all()
            await self.room.local_participant.send_text(
                text, topic="rt", destination_identities=[sender]
            )

        self._spawn(run())

    def _file(self, reader: sdk.ByteStreamReader, sender: str) -> None:
        async def run() -> None:
            size = sum([len(c) async for c in reader])
            await self.room.local_participant.send_text(
                str(size), topic="ack", destination_identities=[sender]
            )

        self._spawn(run())


async def measure(
    room: Any, local: Any, messages: int, path: Path, size: int
) -> tuple[list[float], float]:
    echoes: asyncio.Queue[str] = asyncio.Queue()
    readers: set[asyncio.Task[None]] = set()

    async def on_text(reader: Any, sender: str) -> None:
        await echoes.put(await reader.read_all())

    def handler(reader: Any, sender: str) -> None:
        task = asyncio.ensure_future(on_text(reader, sender))
        readers.add(task)
        task.add_done_callback(readers.discard)

    room.register_text_stream_handler("rt", handler)
    room.register_text_stream_handler("ack", handler)
    trips = []
    for i in range(messages):
        text = f"message {i}: the quick brown fox jumps over the lazy dog"
        start = time.perf_counter()
        await local.send_text(text, topic="rt", destination_identities=["echo"])
        assert await asyncio.wait_for(echoes.get(), 10) == text
        trips.append(time.perf_counter() - start)
    start = time.perf_counter()
    await local.send_file(str(path), topic="file", destination_identities=["echo"])
    assert int(await asyncio.wait_for(echoes.get(), 120)) == size
    throughput = size / (time.perf_counter() - start) / 1e6
    return trips, throughput


def report(name: str, trips: list[float], throughput: float) -> tuple[float, float, float]:
    ms = sorted(t * 1000 for t in trips)
    p50, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
    print(f"{name:8s} chat round trip p50 {p50:6.2f} ms p95 {p95:6.2f} ms", end="   ")
    print(f"8 MB file {throughput:6.2f} MB/s")
    return p50, p95, throughput


async def main(messages: int) -> None:
    server = LiveKitServer.create()
    server.start()
    path = Path(tempfile.mkdtemp()) / "payload.bin"
    path.write_bytes(os.urandom(SIZE))
    echo_room, sdk_room, lk_room = sdk.Room(), sdk.Room(), lk.Room()
    try:
        await echo_room.connect(server.ws_url, server.token("echo", "bench"))
        echo = Echo(echo_room)
        await lk_room.connect(server.ws_url, server.token("lkdesk", "bench"))
        await sdk_room.connect(server.ws_url, server.token("sdk", "bench"))
        await asyncio.sleep(1)
        lk_result = report(
            "lkdesk", *await measure(lk_room, lk_room.local_participant, messages, path, SIZE)
        )
        sdk_result = report(
            "sdk", *await measure(sdk_room, sdk_room.local_participant, messages, path, SIZE)
        )
        print(
            "ratio lkdesk/sdk: p50 {:.2f}x, p95 {:.2f}x, throughput {:.2f}x".format(
                *(a / b for a, b in zip(lk_result, sdk_result, strict=True))
            )
        )
        for task in echo.tasks:
            task.cancel()
    finally:
        await lk_room.disconnect()
        await sdk_room.disconnect()
        await echo_room.disconnect()
        path.unlink()
        path.parent.rmdir()
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    asyncio.run(main(parser.parse_args().messages))
