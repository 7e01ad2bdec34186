"""The microphone processing switches: pre-join, remembered, applied, and the room's hints."""

from __future__ import annotations

import pytest

from lkdesk.session import AudioProcessingSettings, Feature
from lkdesk.ui import AppSettings, MainWindow
from lkdesk.ui.audio_processing_controls import ECHO_OFF_HINT, AudioProcessingControls
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_switches_start_on_are_remembered_and_reach_the_session(
    window: MainWindow, settings: AppSettings
) -> None:
    window.show()
    window.start.demo_button.click()
    await until(lambda: window.current_page() is window.prejoin, what="the pre-join page")
    controls = window.prejoin.processing
    assert controls.settings() == AudioProcessingSettings(True, True, True)
    assert not controls.hint.isVisible()

    controls.echo.click()
    assert controls.hint.isVisible() and controls.hint.text() == ECHO_OFF_HINT
    session = window.session
    assert session is not None
    await until(lambda: not session.audio_processing.echo_cancellation, what="session update")
    assert settings.audio_processing == AudioProcessingSettings(False, True, True)

    window.prejoin.join_button.click()
    await until(lambda: window.current_page() is window.room, what="the room")
    await until(lambda: window.room.echo_hint.isVisible(), what="the processing-off hint")
    assert "headphones" in window.room.echo_hint.label.text()


async def test_talking_while_muted_shows_you_are_muted_in_the_room(window: MainWindow) -> None:
    window.show()
    await join_demo(window)
    session = window.session
    assert session is not None
    session.events.emit("talking_while_muted", True)
    await until(lambda: window.room.muted_hint.isVisible(), what="You are muted")
    assert window.room.muted_hint.label.text().startswith("You are muted")
    session.events.emit("talking_while_muted", False)
    await until(lambda: not window.room.muted_hint.isVisible(), what="the hint to go")


async def test_missing_library_disables_the_switches_and_says_why(qtbot: object) -> None:
    controls = AudioProcessingControls()
    controls.set_feature(Feature(False, "The audio processing library could not be loaded."))
    assert not controls.echo.isEnabled() and not controls.gain.isEnabled()
    assert controls.problem.text().startswith("The audio processing library")
    assert not controls.problem.isHidden()
    assert controls.hint.isHidden()  # no nagging about a switch that cannot be used
    controls.deleteLater()
