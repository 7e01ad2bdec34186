"""The profile store: profiles in the config file, their secrets in a :class:`SecretStore`.

Secrets are written to the secret store before the config file is updated, and removed
from it before a profile disappears, so a failing keyring leaves no half-saved profile.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from lkdesk.auth.config_file import FILE_NAME, load_profiles, save_profiles
from lkdesk.auth.errors import (
    InvalidProfileError,
    MalformedTokenError,
    ProfileNotFoundError,
    SecretNotFoundError,
)
from lkdesk.auth.paths import default_config_dir
from lkdesk.auth.profiles import ApiCredentials, AuthKind, Profile, SavedToken, TokenRef
from lkdesk.auth.secrets import SecretStore
from lkdesk.auth.tokens import decode_token

log = logging.getLogger(__name__)


class ProfileStore:
    """List, save, rename and forget profiles; save and forget their tokens.

    ``secrets`` is a :class:`KeyringSecretStore` normally, or a :class:`SessionSecretStore`
    when the user chose session-only secrets. ``config_dir`` defaults to
    :func:`default_config_dir` (``$LKDESK_CONFIG_DIR`` overrides it).
    """

    def __init__(self, secrets: SecretStore, config_dir: Path | None = None) -> None:
        self._secrets = secrets
        self.config_dir = config_dir if config_dir is not None else default_config_dir()

    @property
    def config_path(self) -> Path:
        """The JSON file holding the non-secret profile data."""
        return self.config_dir / FILE_NAME

    @property
    def secrets_are_session_only(self) -> bool:
        """True when secrets are kept in memory only and lost when lkdesk exits."""
        return self._secrets.secrets_are_session_only

    def list_profiles(self) -> tuple[Profile, ...]:
        """All profiles, in the order they were first saved."""
        return load_profiles(self.config_path)

    def get_profile(self, profile_id: str) -> Profile:
        """The profile with ``profile_id``; raises ProfileNotFoundError."""
        for profile in self.list_profiles():
            if profile.id == profile_id:
                return profile
        raise ProfileNotFoundError(
            f"No profile with id {profile_id} exists; it may have been forgotten."
        )

    def save_profile(self, profile: Profile, *, api_secret: str | None = None) -> Profile:
        """Create or update ``profile``; store ``api_secret`` (if given) in the secret store.

        An API-key profile must have a secret: given now or saved before. Saved tokens are
        managed by :meth:`save_token` / :meth:`forget_token`; ``profile.tokens`` is ignored.
        """
        existing = {p.id: p for p in self.list_profiles()}.get(profile.id)
        profile = replace(profile, tokens=existing.tokens if existing else ()).validated()
        key = _secret_key(profile.id)
        if profile.auth_kind is AuthKind.API_KEY:
            if api_secret is not None:
                if not api_secret:
                    raise InvalidProfileError("The API secret is empty; enter the API secret.")
                self._secrets.set(key, api_secret)
            elif self._secrets.get(key) is None:
                raise InvalidProfileError(
                    f"Profile '{profile.label}' uses an API key: enter its API secret."
                )
        elif api_secret is not None:
            raise InvalidProfileError("A token profile has no API secret; choose 'API key'.")
        else:
            self._secrets.delete(key)
        self._write(_upsert(self.list_profiles(), profile))
        log.info("saved profile %s (%s)", profile.id, profile.label)
        return profile

    def rename_profile(self, profile_id: str, label: str) -> Profile:
        """Give a profile a new label."""
        profile = replace(self.get_profile(profile_id), label=label).validated()
        self._write(_upsert(self.list_profiles(), profile))
        return profile

    def set_trusted_ca(self, profile_id: str, pem: str) -> Profile:
        """Trust the CA certificate(s) ``pem`` for this server ("" : system trust store only)."""
        profile = replace(self.get_profile(profile_id), trusted_ca_pem=pem.strip()).validated()
        self._write(_upsert(self.list_profiles(), profile))
        log.info("profile %s trusts %s", profile_id, "a CA of its own" if pem else "system CAs")
        return profile

    def forget_profile(self, profile_id: str) -> None:
        """Remove a profile, its API secret and all its saved tokens."""
        profile = self.get_profile(profile_id)
        for ref in profile.tokens:
            self._secrets.delete(_token_key(profile_id, ref))
        self._secrets.delete(_secret_key(profile_id))
        self._secrets.delete(_passphrase_key(profile_id))
        self._write(tuple(p for p in self.list_profiles() if p.id != profile_id))
        log.info("forgot profile %s", profile_id)

    def api_credentials(self, profile_id: str) -> ApiCredentials:
        """The profile's API key and secret; raises SecretNotFoundError if the secret is gone."""
        profile = self.get_profile(profile_id)
        if profile.auth_kind is not AuthKind.API_KEY:
            raise InvalidProfileError(f"Profile '{profile.label}' has no API key and secret.")
        secret = self._secrets.get(_secret_key(profile_id))
        if secret is None:
            raise SecretNotFoundError(self._missing(profile, "API secret"))
        return ApiCredentials(profile.api_key, secret)

    def save_token(
        self, profile_id: str, token: str, *, room: str | None = None, identity: str | None = None
    ) -> TokenRef:
        """Save ``token`` for its room and identity (read from the token unless given)."""
        profile = self.get_profile(profile_id)
        info = decode_token(token)
        ref = TokenRef(
            info.room if room is None else room, info.identity if identity is None else identity
        )
        if not ref.identity:
            raise MalformedTokenError("The token names no identity; LiveKit rejects such tokens.")
        self._secrets.set(_token_key(profile_id, ref), token.strip())
        self._write(_upsert(self.list_profiles(), profile.with_token(ref)))
        log.info(
            "saved a token for profile %s, room %r, identity %r", profile_id, ref.room, ref.identity
        )
        return ref

    def get_token(self, profile_id: str, room: str, identity: str) -> SavedToken:
        """The saved token for ``room`` and ``identity``; raises SecretNotFoundError."""
        profile = self.get_profile(profile_id)
        ref = TokenRef(room, identity)
        token = self._secrets.get(_token_key(profile_id, ref)) if ref in profile.tokens else None
        if token is None:
            raise SecretNotFoundError(
                self._missing(profile, f"token for room '{room}' as '{identity}'")
            )
        return SavedToken(room, identity, token)

    def forget_token(self, profile_id: str, room: str, identity: str) -> Profile:
        """Remove the saved token for ``room`` and ``identity`` (no error if absent)."""
        profile = self.get_profile(profile_id)
        ref = TokenRef(room, identity)
        self._secrets.delete(_token_key(profile_id, ref))
        updated = profile.without_token(ref)
        self._write(_upsert(self.list_profiles(), updated))
        return updated

    def passphrase(self, profile_id: str) -> str | None:
        """The end-to-end encryption passphrase kept with the profile, if the user asked."""
        self.get_profile(profile_id)
        return self._secrets.get(_passphrase_key(profile_id))

    def set_passphrase(self, profile_id: str, passphrase: str | None) -> None:
        """Keep ``passphrase`` with the profile (in the secret store), or forget it (None)."""
        self.get_profile(profile_id)
        if passphrase:
            self._secrets.set(_passphrase_key(profile_id), passphrase)
        else:
            self._secrets.delete(_passphrase_key(profile_id))
        log.info("profile %s %s a passphrase", profile_id, "keeps" if passphrase else "keeps no")

    def _write(self, profiles: tuple[Profile, ...]) -> None:
        save_profiles(self.config_path, profiles)

    def _missing(self, profile: Profile, what: str) -> str:
        where = "this session's memory" if self.secrets_are_session_only else "the keyring"
        return f"The {what} of profile '{profile.label}' is not in {where}; enter it again."


def _upsert(profiles: tuple[Profile, ...], profile: Profile) -> tuple[Profile, ...]:
    if any(p.id == profile.id for p in profiles):
        return tuple(profile if p.id == profile.id else p for p in profiles)
    return (*profiles, profile)


def _secret_key(profile_id: str) -> str:
    return f"profile/{profile_id}/api_secret"


def _passphrase_key(profile_id: str) -> str:
    return f"profile/{profile_id}/e2ee_passphrase"


def _token_key(profile_id: str, ref: TokenRef) -> str:
    return f"profile/{profile_id}/token/{quote(ref.room, safe='')}/{quote(ref.identity, safe='')}"
