"""Drive lkdesk running in another process (usually inside a :class:`NetnsHost`).

The agent process is ``python -m tests.integration.lkdesk_agent``; this side sends it
commands and collects the room events it reports, with their monotonic times (both
processes share the machine's monotonic clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from tests.integration.netns import NetnsHost

_ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_S = 60.0


class AgentError(RuntimeError):
    """The agent answered a command with an error."""


class RemoteLkdesk:
    """A handle on one agent process."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self._proc = proc
        self.log_path = log_path
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(), name="agent-reader")

    async def _read(self) -> None:
        assert self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            message = json.loads(line)
            if "id" in message:
                future = self._answers.pop(message["id"], None)
                if future is not None and not future.done():
                    if message["ok"]:
                        future.set_result(message.get("result"))
                    else:
                        future.set_exception(AgentError(message["error"]))
            else:
                self.events.append(message)
                self._changed.set()
        for future in self._answers.values():
            if not future.done():
                future.set_exception(AgentError(f"agent exited; log: {self.log_tail()}"))

    async def call(self, cmd: str, **args: Any) -> Any:
        assert self._proc.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._answers[request_id] = future
        self._proc.stdin.write(
            (json.dumps({"id": request_id, "cmd": cmd, "args": args}) + "\n").encode()
        )
        await self._proc.stdin.drain()
        async with asyncio.timeout(COMMAND_TIMEOUT_S):
            return await future

    def times_of(self, event: str, since: float = 0.0) -> list[float]:
        return [e["t"] for e in self.events if e["event"] == event and e["t"] >= since]

    async def wait_event(
        self,
        event: str,
        *,
        since: float = 0.0,
        deadline_s: float = 30.0,
        predicate: Callable[[dict[str, Any]], bool] = lambda _e: True,
    ) -> dict[str, Any]:
        async with asyncio.timeout(deadline_s):
            while True:
                for entry in self.events:
                    if entry["event"] == event and entry["t"] >= since and predicate(entry):
                        return entry
                self._changed.clear()
                await self._changed.wait()

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no agent log: {exc}>"
        return "\n".join(text.splitlines()[-lines:])

    async def aclose(self) -> None:
        """Close stdin (the agent leaves the room and exits), then reap it."""
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()
        try:
            async with asyncio.timeout(15):
                await self._proc.wait()
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def remote_lkdesk(
    host: NetnsHost | None, log_dir: Path, module: str = "tests.integration.lkdesk_agent"
) -> AsyncIterator[RemoteLkdesk]:
    """Start an agent (inside ``host`` when given); it is closed and reaped afterwards.

    ``module`` is the agent to run: any module that speaks the same JSON-lines protocol
    (bench/sdk_agent.py runs the official SDK that way).
    """
    name = module.rsplit(".", 1)[-1]
    log_path = log_dir / f"{name}-{os.getpid()}-{id(log_dir) % 10_000}.log"
    argv = [sys.executable, "-m", module]
    if host is not None:
        argv = host.command(*argv)
    env = dict(os.environ, LKDESK_AGENT_LOG=os.environ.get("LKDESK_AGENT_LOG", "INFO"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=_ROOT,
            env=env,
        )
    agent = RemoteLkdesk(proc, log_path)
    try:
        yield agent
    finally:
        await agent.aclose()
