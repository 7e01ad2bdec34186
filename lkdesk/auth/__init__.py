"""Profiles, secrets and tokens for LiveKit servers. No Qt.

- :mod:`lkdesk.auth.profiles`: the profile model (no secrets)
- :mod:`lkdesk.auth.store`: :class:`ProfileStore` (config file + secret store)
- :mod:`lkdesk.auth.secrets`: keyring-backed and session-only secret stores
- :mod:`lkdesk.auth.tokens`: decode, expiry checks and minting of access tokens
"""

from lkdesk.auth.errors import (
    AuthError,
    ConfigFileError,
    InvalidProfileError,
    KeyringProblem,
    KeyringUnavailableError,
    MalformedTokenError,
    ProfileNotFoundError,
    SecretNotFoundError,
    TokenMintError,
)
from lkdesk.auth.profiles import ApiCredentials, AuthKind, Profile, SavedToken, TokenRef
from lkdesk.auth.secrets import (
    KeyringSecretStore,
    SecretStore,
    SessionSecretStore,
    open_keyring,
)
from lkdesk.auth.store import ProfileStore
from lkdesk.auth.tokens import (
    TokenGrants,
    TokenInfo,
    decode_token,
    expires_within,
    is_expired,
    mint_token,
)

__all__ = [
    "ApiCredentials",
    "AuthError",
    "AuthKind",
    "ConfigFileError",
    "InvalidProfileError",
    "KeyringProblem",
    "KeyringSecretStore",
    "KeyringUnavailableError",
    "MalformedTokenError",
    "Profile",
    "ProfileNotFoundError",
    "ProfileStore",
    "SavedToken",
    "SecretNotFoundError",
    "SecretStore",
    "SessionSecretStore",
    "TokenGrants",
    "TokenInfo",
    "TokenMintError",
    "TokenRef",
    "decode_token",
    "expires_within",
    "is_expired",
    "mint_token",
    "open_keyring",
]
