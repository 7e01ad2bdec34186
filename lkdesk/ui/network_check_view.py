"""``NetworkCheckDialog``: the network check's steps as they complete, in plain words.

Opened from the pre-join screen (the server about to be joined) or Settings → Network (a
saved server). Each step shows a mark, what was found and, when it is not a pass, what to
do. The check runs as an owned task; closing the dialog cancels it.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lkdesk.session.network_steps import STEPS, CheckStep, NetworkReport, StepState
from lkdesk.ui.actions import ActionRunner

MARKS = {
    StepState.PASS: ("✔", "#2e9d5b"),
    StepState.WARN: ("▲", "#c98a0c"),
    StepState.FAIL: ("✖", "#d93025"),
    StepState.SKIPPED: ("–", "#8a8f98"),
}

CheckRun = Callable[[Callable[[CheckStep], None]], Awaitable[NetworkReport]]


class StepRow(QWidget):
    def __init__(self, key: str) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        self.mark = QLabel("…")
        self.mark.setFixedWidth(22)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.text = QLabel(f"<b>{html.escape(STEPS[key])}</b><br>Waiting…")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.mark)
        row.addWidget(self.text, 1)
        self.step: CheckStep | None = None

    def show_step(self, step: CheckStep) -> None:
        self.step = step
        mark, colour = MARKS[step.state]
        self.mark.setText(f'<span style="color:{colour}; font-size:16px">{mark}</span>')
        advice = ""
        if step.advice and step.state is not StepState.PASS:
            todo = _text(step.advice)
            advice = f'<br><span style="color:{colour}">What to do: {todo}</span>'
        self.text.setText(f"<b>{_text(step.title)}</b><br>{_text(step.detail)}{advice}")
        # wrapped rich text under-reports its height in nested layouts: ask for it
        self.text.setMinimumHeight(self.text.heightForWidth(max(self.text.width(), 420)))


def _text(words: str) -> str:
    return html.escape(words, quote=False)


class NetworkCheckDialog(QDialog):
    """Runs ``check`` (a callable taking ``on_step``), showing each step; then ``checked``."""

    checked = Signal(object)  # NetworkReport

    def __init__(self, parent: QWidget, runner: ActionRunner, check: CheckRun, where: str) -> None:
        super().__init__(parent)
        self.setObjectName("NetworkCheckDialog")
        self.setWindowTitle("Network check")
        self.setMinimumWidth(560)
        self._runner = runner
        self._check = check
        self._task: Any = None
        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 16)
        heading = QLabel(f"Checking the network to {where}")
        heading.setProperty("role", "heading")
        heading.setWordWrap(True)
        column.addWidget(heading)
        note = QLabel("lkdesk joins a room for a few seconds and sends a test tone and picture.")
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        column.addWidget(note)
        self.rows = {key: StepRow(key) for key in STEPS}
        for row in self.rows.values():
            column.addWidget(row)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        column.addWidget(self.summary)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.again = QPushButton("Check again")
        self.again.clicked.connect(self.start)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.again)
        buttons.addWidget(self.close_button)
        column.addLayout(buttons)
        self.finished.connect(self._stop)
        self.report: NetworkReport | None = None

    def start(self) -> None:
        for key, row in self.rows.items():
            row.step = None
            row.mark.setText("…")
            row.text.setText(f"<b>{html.escape(STEPS[key])}</b><br>Waiting…")
        self.summary.setText("")
        self.again.setEnabled(False)
        self._task = self._runner.run(self._run(), "check the network", on_error=self._failed)

    async def _run(self) -> None:
        try:
            report = await self._check(self._show_step)
        finally:
            self.again.setEnabled(True)
        self.report = report
        failed = report.failed
        self.summary.setText(
            f"Stopped at “{failed.title}”: {failed.advice or failed.detail}"
            if failed is not None
            else "Everything a call needs works from here."
        )
        self.checked.emit(report)

    def _show_step(self, step: CheckStep) -> None:
        self.rows[step.key].show_step(step)
        self.adjustSize()  # longer words and advice: grow rather than squeeze the text

    def _failed(self, message: str) -> None:
        self.summary.setText(message)

    def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
