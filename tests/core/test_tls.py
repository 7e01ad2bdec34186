"""core.tls: a verifying context with an extra CA, CA files described, faults named.

Real handshakes against an in-process TLS server (asyncio, certificates from a CA made in
the test), so the fault names come from OpenSSL's own verification results.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from lkdesk.core.tls import (
    CaCertificateError,
    CertificateFault,
    ServerTrust,
    certificate_problem,
    client_context,
    describe_ca,
)
from tests.integration.certs import CertFiles, TestCa, self_signed


async def _handshake(files: CertFiles, trust: ServerTrust, host: str = "localhost") -> None:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert, files.key)
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        _reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_context(trust), server_hostname=host
        )
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def ca(tmp_path: Path) -> TestCa:
    return TestCa(tmp_path / "ca")


async def test_a_certificate_from_the_trusted_ca_is_accepted(ca: TestCa) -> None:
    await _handshake(ca.issue("good", "localhost"), ServerTrust(ca.pem))


@pytest.mark.parametrize(
    ("case", "fault"),
    [
        ("self_signed", CertificateFault.SELF_SIGNED),
        ("expired", CertificateFault.EXPIRED),
        ("not_yet_valid", CertificateFault.NOT_YET_VALID),
        ("wrong_host", CertificateFault.WRONG_HOST),
        ("unknown_ca", CertificateFault.UNKNOWN_CA),
    ],
)
async def test_each_rejected_certificate_is_named_by_its_fault(
    ca: TestCa, tmp_path: Path, case: str, fault: CertificateFault
) -> None:
    files = {
        "self_signed": lambda: self_signed(tmp_path, "ss", "localhost"),
        "expired": lambda: ca.issue("old", "localhost", valid_days=(-9, -2)),
        "not_yet_valid": lambda: ca.issue("new", "localhost", valid_days=(2, 9)),
        "wrong_host": lambda: ca.issue("other", "other.example"),
        "unknown_ca": lambda: TestCa(tmp_path / "x", "Stranger").issue("s", "localhost"),
    }[case]()
    trust = ServerTrust("" if case in ("self_signed", "unknown_ca") else ca.pem)
    with pytest.raises(ssl.SSLCertVerificationError) as rejected:
        await _handshake(files, trust)
    problem = certificate_problem(rejected.value, "localhost")
    assert problem.fault is fault
    assert "localhost" in problem.message and "did not connect" in problem.message


def test_platform_verifier_texts_are_named_too() -> None:
    """macOS and Windows report words, not OpenSSL codes (truststore passes them on)."""
    cases = {
        "certificate has expired": CertificateFault.EXPIRED,
        "Hostname mismatch, certificate is not valid for 'x'": CertificateFault.WRONG_HOST,
        "self signed certificate": CertificateFault.SELF_SIGNED,
        "certificate is not trusted": CertificateFault.UNKNOWN_CA,
    }
    for text, fault in cases.items():
        error = ssl.SSLCertVerificationError(1, text)
        assert certificate_problem(error, "h").fault is fault, text


def test_describe_ca_names_the_ca_and_refuses_other_files(ca: TestCa) -> None:
    summary = describe_ca(ca.pem)
    assert summary.subject == "lkdesk Test CA" and summary.expires
    with pytest.raises(CaCertificateError, match="no PEM certificate"):
        describe_ca("hello")
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(CaCertificateError, match="not a readable PEM"):
        describe_ca(broken)


def test_contexts_always_verify_and_are_shared_per_trust(ca: TestCa) -> None:
    context = client_context(ServerTrust(ca.pem))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert client_context(ServerTrust(ca.pem)) is context
    assert client_context() is client_context(ServerTrust())
    assert "BEGIN" not in repr(ServerTrust(ca.pem))
