"""``AudioProcessingControls``: echo cancellation, noise suppression and auto gain switches.

Self-contained so that both the pre-join page and the Settings dialog can embed it. It shows
a "processing off" hint while echo cancellation is off, and, when processing cannot run on
this machine, why (the switches are then disabled).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from lkdesk.session import AudioProcessingSettings, Feature

ECHO_OFF_HINT = (
    "Echo cancellation is off: with speakers, the others hear themselves. Use headphones."
)


class AudioProcessingControls(QWidget):
    """Emits ``changed(AudioProcessingSettings)`` when the user flips a switch."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.echo = QCheckBox("Echo cancellation")
        self.echo.setToolTip("Removes the others' voices that your microphone picks up")
        self.noise = QCheckBox("Noise suppression")
        self.noise.setToolTip("Removes steady background noise (fans, hum)")
        self.gain = QCheckBox("Auto gain")
        self.gain.setToolTip("Keeps your voice at an even level")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for box in (self.echo, self.noise, self.gain):
            box.setChecked(True)
            box.toggled.connect(self._flipped)
            row.addWidget(box)
        row.addStretch(1)
        self.hint = QLabel(ECHO_OFF_HINT)
        self.hint.setObjectName("ProcessingOffHint")
        self.hint.setProperty("role", "warning")
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.problem = QLabel()
        self.problem.setProperty("role", "muted")
        self.problem.setWordWrap(True)
        self.problem.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(row)
        column.addWidget(self.hint)
        column.addWidget(self.problem)

    def settings(self) -> AudioProcessingSettings:
        return AudioProcessingSettings(
            self.echo.isChecked(), self.noise.isChecked(), self.gain.isChecked()
        )

    def set_settings(self, settings: AudioProcessingSettings) -> None:
        """Show ``settings`` without emitting ``changed``."""
        for box, on in (
            (self.echo, settings.echo_cancellation),
            (self.noise, settings.noise_suppression),
            (self.gain, settings.auto_gain_control),
        ):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        self._show_hint()

    def set_feature(self, feature: Feature) -> None:
        """Disable the switches and say why when processing cannot run here."""
        for box in (self.echo, self.noise, self.gain):
            box.setEnabled(feature.available)
        self.problem.setText(feature.reason)
        self.problem.setVisible(not feature.available)
        self._show_hint()

    def _show_hint(self) -> None:
        self.hint.setVisible(not self.echo.isChecked() and self.echo.isEnabled())

    def _flipped(self) -> None:
        self._show_hint()
        self.changed.emit(self.settings())
