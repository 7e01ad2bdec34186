"""Audio helpers for media tests, independent of lkdesk.media.

Tones are made by PulseAudio itself (module-sine) and recordings are taken with ``parec``,
so what these tests measure never passes through the code under test twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lkdesk.core.frames import AudioFrame

RATE = 48000


def tone(freq: float, first_sample: int, count: int, amplitude: float = 0.3) -> AudioFrame:
    """``count`` samples of a sine, phase-continuous across calls via ``first_sample``."""
    t = np.arange(first_sample, first_sample + count) / RATE
    data = (amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return AudioFrame(data=data.reshape(-1, 1), sample_rate=RATE, num_channels=1)


def band_db(samples: npt.NDArray[np.int16], freq: float) -> float:
    """Strongest spectral magnitude within ±10 Hz of ``freq``, in dB (Hann window)."""
    x = samples.astype(np.float64).ravel()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    band = (freqs > freq - 10) & (freqs < freq + 10)
    return 20 * float(np.log10(float(spectrum[band].max()) + 1e-9))


def peak_above_floor_db(samples: npt.NDArray[np.int16], freq: float) -> float:
    """Spectral peak within ±10 Hz of ``freq`` above the spectrum's median, in dB."""
    x = samples.astype(np.float64).ravel()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    band = (freqs > freq - 10) & (freqs < freq + 10)
    floor = float(np.median(spectrum)) + 1e-9
    return 20 * float(np.log10((float(spectrum[band].max()) + 1e-9) / floor))


@contextlib.contextmanager
def sine_into(sink: str, freq: int) -> Iterator[None]:
    """PulseAudio plays a sine of ``freq`` Hz into ``sink`` while the block runs."""
    module = subprocess.run(
        ["pactl", "load-module", "module-sine", f"sink={sink}", f"frequency={freq}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    try:
        yield
    finally:
        subprocess.run(["pactl", "unload-module", module], check=True, timeout=10)


class Recorder:
    """``parec`` from a PulseAudio source, read without blocking the loop."""

    def __init__(self, source: str) -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                source,
                f"--rate={RATE}",
                "--channels=1",
                "--format=s16le",
                "--raw",
                "--latency-msec=50",
            ],
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        self._out = self._proc.stdout
        os.set_blocking(self._out.fileno(), False)

    async def record(self, seconds: float, limit_s: float = 15.0) -> npt.NDArray[np.int16]:
        """The next ``seconds`` of audio."""
        wanted = int(seconds * RATE) * 2
        buf = bytearray()
        async with asyncio.timeout(limit_s):
            while len(buf) < wanted:
                chunk = self._out.read(wanted - len(buf))
                if chunk:
                    buf += chunk
                else:
                    await asyncio.sleep(0.02)
        return np.frombuffer(bytes(buf), dtype=np.int16)

    def close(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._out.close()


@contextlib.asynccontextmanager
async def recording(source: str) -> AsyncIterator[Recorder]:
    recorder = Recorder(source)
    try:
        yield recorder
    finally:
        recorder.close()


class PrivatePulse:
    """A PulseAudio daemon of our own (own runtime dir and socket), safe to kill.

    It has a null sink ``priv`` (48 kHz) as default sink and its monitor as default source.
    Point clients at it with ``PULSE_SERVER=<server>``.
    """

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="lkdesk-pulse-"))
        self.dir.chmod(0o700)
        self.server = f"unix:{self.dir}/native"
        env = dict(os.environ, HOME=str(self.dir), XDG_RUNTIME_DIR=str(self.dir))
        for name in ("DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER"):
            env.pop(name, None)  # else it clashes with the sandbox daemon's D-Bus name
        self._log = open(self.dir / "pulse.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                "pulseaudio",
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--system=false",
                f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.dir}/native",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
            for args in (
                ["load-module", "module-null-sink", "sink_name=priv", "rate=48000"],
                ["set-default-sink", "priv"],
                ["set-default-source", "priv.monitor"],
            ):
                self.pactl(*args)
        except BaseException:
            self.stop("kill")
            raise

    def pactl(self, *args: str) -> None:
        subprocess.run(
            ["pactl", "-s", self.server, *args], check=True, capture_output=True, timeout=10
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {self.log_tail()}")
            probe = subprocess.run(
                ["pactl", "-s", self.server, "info"], capture_output=True, timeout=10
            )
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"pulseaudio did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        self._log.flush()
        return (self.dir / "pulse.log").read_text(errors="replace")[-2000:]

    def stop(self, how: str = "exit") -> None:
        """End the daemon: ``exit`` (pactl exit), ``kill`` (SIGKILL) or ``term``."""
        if self.proc.poll() is None:
            if how == "exit":
                with contextlib.suppress(subprocess.SubprocessError):
                    self.pactl("exit")
            elif how == "kill":
                self.proc.send_signal(signal.SIGKILL)
            else:
                self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def remove(self) -> None:
        self.stop("term")
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
