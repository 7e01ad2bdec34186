"""The public names of lkdesk.media, importable without Qt and without audio hardware."""

from __future__ import annotations

import sys

import lkdesk.media


def test_public_api_is_exported_and_qt_free() -> None:
    for name in lkdesk.media.__all__:
        assert hasattr(lkdesk.media, name), name
    assert {"MicrophoneCapture", "AudioPlayback", "CameraCapture", "ScreenCapture"} <= set(
        lkdesk.media.__all__
    )
    assert "PySide6" not in sys.modules or "lkdesk.ui" in sys.modules
