"""py-spy around a benchmark window: record this process, then its top entries.

``async with profiled(path, seconds):`` samples the current process (all threads, native
frames off) in a py-spy child while the block runs; :func:`top_entries` reads the raw
(collapsed) output and prints the functions with the most samples, by self time (the leaf
frame) and in total (anywhere on the stack).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path


def py_spy() -> str | None:
    """The py-spy that the test extras install beside this interpreter (the project's venv)."""
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else None


@contextlib.asynccontextmanager
async def profiled(path: Path | None, seconds: float, rate: int = 200) -> AsyncIterator[None]:
    """Profile this process for ``seconds`` into ``path`` (raw format) while the block runs."""
    exe = py_spy()
    if path is None or exe is None:
        if path is not None:
            print(
                "no py-spy beside this Python (pip install -e '.[test]'): no profile",
                file=sys.stderr,
            )
        yield
        return
    proc = await asyncio.create_subprocess_exec(
        exe, "record", "--pid", str(os.getpid()), "--duration", str(int(seconds)),
        "--rate", str(rate), "--format", "raw", "--nonblocking", "--output", str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        await asyncio.wait_for(proc.wait(), seconds + 30)


def top_entries(path: Path, count: int = 12) -> str:
    """The ``count`` functions with most self and most total samples, as text."""
    if not path.exists():
        return f"(no profile at {path})"
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [f.split(" (")[0] + " " + _where(f) for f in stack.split(";")]
        samples += int(n)
        own[frames[-1]] += int(n)
        for frame in set(frames):
            total[frame] += int(n)
    lines = [f"{samples} samples; self:"]
    lines += [f"  {100 * n / samples:5.1f}%  {name}" for name, n in own.most_common(count)]
    lines.append("total:")
    lines += [f"  {100 * n / samples:5.1f}%  {name}" for name, n in total.most_common(count)]
    return "\n".join(lines)


def _where(frame: str) -> str:
    """``(file.py:12)`` → ``(file.py)``: one entry per function, not per line."""
    if " (" not in frame:
        return ""
    location = frame.split(" (", 1)[1].rstrip(")")
    return "(" + location.rsplit(":", 1)[0].rsplit("/", 1)[-1] + ")"
