"""Which proxy signalling uses comes from the environment; its password never shows."""

from __future__ import annotations

import pytest

from lkdesk.rtc.engine.proxies import display_proxy, proxy_for


def test_https_proxy_is_used_and_no_proxy_exempts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert proxy_for("wss://meet.example.org") == "http://proxy.corp:3128"
    monkeypatch.setenv("NO_PROXY", "example.org")
    assert proxy_for("wss://meet.example.org") is None
    assert proxy_for("wss://other.example.net") == "http://proxy.corp:3128"


def test_a_proxy_is_shown_without_its_credentials() -> None:
    shown = display_proxy("http://alice:s3cret@proxy.corp:3128/")
    assert shown == "http://proxy.corp:3128" and "s3cret" not in shown
