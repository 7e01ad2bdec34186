"""``SessionFactory``: turns a join target into a session; the UI never picks the class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lkdesk.session.base import Session
from lkdesk.session.demo import DemoConfig, DemoSession
from lkdesk.session.errors import InvalidTargetError, SessionError
from lkdesk.session.join_link import JoinLink
from lkdesk.session.profiles import ProfileBook
from lkdesk.session.targets import (
    ApiKeyTarget,
    Credentials,
    DemoTarget,
    JoinTarget,
    ProfileTarget,
    TokenTarget,
    resolve_api_key,
    resolve_token,
)

if TYPE_CHECKING:
    from lkdesk.session.device_check import DeviceCheck


class SessionFactory:
    """Opens :class:`DemoSession` for the demo target and a real call for everything else."""

    def __init__(self, book: ProfileBook | None = None, demo: DemoConfig | None = None) -> None:
        self.book = book
        self._demo = demo
        self.join_timeout_s = 10.0  # Settings → Network
        self.media_timeout_s = 15.0

    def device_check(self) -> DeviceCheck:
        """Device preview and tests with no call (Settings outside a call)."""
        from lkdesk.session.device_check import DeviceCheck

        return DeviceCheck()

    async def open(self, target: JoinTarget) -> Session:
        """A fresh, not yet joined session. Raises InvalidTargetError naming the bad field."""
        if isinstance(target, DemoTarget):
            return DemoSession(target.display_name, self._demo)
        return self._call(await self.credentials(target))

    async def credentials(self, target: JoinTarget) -> Credentials:
        if isinstance(target, TokenTarget):
            return resolve_token(target)
        if isinstance(target, ApiKeyTarget):
            return resolve_api_key(target)
        if isinstance(target, ProfileTarget):
            if self.book is None:
                raise SessionError("Saved profiles are not available in this window.")
            return await self.book.resolve(target)
        raise SessionError(f"lkdesk cannot join {type(target).__name__}.")

    async def target_for_link(self, link: JoinLink) -> JoinTarget:
        """The join target a meeting link stands for (a saved API key fills in a token)."""
        if link.token:
            return TokenTarget(link.url, link.token)
        if self.book is not None:
            profile = await self.book.api_key_profile_for(link.url)
            if profile is not None:
                return ProfileTarget(profile.id, room=link.room)
        raise InvalidTargetError(
            "link",
            f"The link names room '{link.room}' but no token, and no API key is saved for "
            f"{link.url}. Ask for a link with a token, or save the server's API key first.",
        )

    def _call(self, credentials: Credentials) -> Session:
        from lkdesk import rtc  # the rtc stack loads only when needed
        from lkdesk.session.call import CallSession

        options = rtc.RoomOptions(
            join_timeout_s=self.join_timeout_s, media_timeout_s=self.media_timeout_s
        )
        return CallSession(credentials, room_options=options)
