"""Where secrets live: the OS keyring, or (only if the user chooses) this session's memory.

There is deliberately no file-backed store. When the keyring cannot be used,
:class:`KeyringSecretStore` raises :class:`KeyringUnavailableError` and the caller decides
whether to continue with a :class:`SessionSecretStore`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from lkdesk.auth.errors import KeyringProblem, KeyringUnavailableError

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "lkdesk"
_PROBE_KEY = "lkdesk-keyring-probe"
_T = TypeVar("_T")


class SecretStore(Protocol):
    """A small key → secret map. Keys are not secret; values are."""

    @property
    def secrets_are_session_only(self) -> bool:
        """True when secrets vanish when the process exits."""
        ...

    def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or None."""
        ...

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing any previous value)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; no error when it is absent."""
        ...


class SessionSecretStore:
    """In-memory secrets for this session only: the explicit choice when no keyring works."""

    secrets_are_session_only = True

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"SessionSecretStore({len(self._values)} secrets)"

    def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or None."""
        return self._values.get(key)

    def set(self, key: str, value: str) -> None:
        """Keep ``value`` in memory under ``key``."""
        self._values[key] = value

    def delete(self, key: str) -> None:
        """Forget ``key`` if present."""
        self._values.pop(key, None)


class KeyringSecretStore:
    """Secrets in the OS keyring (Secret Service, Keychain, Credential Locker).

    ``backend`` defaults to keyring's active backend, looked up on every call. Every
    keyring failure becomes :class:`KeyringUnavailableError`.
    """

    secrets_are_session_only = False

    def __init__(
        self,
        service: str = DEFAULT_SERVICE,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self._backend = backend

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self.service!r}, backend={self.backend_name})"

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """The keyring backend in use."""
        return self._backend if self._backend is not None else keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        """A readable name of the backend, for messages."""
        return backend_name(self.backend)

    def check(self) -> None:
        """Raise KeyringUnavailableError unless the keyring is usable (reads a probe key)."""
        self._ensure_safe_backend()
        self._call(lambda b: b.get_password(self.service, _PROBE_KEY))

    def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or None."""
        self._ensure_safe_backend()
        value = self._call(lambda b: b.get_password(self.service, key))
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in the keyring."""
        self._ensure_safe_backend()
        self._call(lambda b: b.set_password(self.service, key, value))
        log.debug("stored a secret in %s under key %s", self.backend_name, key)

    def delete(self, key: str) -> None:
        """Remove ``key`` from the keyring; no error when it is absent."""
        if self.get(key) is None:
            return
        self._call(lambda b: b.delete_password(self.service, key))
        log.debug("deleted the secret under key %s from %s", key, self.backend_name)

    def _ensure_safe_backend(self) -> None:
        problem = classify_backend(self.backend)
        if problem is not None:
            raise KeyringUnavailableError(problem, self.backend_name)

    def _call(self, action: Callable[[keyring.backend.KeyringBackend], _T]) -> _T:
        backend = self.backend
        try:
            return action(backend)
        except keyring.errors.NoKeyringError as exc:
            raise self._error(KeyringProblem.NO_BACKEND, exc) from exc
        except keyring.errors.KeyringLocked as exc:
            raise self._error(KeyringProblem.LOCKED, exc) from exc
        except keyring.errors.InitError as exc:
            raise self._error(KeyringProblem.UNUSABLE, exc) from exc
        except (keyring.errors.KeyringError, RuntimeError, OSError) as exc:
            # PasswordSetError, PasswordDeleteError, D-Bus failures surfacing as OSError/...
            raise self._error(KeyringProblem.REFUSED, exc) from exc

    def _error(self, problem: KeyringProblem, exc: BaseException) -> KeyringUnavailableError:
        log.warning("keyring %s failed: %s", self.backend_name, type(exc).__name__)
        return KeyringUnavailableError(problem, self.backend_name)


def open_keyring(service: str = DEFAULT_SERVICE) -> KeyringSecretStore:
    """The OS keyring store, checked usable now; raises KeyringUnavailableError otherwise."""
    store = KeyringSecretStore(service)
    store.check()
    return store


def classify_backend(backend: keyring.backend.KeyringBackend) -> KeyringProblem | None:
    """Why ``backend`` must not hold secrets, or None when it is a real keyring."""
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        chained = list(backend.backends)
        return classify_backend(chained[0]) if chained else KeyringProblem.NO_BACKEND
    if isinstance(backend, keyring.backends.fail.Keyring):
        return KeyringProblem.NO_BACKEND
    if isinstance(backend, keyring.backends.null.Keyring):
        return KeyringProblem.INSECURE_BACKEND
    if type(backend).__module__.startswith("keyrings.alt"):
        return KeyringProblem.INSECURE_BACKEND  # plain-text or file-based stores
    return None


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """E.g. ``keyring.backends.SecretService.Keyring``."""
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"
