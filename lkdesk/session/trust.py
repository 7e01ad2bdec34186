"""A CA certificate the user picks to trust for one server (never "ignore TLS errors").

The UI hands a file path; the PEM text is read off the event loop, checked to be a
certificate, and described so the user sees what they trust. The PEM then travels in the
join target and is saved with the server's profile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from lkdesk.core.tls import CaCertificateError, describe_ca
from lkdesk.session.errors import InvalidTargetError

MAX_CA_FILE_BYTES = 256 * 1024  # a CA bundle is a few kB; refuse to read anything huge


@dataclass(frozen=True, slots=True)
class TrustedCa:
    """A CA certificate (PEM) and what it says about itself."""

    pem: str = field(repr=False)
    subject: str
    expires: str

    @property
    def summary(self) -> str:
        until = f" (valid until {self.expires})" if self.expires else ""
        return f"Also trusts {self.subject}{until}"


def describe_trusted_ca(pem: str) -> TrustedCa | None:
    """``pem`` described, or None when empty or not a certificate."""
    if not pem.strip():
        return None
    try:
        summary = describe_ca(pem)
    except CaCertificateError:
        return None
    return TrustedCa(pem.strip(), summary.subject, summary.expires)


async def read_ca_file(path: str | Path) -> TrustedCa:
    """Read and check a CA certificate file; field ``trusted_ca`` on error."""
    try:
        text = await asyncio.to_thread(_read_text, Path(path))
    except OSError as exc:
        raise InvalidTargetError(
            "trusted_ca", f"Cannot read {path} ({exc.strerror or exc}); pick another file."
        ) from None
    try:
        summary = describe_ca(text)
    except CaCertificateError as exc:
        raise InvalidTargetError("trusted_ca", str(exc)) from None
    return TrustedCa(text.strip(), summary.subject, summary.expires)


def _read_text(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_CA_FILE_BYTES + 1)
    if len(data) > MAX_CA_FILE_BYTES:
        raise OSError(0, "the file is too large for a CA certificate")
    return data.decode("ascii", errors="replace")
