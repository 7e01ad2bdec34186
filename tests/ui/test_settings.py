"""The Settings dialog: every page, live device previews, saving, forgetting everything."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from lkdesk import __version__
from lkdesk.session import DeviceCheck
from lkdesk.ui import MainWindow
from lkdesk.ui.settings_dialog import SettingsDialog
from lkdesk.ui.theme import ThemeMode
from tests.ui.helpers import join_demo, until

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGES = ["General", "Audio", "Video", "Shortcuts", "Notifications", "Network", "Privacy", "About"]


async def open_dialog(window: MainWindow) -> SettingsDialog:
    window.open_settings()
    dialog = window.dialogs.settings_dialog
    assert dialog is not None
    await until(dialog.isVisible, what="the settings dialog")
    return dialog


async def close(dialog: SettingsDialog) -> None:
    dialog.reject()
    await until(lambda: not dialog.isVisible(), what="the dialog to close")


async def test_settings_has_every_page_in_the_apps_own_style(window: MainWindow) -> None:
    window.show()
    dialog = await open_dialog(window)
    assert [dialog.nav.item(i).text() for i in range(dialog.nav.count())] == PAGES
    assert dialog.findChildren(QDialogButtonBox) == []  # no icons from another style
    assert dialog.save_button.icon().isNull() and dialog.save_button.text() == "Save"
    assert dialog.audio.processing_slot.objectName() == "AudioProcessingSlot"
    assert "Echo cancellation" in dialog.audio._processing_placeholder.text()
    assert f"Version {__version__}" in dialog.about.description.text()
    assert dialog.about.log_file.name == "lkdesk.log"
    places = dialog.privacy.form
    texts = [
        places.itemAt(i).widget().text()
        for i in range(places.count())
        if places.itemAt(i).widget() is not None
    ]
    assert any("settings.ini" in t for t in texts) and any("memory only" in t for t in texts)
    await close(dialog)


async def test_outside_a_call_a_device_check_is_used_and_released(window: MainWindow) -> None:
    window.show()
    dialog = await open_dialog(window)
    assert isinstance(dialog._preview, DeviceCheck)
    dialog.nav.setCurrentRow(2)
    await until(lambda: dialog.video.camera.count() > 0, what="the camera list")
    await close(dialog)
    assert dialog._preview is None


async def test_in_a_call_the_video_page_previews_the_camera_and_audio_shows_the_level(
    window: MainWindow,
) -> None:
    window.show()
    await join_demo(window)
    dialog = await open_dialog(window)
    dialog.nav.setCurrentRow(2)
    await until(lambda: dialog.video.preview.frame is not None, what="a live camera preview")
    assert dialog.video.camera.currentText().startswith("Demo camera")
    dialog.nav.setCurrentRow(1)
    await until(lambda: dialog.audio.meter.level > 0, what="the microphone level")
    dialog.audio.test_button.click()
    await until(lambda: dialog.audio.test_button.text() == "Playing…", what="the test sound")
    await until(lambda: dialog.audio.test_button.text() == "Test", what="the test to end")
    await close(dialog)


async def test_saving_applies_name_theme_video_notifications_and_network(
    window: MainWindow,
) -> None:
    window.show()
    dialog = await open_dialog(window)
    dialog.general.name.setText("Robin Park")
    dialog.general.theme.setCurrentIndex(dialog.general.theme.findData("dark"))
    dialog.video.mirror.setChecked(False)
    dialog.video.resolution.setCurrentIndex(dialog.video.resolution.findData(540))
    dialog.notifications.boxes["join_leave"].setChecked(False)
    dialog.network.join_timeout.setValue(25)
    dialog.save_button.click()
    await until(lambda: not dialog.isVisible(), what="the dialog to close")
    s = window.settings
    assert (s.display_name, s.theme, s.mirror_video, s.camera_height) == (
        "Robin Park",
        ThemeMode.DARK,
        False,
        540,
    )
    assert not s.notify("join_leave") and s.notify("chat")
    assert window.factory.join_timeout_s == 25.0
    assert window.room.area.mirror_local is False


async def test_forget_everything_asks_twice_then_forgets_servers_and_settings(
    window: MainWindow,
) -> None:
    book = window.factory.book
    assert book is not None
    await book.save_api_key("Lab", "ws://localhost:7880", "devkey", "secret")
    window.settings.display_name = "Robin"
    window.show()
    dialog = await open_dialog(window)
    dialog.nav.setCurrentRow(6)
    dialog.privacy.forget.click()
    assert dialog.privacy.forget.text() == "Click again to forget everything"
    assert await book.profiles() != ()
    dialog.privacy.forget.click()
    await until(lambda: dialog.privacy.done.isVisible(), what="the confirmation")
    assert await book.profiles() == ()
    assert window.settings.display_name == ""
    assert "forgotten" in dialog.privacy.done.text()
    await close(dialog)
