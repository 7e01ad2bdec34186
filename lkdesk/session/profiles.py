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
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

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

__all__ = ["AuthKind", "Profile", "ProfileBook", "TokenRef", "same_server"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


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
        self._tidied = False

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

    def secrets_where(self) -> str:
        """Where saved secrets live, in words (Settings → Privacy)."""
        if self._store is None:
            return "Nowhere: no keyring is available, so secrets are not saved."
        if self._store.secrets_are_session_only:
            return "In lkdesk's memory only, until it closes (you chose this)."
        return "Your system keyring (service name lkdesk)."

    @property
    def config_path(self) -> Path | None:
        """The file holding the non-secret profile data (None without a store)."""
        return None if self._store is None else self._store.config_path

    async def profiles(self) -> tuple[Profile, ...]:
        """Saved profiles; duplicates (same server, same key) are merged on first read."""
        if self._store is None:
            return ()
        if not self._tidied:
            self._tidied = True
            await self._merge_duplicates()
        return await self._run(self._store.list_profiles)

    async def api_key_profile_for(self, url: str) -> Profile | None:
        """The first saved API-key profile for the server at ``url``."""
        for profile in await self.profiles():
            if profile.auth_kind is AuthKind.API_KEY and same_server(profile.server_url, url):
                return profile
        return None

    async def save_api_key(
        self, label: str, url: str, api_key: str, api_secret: str, *, trusted_ca_pem: str = ""
    ) -> Profile:
        """Save (or update, by server and key) an API-key profile; the secret: keyring."""
        store = self._need_store()
        url = _url(url)
        existing = [
            p
            for p in await self.profiles()
            if p.auth_kind is AuthKind.API_KEY
            and same_server(p.server_url, url)
            and p.api_key == api_key.strip()
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
        """Save ``token`` under the token profile of its server (created when missing)."""
        store = self._need_store()
        url = _url(url)
        existing = [
            p
            for p in await self.profiles()
            if p.auth_kind is AuthKind.TOKENS and same_server(p.server_url, url)
        ]
        if existing:
            profile = existing[0]
            if label and label != profile.label:
                profile = await self._run(lambda: store.rename_profile(existing[0].id, label))
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

    async def rename(self, profile_id: str, label: str) -> Profile:
        """Give a saved server a new name."""
        store = self._need_store()
        return await self._run(lambda: store.rename_profile(profile_id, label))

    async def forget_everything(self) -> None:
        """Forget every saved server and its secrets, then remove the profiles file."""
        store = self._need_store()
        for profile in await self._run(store.list_profiles):
            await self._run(partial(store.forget_profile, profile.id))
        await self._run(partial(store.config_path.unlink, missing_ok=True))

    async def _merge_duplicates(self) -> None:
        """Fold profiles of the same server (and key) into the first one saved."""
        store = self._need_store()
        profiles = await self._run(store.list_profiles)
        kept: list[Profile] = []
        for profile in profiles:
            twin = next((k for k in kept if _duplicates(k, profile)), None)
            if twin is None:
                kept.append(profile)
                continue
            logger.info("merging duplicate profile %s into %s", profile.id, twin.id)
            try:
                for ref in profile.tokens:
                    saved = await self._run(
                        partial(store.get_token, profile.id, ref.room, ref.identity)
                    )
                    await self._run(partial(store.save_token, twin.id, saved.token))
                await self._run(partial(store.forget_profile, profile.id))
            except SessionError as exc:  # a lost secret: keep both rather than lose one
                logger.warning("could not merge profile %s: %s", profile.id, exc)

    async def forget(self, profile_id: str) -> None:
        store = self._need_store()
        await self._run(lambda: store.forget_profile(profile_id))

    async def passphrase(self, profile_id: str) -> str:
        """The passphrase kept with a saved server ("" when none, or none can be kept)."""
        store = self._store
        if store is None:
            return ""
        return await self._run(lambda: store.passphrase(profile_id)) or ""

    async def remember_passphrase(self, profile_id: str, passphrase: str | None) -> None:
        """Keep ``passphrase`` with the saved server in the keyring, or forget it (None)."""
        store = self._need_store()
        await self._run(lambda: store.set_passphrase(profile_id, passphrase))

    async def api_secret(self, profile_id: str) -> str:
        """The API secret saved for an API-key profile (the admin console signs with it)."""
        store = self._need_store()
        credentials = await self._run(lambda: store.api_credentials(profile_id))
        return credentials.api_secret

    async def saved_tokens(self, profile_id: str) -> list[str]:
        """Every token saved under a token profile."""
        store = self._need_store()
        profile = await self._run(lambda: store.get_profile(profile_id))
        tokens = []
        for ref in profile.tokens:
            saved = await self._run(partial(store.get_token, profile_id, ref.room, ref.identity))
            tokens.append(saved.token)
        return tokens

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


def same_server(a: str, b: str) -> bool:
    """Whether two server URLs name the same server (ws/http and wss/https alike)."""
    return _server_key(a) == _server_key(b)


def _server_key(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url.strip().rstrip("/"))
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def _duplicates(a: Profile, b: Profile) -> bool:
    return (
        a.auth_kind is b.auth_kind
        and same_server(a.server_url, b.server_url)
        and (a.auth_kind is AuthKind.TOKENS or a.api_key == b.api_key)
    )


def _url(url: str) -> str:
    try:
        return normalise_url(url)
    except AuthError as exc:
        raise InvalidTargetError("url", str(exc)) from None
