"""The aiortc internals lkdesk's adaptation layer relies on are there, in the pinned version."""

from __future__ import annotations

import aiortc
import pytest
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcsctptransport import RTCSctpTransport

from lkdesk.rtc.engine import adapt
from lkdesk.rtc.engine.adapt import version


def test_aiortc_version_is_the_one_the_adaptation_was_written_for() -> None:
    assert aiortc.__version__.startswith(version.SUPPORTED_AIORTC)
    adapt.check_compatible()


def test_adaptation_refuses_other_aiortc_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiortc, "__version__", "1.17.0")
    with pytest.raises(adapt.AiortcIncompatibleError):
        adapt.check_compatible()


def test_receiver_internals_the_adaptation_patches_exist() -> None:
    names = RTCRtpReceiver.__init__.__code__.co_names
    for field in (
        "codecs",
        "rtx_ssrc",
        "started",
        "jitter_buffer",
        "nack_generator",
        "timestamp_mapper",
    ):
        assert f"_RTCRtpReceiver__{field}" in names


def test_sctp_internals_the_undelivered_count_reads_exist() -> None:
    names = RTCSctpTransport.__init__.__code__.co_names
    for field in version.SCTP_FIELDS:
        assert field in names


def test_ice_internals_the_gathering_adaptation_uses_exist() -> None:
    from aioice import Connection
    from aiortc import RTCPeerConnection

    assert "_RTCPeerConnection__iceTransports" in RTCPeerConnection.__init__.__code__.co_names
    for field in version.ICE_CONNECTION_FIELDS:
        assert field in Connection.__init__.__code__.co_names
