"""Helpers for the command-line tests: run ``lkdesk`` as a process, make and read media files."""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Done:
    code: int
    out: str
    err: str


def lkdesk_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "lkdesk", *args]


async def run_lkdesk(*args: str, prefix: list[str] | None = None, timeout_s: float = 60) -> Done:
    """``python -m lkdesk ARGS`` (inside ``prefix``, e.g. a namespace's nsenter) to the end."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *(prefix or []),
        *lkdesk_argv(*args),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    print(f"lkdesk {' '.join(args[:2])}: {time.monotonic() - started:.1f} s")
    return Done(proc.returncode or 0, out.decode(), err.decode())


def make_clip(path: Path, color: tuple[int, int, int], tone_hz: float, seconds: float) -> None:
    """An mp4 with a solid-colour H.264 video (320x240, 15 fps) and an AAC sine tone."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=15)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio = out.add_stream("aac", rate=48_000)
        audio.layout = "mono"
        picture = np.zeros((240, 320, 3), np.uint8)
        picture[:] = color
        for i in range(int(seconds * 15)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 15)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        n = 1024
        for i in range(int(seconds * 48_000 / n)):
            t = (np.arange(n) + i * n) / 48_000
            pcm = (0.4 * 32767 * np.sin(2 * math.pi * tone_hz * t)).astype(np.int16)
            chunk = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            chunk.sample_rate = 48_000
            chunk.pts = i * n
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))


def read_video(path: Path) -> list[npt.NDArray[np.uint8]]:
    with av.open(str(path)) as f:
        return [frame.to_ndarray(format="rgb24") for frame in f.decode(video=0)]


def read_audio(path: Path) -> npt.NDArray[np.int16]:
    with av.open(str(path)) as f:
        chunks = [frame.to_ndarray().reshape(-1) for frame in f.decode(audio=0)]
    samples = np.concatenate(chunks)
    if samples.dtype.kind == "f":
        samples = (samples * 32767).astype(np.int16)
    return samples.astype(np.int16)
