"""The pages of the Settings dialog, one module each (see lkdesk.ui.settings_dialog)."""
