"""Errors raised by :mod:`lkdesk.auth`.

Messages name the profile, file or keyring involved and say what to do. They never contain
a secret or a token.
"""

from __future__ import annotations

from enum import StrEnum

from lkdesk.core.errors import LkdeskError


class AuthError(LkdeskError):
    """Base class of every error raised by :mod:`lkdesk.auth`."""


class KeyringProblem(StrEnum):
    """Why the system keyring cannot be used."""

    NO_BACKEND = "no_backend"  # no Secret Service / Keychain / Credential Locker found
    INSECURE_BACKEND = "insecure_backend"  # a backend that would drop or expose secrets
    LOCKED = "locked"  # the keyring is locked and could not be unlocked
    UNUSABLE = "unusable"  # the service exists but its keyring could not be opened or created
    REFUSED = "refused"  # the keyring refused to store, read or delete the secret


_ADVICE = {
    KeyringProblem.NO_BACKEND: (
        "No system keyring is available to store secrets. Start or install one (GNOME Keyring "
        "or KWallet through the Secret Service on Linux; Keychain on macOS; Credential Locker "
        "on Windows), or choose to keep secrets for this session only."
    ),
    KeyringProblem.INSECURE_BACKEND: (
        "The configured keyring backend does not store secrets safely (it would discard them "
        "or write them to a plain file). Configure a system keyring, or choose to keep "
        "secrets for this session only."
    ),
    KeyringProblem.LOCKED: (
        "The system keyring is locked and could not be unlocked. Unlock it (log in to the "
        "desktop session or open your keyring manager) and try again, or choose to keep "
        "secrets for this session only."
    ),
    KeyringProblem.UNUSABLE: (
        "The system keyring service is running but its keyring could not be opened (there "
        "may be no default keyring yet, or its password prompt could not be shown). Open "
        "your keyring manager to create or unlock the default keyring, then retry, or "
        "choose to keep secrets for this session only."
    ),
    KeyringProblem.REFUSED: (
        "The system keyring refused the request. Check that lkdesk may use it (an access "
        "prompt may have been dismissed) and try again, or choose to keep secrets for this "
        "session only."
    ),
}


class KeyringUnavailableError(AuthError):
    """The OS keyring cannot be used; nothing was written anywhere else.

    The caller may retry later or explicitly choose a session-only store
    (:class:`lkdesk.auth.secrets.SessionSecretStore`).
    """

    def __init__(self, problem: KeyringProblem, backend: str) -> None:
        self.problem = problem
        self.backend = backend
        super().__init__(f"{_ADVICE[problem]} (keyring backend: {backend})")


class SecretNotFoundError(AuthError):
    """A profile's secret or token is not in the secret store (removed, or session-only)."""


class ProfileNotFoundError(AuthError):
    """No profile with the given id exists in the config file."""


class InvalidProfileError(AuthError):
    """Profile data is unusable (bad server URL, empty label, missing credentials)."""


class ConfigFileError(AuthError):
    """The profiles config file cannot be read or written."""


class MalformedTokenError(AuthError):
    """A string is not a decodable LiveKit access token (JWT)."""


class TokenMintError(AuthError):
    """A token could not be minted from the given credentials and grants."""
