"""The Windows installer script compiles (makensis, stub payload); the macOS bundle asks
for the lkdesk:// scheme; the desktop entry is valid."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run scripts/install-test-deps.sh", pytrace=False)
    return path


def test_nsis_script_compiles_with_makensis_against_a_stub_payload(tmp_path: Path) -> None:
    payload = tmp_path / "lkdesk"
    (payload / "_internal").mkdir(parents=True)
    (payload / "lkdesk.exe").write_bytes(b"MZ stub standing in for the PyInstaller exe")
    (payload / "_internal" / "base_library.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    out = tmp_path / "lkdesk-setup.exe"
    done = subprocess.run(
        [
            need("makensis"),
            "-V2",
            "-DVERSION=0.1.0",
            f"-DPAYLOAD={payload}",
            f"-DOUTFILE={out}",
            str(ROOT / "installer" / "windows" / "lkdesk.nsi"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = out.read_bytes()
    assert data[:2] == b"MZ" and len(data) > 30_000  # a PE file with the NSIS stub inside
    assert b"Nullsoft" in data


def test_nsis_script_registers_the_url_handler_and_an_uninstaller() -> None:
    script = (ROOT / "installer" / "windows" / "lkdesk.nsi").read_text()
    assert 'WriteRegStr HKCU "Software\\Classes\\lkdesk" "URL Protocol" ""' in script
    assert re.search(r'shell\\open\\command" "" \'"\$INSTDIR\\lkdesk.exe" "%1"\'', script)
    assert "WriteUninstaller" in script


def test_desktop_entry_is_valid_and_handles_lkdesk_links() -> None:
    entry = ROOT / "installer" / "linux" / "lkdesk.desktop"
    done = subprocess.run(
        [need("desktop-file-validate"), str(entry)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout
    text = entry.read_text()
    for line in (
        "Exec=lkdesk %u",
        "Icon=lkdesk",
        "StartupWMClass=lkdesk",
        "MimeType=x-scheme-handler/lkdesk;",
    ):
        assert line in text.splitlines()


def test_macos_bundle_declares_the_lkdesk_url_scheme() -> None:
    spec = (ROOT / "installer" / "lkdesk.spec").read_text()
    assert '"CFBundleURLSchemes": ["lkdesk"]' in spec
    workflow = (ROOT / ".github" / "workflows" / "desktop-installers.yml").read_text()
    assert "make-dmg.sh" in workflow and "lkdesk.nsi" in workflow
