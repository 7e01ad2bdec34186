"""What the start page's requests do: saved servers, checking before saving, meeting links.

The main window owns the page flow; this object owns the start page's conversations with
the profile book so the window stays small. Every step runs through the window's
:class:`~lkdesk.ui.actions.ActionRunner`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject

from lkdesk.core.errors import LkdeskError
from lkdesk.session import (
    ApiKeyTarget,
    InvalidTargetError,
    JoinTarget,
    ProfileTarget,
    SessionFactory,
    TokenTarget,
    check_server,
    parse_link,
)
from lkdesk.ui.actions import ActionRunner
from lkdesk.ui.settings import AppSettings
from lkdesk.ui.start_page import JoinRequest, StartPage

logger = logging.getLogger(__name__)

CheckServer = Callable[[TokenTarget | ApiKeyTarget], Awaitable[None]]


class StartFlow(QObject):
    """Loads, checks, saves and forgets servers for the start page; turns links into targets."""

    def __init__(
        self,
        page: StartPage,
        factory: SessionFactory,
        settings: AppSettings,
        runner: ActionRunner,
        check: CheckServer = check_server,
    ) -> None:
        super().__init__(page)
        self.page = page
        self.factory = factory
        self.settings = settings
        self.runner = runner
        self.check = check
        self.saved_profile_id = ""  # the server saved by the last check_and_save
        page.forget_requested.connect(self.forget)
        page.rename_requested.connect(self.rename)
        page.trusted_ca_changed.connect(self.set_trusted_ca)
        page.session_only_requested.connect(self.session_only)

    def refresh(self) -> None:
        """Show the saved servers (and whether secrets are kept in the keyring)."""
        book = self.factory.book
        if book is None:
            return

        async def load() -> None:
            profiles = await book.profiles()
            self.page.set_profiles(profiles, book.keyring_problem, book.secrets_are_session_only)

        self.runner.run(
            load(), "load the saved servers", on_error=lambda m: self.page.show_error("profile", m)
        )

    def _book_action(self, action: Callable[[], Awaitable[object]], what: str) -> None:
        async def run() -> None:
            await action()
            self.refresh()

        self.runner.run(run(), what, on_error=lambda m: self.page.show_error("profile", m))

    def forget(self, profile_id: str) -> None:
        book = self.factory.book
        if book is not None:
            self._book_action(lambda: book.forget(profile_id), "forget the server")

    def rename(self, profile_id: str, label: str) -> None:
        book = self.factory.book
        if book is not None:
            self._book_action(lambda: book.rename(profile_id, label), "rename the server")

    def set_trusted_ca(self, profile_id: str, pem: str) -> None:
        book = self.factory.book
        if book is None:
            return

        async def save() -> None:
            self.page.profile_updated(await book.set_trusted_ca(profile_id, pem))

        self.runner.run(
            save(), "save the server's trusted CA",
            on_error=lambda m: self.page.show_error("profile", m),
        )  # fmt: skip

    def session_only(self) -> None:
        if self.factory.book is not None:
            self.factory.book.use_session_only_secrets()
            self.refresh()

    async def check_and_save(self, request: JoinRequest) -> bool:
        """Check the server of a request that asks to be saved, then save it.

        False (with the error shown under the field to fix) when the check fails; nothing
        is saved then.
        """
        book, target = self.factory.book, request.target
        self.saved_profile_id = ""
        if request.save_label is None or book is None or not book.usable:
            return True
        if not isinstance(target, TokenTarget | ApiKeyTarget):
            return True
        self.page.set_busy(True, "Checking the server…")
        try:
            await self.check(target)
        except InvalidTargetError as exc:
            self.page.show_error(exc.field, str(exc))
            return False
        finally:
            self.page.set_busy(False)
        try:
            if isinstance(target, TokenTarget):
                profile = await book.save_token(
                    request.save_label, target.url, target.token,
                    trusted_ca_pem=target.trusted_ca_pem,
                )  # fmt: skip
            else:
                profile = await book.save_api_key(
                    request.save_label, target.url, target.api_key, target.api_secret,
                    trusted_ca_pem=target.trusted_ca_pem,
                )  # fmt: skip
        except LkdeskError as exc:
            self.page.show_error("form", f"The server was not saved: {exc}")
            return False
        self.saved_profile_id = profile.id
        self.settings.last_url = target.url
        self.refresh()
        return True

    async def request_for_link(self, text: str) -> JoinRequest | None:
        """What a meeting link asks for (its ``#passphrase`` too, unless the passphrase field
        says otherwise); None (error shown) when it is unusable."""
        try:
            link = parse_link(text)
            target = await self.factory.target_for_link(link)
        except InvalidTargetError as exc:
            self.page.show_error("link", str(exc))
            return None
        typed = self.page.connect_card.passphrase.text()
        return JoinRequest(target, passphrase=typed or link.passphrase)

    def profile_id_for(self, request: JoinRequest) -> str:
        """The saved server a request belongs to ("" when none)."""
        target = request.target
        if isinstance(target, ProfileTarget):
            return target.profile_id
        return self.saved_profile_id if request.save_label is not None else ""

    def error_field(self, target: JoinTarget, exc: InvalidTargetError) -> str:
        """Where on the start page an error about ``target`` belongs."""
        return "profile" if isinstance(target, ProfileTarget) else exc.field
