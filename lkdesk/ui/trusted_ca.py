"""``TrustedCaPicker``: trust one CA certificate file for a server, or none.

A small row: what is trusted besides the system's certificates, a button that opens a file
dialog (``open()``, no nested event loop), and one to stop trusting it. The file is read
and checked through the session layer; a bad file shows why under the row. There is no
"ignore certificate errors" anywhere: a private server is trusted through its CA.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from lkdesk.session import describe_trusted_ca, read_ca_file
from lkdesk.ui.actions import ActionRunner

SYSTEM_ONLY = "Certificates: checked against this computer's trusted authorities"
_FILTER = "CA certificates (*.pem *.crt *.cer);;All files (*)"


class TrustedCaPicker(QWidget):
    """``changed(pem)`` when the user trusts a CA file ("" when they stop trusting it)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pem = ""
        self._runner = ActionRunner(self)
        self._dialog: QFileDialog | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        self.summary = QLabel(SYSTEM_ONLY)
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)
        self.choose = QPushButton("Trust a CA file…")
        self.choose.setProperty("kind", "link")
        self.choose.setToolTip(
            "For a server whose certificate comes from a private certificate authority: "
            "pick the CA certificate (.pem/.crt) its administrator gave you."
        )
        self.choose.clicked.connect(self._open_dialog)
        self.remove = QPushButton("Stop trusting")
        self.remove.setProperty("kind", "link")
        self.remove.clicked.connect(self._stop_trusting)
        self.remove.hide()
        row.addWidget(self.summary, 1)
        row.addWidget(self.choose)
        row.addWidget(self.remove)
        column.addLayout(row)
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        column.addWidget(self.error)

    @property
    def pem(self) -> str:
        """The CA certificate(s) trusted for this server, PEM ("" : none)."""
        return self._pem

    def set_pem(self, pem: str) -> None:
        """Show what ``pem`` trusts (without emitting :attr:`changed`)."""
        described = describe_trusted_ca(pem)
        self._pem = described.pem if described is not None else ""
        self.summary.setText(described.summary if described is not None else SYSTEM_ONLY)
        self.remove.setVisible(described is not None)
        self.error.hide()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def load_file(self, path: str) -> None:
        """Read and trust the CA in ``path`` (what the file dialog calls)."""
        if path:
            self._runner.run(self._load(path), "read the CA file", on_error=self.show_error)

    async def _load(self, path: str) -> None:
        trusted = await read_ca_file(path)
        self.set_pem(trusted.pem)
        self.changed.emit(self._pem)

    def _open_dialog(self) -> None:
        dialog = QFileDialog(self, "Trust a CA certificate for this server", "", _FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.load_file)
        self._dialog = dialog
        dialog.open()

    def _stop_trusting(self) -> None:
        self.set_pem("")
        self.changed.emit("")

    async def aclose(self) -> None:
        await self._runner.aclose()
