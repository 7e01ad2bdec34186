"""Settings → Audio: microphone (with a level meter), speaker (with a test), processing."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from lkdesk.session import DeviceKind
from lkdesk.ui.prejoin_page import LevelMeter
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.settings_pages.common import Page, device_combo
from lkdesk.ui.widgets import label


class AudioPage(Page):
    """Emits ``test_clicked``; the dialog plays the test sound."""

    title = "Audio"
    test_clicked = Signal()

    def __init__(self, settings: AppSettings) -> None:
        super().__init__("Speak: the meter shows what the others would hear.")
        self.mic = device_combo((), settings.device(DeviceKind.MICROPHONE))
        self.meter = LevelMeter()
        self.speaker = device_combo((), settings.device(DeviceKind.SPEAKER))
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Play a short sound on this speaker")
        self.test_button.clicked.connect(self.test_clicked.emit)
        speaker_row = QHBoxLayout()
        speaker_row.addWidget(self.speaker, 1)
        speaker_row.addWidget(self.test_button)
        self.form.addRow("Microphone", self.mic)
        self.form.addRow("", self.meter)
        self.form.addRow("Speaker", speaker_row)
        self.column.addSpacing(8)
        self.column.addWidget(label("Voice processing", "heading"))
        self.processing_slot = self._processing_slot()
        self.column.addWidget(self.processing_slot)
        self.finish()

    def _processing_slot(self) -> QFrame:
        """Where the echo cancellation / noise suppression / auto gain switches go
        (lkdesk.ui.audio_processing_controls, embedded with :meth:`embed_processing`)."""
        slot = QFrame()
        slot.setObjectName("AudioProcessingSlot")
        layout = QVBoxLayout(slot)
        layout.setContentsMargins(0, 0, 0, 0)
        self._processing_placeholder = label(
            "Echo cancellation, noise suppression and automatic gain will be switched here.",
            "muted",
        )
        layout.addWidget(self._processing_placeholder)
        return slot

    def embed_processing(self, widget: QWidget) -> None:
        """Put the audio-processing switches in their place on this page."""
        layout = self.processing_slot.layout()
        assert layout is not None
        self._processing_placeholder.hide()
        layout.addWidget(widget)

    def combos(self) -> dict[DeviceKind, QComboBox]:
        return {DeviceKind.MICROPHONE: self.mic, DeviceKind.SPEAKER: self.speaker}
