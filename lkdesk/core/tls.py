"""TLS trust for every connection lkdesk makes to a server: signalling, RoomService, TURN/TLS.

Certificates are always verified, against the operating system's trust store (truststore:
the platform verifier on macOS and Windows, the system CA bundle on Linux) plus — only when
the user picked one for that server — the CA certificate in :class:`ServerTrust`. There is
deliberately no way to skip verification: a private server is trusted by trusting its CA.

A failed verification is turned into a :class:`CertificateProblem` naming the fault
(self-signed, expired, wrong host name, unknown CA) and what to do about it, so the
signalling client and the RoomService client word the same fault the same way.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import truststore

__all__ = [
    "CaCertificateError",
    "CaSummary",
    "CertificateFault",
    "CertificateProblem",
    "ServerTrust",
    "certificate_problem",
    "client_context",
    "client_context_async",
    "describe_ca",
]


@dataclass(frozen=True, slots=True)
class ServerTrust:
    """What to trust for one server, besides the system's trust store.

    ``extra_ca_pem`` is the PEM text of CA certificate(s) the user chose for this server
    (empty: the system's trust store only).
    """

    extra_ca_pem: str = ""

    def __repr__(self) -> str:
        return f"ServerTrust(extra_ca={'yes' if self.extra_ca_pem else 'no'})"


class CaCertificateError(ValueError):
    """The text given as a CA certificate is not a PEM certificate."""


def client_context(trust: ServerTrust | None = None) -> ssl.SSLContext:
    """A verifying client context for ``trust`` (cached: contexts are reused and reentrant).

    Building one reads the system's CA bundle; call :func:`client_context_async` from the
    event loop.
    """
    return _context(trust or ServerTrust())


@functools.lru_cache(maxsize=8)
def _context(trust: ServerTrust) -> ssl.SSLContext:
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if trust.extra_ca_pem:
        try:
            context.load_verify_locations(cadata=trust.extra_ca_pem)
        except ssl.SSLError as exc:
            raise CaCertificateError(
                "The trusted CA saved for this server is not a valid certificate; pick the "
                "CA file again in the server's settings."
            ) from exc
    return context


async def client_context_async(trust: ServerTrust | None = None) -> ssl.SSLContext:
    """:func:`client_context` off the event loop (the first build reads files)."""
    return await asyncio.to_thread(client_context, trust)


@dataclass(frozen=True, slots=True)
class CaSummary:
    """A CA certificate as a person recognises it."""

    subject: str
    expires: str


def describe_ca(pem: str) -> CaSummary:
    """Check ``pem`` holds at least one certificate and describe the first one."""
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise CaCertificateError(
            "That file holds no PEM certificate (a text file with '-----BEGIN CERTIFICATE-----'). "
            "Pick the CA certificate your server's administrator gave you."
        )
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        probe.load_verify_locations(cadata=pem)
    except ssl.SSLError as exc:
        raise CaCertificateError(
            "That file is not a readable PEM certificate; pick the CA certificate (.pem/.crt) "
            "your server's administrator gave you."
        ) from exc
    certs: list[dict[str, Any]] = probe.get_ca_certs()
    first = certs[0] if certs else {}
    names = {key: value for rdn in first.get("subject", ()) for key, value in rdn}
    subject = str(names.get("commonName") or names.get("organizationName") or "unnamed CA")
    return CaSummary(subject, str(first.get("notAfter", "")))


class CertificateFault(StrEnum):
    """Why a server's certificate was not accepted."""

    SELF_SIGNED = "self-signed"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    WRONG_HOST = "wrong host name"
    UNKNOWN_CA = "unknown CA"
    OTHER = "invalid"


# OpenSSL X509_V_ERR_* codes (Linux; truststore verifies through OpenSSL there).
_CODES = {
    18: CertificateFault.SELF_SIGNED,  # DEPTH_ZERO_SELF_SIGNED_CERT
    10: CertificateFault.EXPIRED,  # CERT_HAS_EXPIRED
    9: CertificateFault.NOT_YET_VALID,  # CERT_NOT_YET_VALID
    62: CertificateFault.WRONG_HOST,  # HOSTNAME_MISMATCH
    64: CertificateFault.WRONG_HOST,  # IP_ADDRESS_MISMATCH
    2: CertificateFault.UNKNOWN_CA,  # UNABLE_TO_GET_ISSUER_CERT
    19: CertificateFault.UNKNOWN_CA,  # SELF_SIGNED_CERT_IN_CHAIN (untrusted root)
    20: CertificateFault.UNKNOWN_CA,  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: CertificateFault.UNKNOWN_CA,  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
}

# The platform verifiers (macOS, Windows) report text only.
_WORDS = (
    (("self signed", "self-signed"), CertificateFault.SELF_SIGNED),
    (("expired", "validity period"), CertificateFault.EXPIRED),
    (("not yet valid",), CertificateFault.NOT_YET_VALID),
    (("hostname mismatch", "requested host", "doesn't match", "does not match",
      "cn name"), CertificateFault.WRONG_HOST),
    (("not trusted", "untrusted", "unknown ca", "local issuer", "root certificate"),
     CertificateFault.UNKNOWN_CA),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CertificateProblem:
    """A rejected certificate: the fault and the sentence to show."""

    fault: CertificateFault
    message: str


def certificate_problem(error: ssl.SSLCertVerificationError, host: str) -> CertificateProblem:
    """Name the fault of a failed verification of ``host``'s certificate and what to do."""
    detail = str(getattr(error, "verify_message", None) or error)
    fault = None
    if getattr(error, "reason", None) == "CERTIFICATE_VERIFY_FAILED":  # OpenSSL's verdict
        fault = _CODES.get(getattr(error, "verify_code", None) or -1)
    if fault is None:  # the platform verifier's words (truststore on macOS/Windows)
        text = f"{detail} {error}".lower()
        fault = next(
            (f for words, f in _WORDS if any(w in text for w in words)), CertificateFault.OTHER
        )
    return CertificateProblem(fault, _message(fault, host, detail))


_TRUST_HINT = "or trust this server's CA in the server's settings (Trusted CA)."


def _message(fault: CertificateFault, host: str, detail: str) -> str:
    match fault:
        case CertificateFault.SELF_SIGNED:
            return (
                f"The server {host} uses a self-signed certificate, which no certificate "
                "authority vouches for, so lkdesk did not connect. Give the server a "
                f"certificate from a certificate authority, {_TRUST_HINT}"
            )
        case CertificateFault.EXPIRED:
            return (
                f"The certificate of {host} has expired, so lkdesk did not connect. The "
                "server's administrator must renew it (also check this computer's date)."
            )
        case CertificateFault.NOT_YET_VALID:
            return (
                f"The certificate of {host} is not valid yet, so lkdesk did not connect. "
                "Check this computer's date and time."
            )
        case CertificateFault.WRONG_HOST:
            return (
                f"The certificate of {host} was issued for a different host name, so lkdesk "
                "did not connect. Check the server address: use the name on the server's "
                "certificate."
            )
        case CertificateFault.UNKNOWN_CA:
            return (
                f"The certificate of {host} was issued by a certificate authority this "
                "computer does not trust, so lkdesk did not connect. Install that CA on "
                f"this computer, {_TRUST_HINT}"
            )
    return f"The certificate of {host} was not accepted ({detail}); lkdesk did not connect."
