"""Settings → About: version, licences, and where the log is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser

from lkdesk import __version__
from lkdesk.ui.settings_pages.common import Page
from lkdesk.ui.widgets import label

LICENCES = (
    ("lkdesk", "Apache-2.0"),
    ("Qt 6 / PySide6", "LGPL-3.0"),
    ("aiortc, aioice", "BSD-3-Clause"),
    ("PyAV / FFmpeg", "BSD-3-Clause / LGPL-2.1+"),
    ("OpenCV", "Apache-2.0"),
    ("NumPy", "BSD-3-Clause"),
    ("livekit-protocol, livekit-api", "Apache-2.0"),
    ("protobuf", "BSD-3-Clause"),
    ("websockets", "BSD-3-Clause"),
    ("aiohttp", "Apache-2.0"),
    ("cryptography", "Apache-2.0 / BSD-3-Clause"),
    ("keyring", "MIT"),
    ("sounddevice / PortAudio", "MIT"),
    ("mss", "MIT"),
    ("xcffib", "Apache-2.0"),
    ("qasync", "BSD-2-Clause"),
)


class AboutPage(Page):
    title = "About lkdesk"

    def __init__(self, log_file: Path) -> None:
        super().__init__(f"Version {__version__}. Video meetings on LiveKit.")
        self.version = __version__
        self.log_file = log_file
        path = QLabel(str(log_file))
        path.setProperty("role", "code")
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_button = QPushButton("Open log folder")
        open_button.clicked.connect(self.open_log_folder)
        row = QHBoxLayout()
        row.addWidget(path, 1)
        row.addWidget(open_button)
        self.form.addRow("Log file", row)
        self.column.addWidget(label("Licences", "heading"))
        licences = QTextBrowser()
        licences.setOpenExternalLinks(True)
        licences.setHtml(
            "<table cellspacing=4>"
            + "".join(f"<tr><td>{name}</td><td>{kind}</td></tr>" for name, kind in LICENCES)
            + "</table>"
        )
        self.licences = licences
        self.column.addWidget(licences, 1)

    def open_log_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent)))
