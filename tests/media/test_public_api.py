"""The public names of lkdesk.media, importable without Qt and without audio hardware."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lkdesk.media

REPO = Path(__file__).resolve().parents[2]


def test_public_api_is_exported() -> None:
    for name in lkdesk.media.__all__:
        assert hasattr(lkdesk.media, name), name
    assert {"MicrophoneCapture", "AudioPlayback", "CameraCapture", "ScreenCapture"} <= set(
        lkdesk.media.__all__
    )


def test_importing_media_loads_no_qt() -> None:
    # pytest-qt has imported PySide6 into this process: ask a fresh interpreter.
    code = "import sys, lkdesk.media; print(sorted(m for m in sys.modules if 'PySide' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
