"""``ProfileBook``: saved servers for the start screen, with the keyring off the event loop.

Keyring calls may block (D-Bus, an unlock prompt), so they run in a worker thread. When no
keyring can be used the book says so (:attr:`ProfileBook.keyring_problem`) and saves nothing
until the user explicitly chooses to keep secrets for this session only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from lkdesk.auth import (
    AuthError,
    AuthKind,
    KeyringUnavailableError,
    Profile,
    ProfileStore,
    SessionSecretStore,
    TokenRef,
    open_keyring,
)
from lkdesk.auth.profiles import normalise_url
from lkdesk.core.tls import ServerTrust
from lkdesk.session.errors import InvalidTargetError, SessionError
from lkdesk.session.targets import (
    Credentials,
    ProfileTarget,
    TokenTarget,
    check_room,
    mint_credentials,
    resolve_token,
)

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

__all__ = ["AuthKind", "Profile", "ProfileBook", "TokenRef"]


class ProfileBook:
    """Saved profiles and their secrets, as the UI needs them."""

    def __init__(
        self,
        store: ProfileStore | None,
        keyring_problem: str | None = None,
        config_dir: Path | None = None,
    ) -> None:
        self._store = store
        self.keyring_problem = keyring_problem
        self._config_dir = config_dir

    @classmethod
    async def open(cls, config_dir: Path | None = None) -> ProfileBook:
        """Open the OS keyring; on failure the book is empty and explains why."""
        try:
            secrets = await asyncio.to_thread(open_keyring)
        except KeyringUnavailableError as exc:
            logger.warning("keyring unavailable: %s", exc.problem)
            return cls(None, str(exc), config_dir)
        return cls(ProfileStore(secrets, config_dir), None, config_dir)

    @classmethod
    def session_only(cls, config_dir: Path | None = None) -> ProfileBook:
        """A book whose secrets live in memory only (tests, or the user's explicit choice)."""
        return cls(ProfileStore(SessionSecretStore(), config_dir), None, config_dir)

    @property
    def usable(self) -> bool:
        """False until a keyring works or session-only secrets were chosen."""
        return self._store is not None

    @property
    def secrets_are_session_only(self) -> bool:
        return self._store is not None and self._store.secrets_are_session_only

    def use_session_only_secrets(self) -> None:
        """The user's choice: remember secrets only until lkdesk exits."""
        self._store = ProfileStore(SessionSecretStore(), self._config_dir)
        self.keyring_problem = None

    async def profiles(self) -> tuple[Profile, ...]:
        if self._store is None:
            return ()
        return await self._run(self._store.list_profiles)

    async def save_api_key(
        self, label: str, url: str, api_key: str, api_secret: str, *, trusted_ca_pem: str = ""
    ) -> Profile:
        """Save (or update, by URL and key) an API-key profile; the secret goes to the keyring."""
        store = self._need_store()
        url = _url(url)
        existing = [
            p
            for p in await self.profiles()
            if p.server_url == url and p.auth_kind is AuthKind.API_KEY and p.api_key == api_key
        ]
        profile = Profile.new(label or url, url, AuthKind.API_KEY, api_key=api_key)
        if existing:
            profile = Profile(
                existing[0].id, label or existing[0].label, url, AuthKind.API_KEY, api_key
            )
        profile = replace(profile, trusted_ca_pem=trusted_ca_pem.strip())
        return await self._run(lambda: store.save_profile(profile, api_secret=api_secret))

    async def save_token(
        self, label: str, url: str, token: str, *, trusted_ca_pem: str = ""
    ) -> Profile:
        """Save ``token`` under a token profile for ``url`` (created when missing)."""
        store = self._need_store()
        url = _url(url)
        existing = [
            p
            for p in await self.profiles()
            if p.server_url == url and p.auth_kind is AuthKind.TOKENS
        ]
        if existing:
            profile = existing[0]
        else:
            new = Profile.new(label or url, url, AuthKind.TOKENS)
            profile = await self._run(lambda: store.save_profile(new))
        await self._run(lambda: store.save_token(profile.id, token))
        if trusted_ca_pem.strip() != profile.trusted_ca_pem:
            await self._run(lambda: store.set_trusted_ca(profile.id, trusted_ca_pem))
        return await self._run(lambda: store.get_profile(profile.id))

    async def set_trusted_ca(self, profile_id: str, pem: str) -> Profile:
        """Trust the CA in ``pem`` for this saved server ("" : the system's CAs only)."""
        store = self._need_store()
        return await self._run(lambda: store.set_trusted_ca(profile_id, pem))

    async def forget(self, profile_id: str) -> None:
        store = self._need_store()
        await self._run(lambda: store.forget_profile(profile_id))

    async def resolve(self, target: ProfileTarget) -> Credentials:
        """Credentials for joining with a saved profile."""
        store = self._need_store()
        profile = await self._run(lambda: store.get_profile(target.profile_id))
        if profile.auth_kind is AuthKind.API_KEY:
            room = check_room(target.room)
            credentials = await self._run(lambda: store.api_credentials(profile.id))
            name = target.display_name.strip() or "Guest"
            trust = ServerTrust(profile.trusted_ca_pem)
            return mint_credentials(profile.server_url, credentials, room, name, trust)
        saved = await self._run(lambda: store.get_token(profile.id, target.room, target.identity))
        return resolve_token(TokenTarget(profile.server_url, saved.token, profile.trusted_ca_pem))

    def _need_store(self) -> ProfileStore:
        if self._store is None:
            raise SessionError(
                self.keyring_problem or "Saved profiles are not available right now."
            )
        return self._store

    async def _run(self, call: Callable[[], _T]) -> _T:
        try:
            return await asyncio.to_thread(call)
        except AuthError as exc:
            raise SessionError(str(exc)) from exc


def _url(url: str) -> str:
    try:
        return normalise_url(url)
    except AuthError as exc:
        raise InvalidTargetError("url", str(exc)) from None
