"""The ``lkdesk`` command: --version, a one-line exit without a display, where the log goes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_app(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    base.pop("QT_QPA_PLATFORM", None)
    base.update(HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"), **env)
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_version_prints_the_version_and_exits_without_a_display(tmp_path: Path) -> None:
    from lkdesk import __version__

    done = run_app(["--version"], {}, tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"lkdesk {__version__}"


def test_no_display_is_one_line_naming_the_problem_and_exit_2(tmp_path: Path) -> None:
    done = run_app([], {}, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("lkdesk: no display")
    assert "DISPLAY" in lines[0] and "core" not in done.stderr.lower()


def test_wayland_without_xwayland_is_named_and_exits_2(tmp_path: Path) -> None:
    done = run_app([], {"WAYLAND_DISPLAY": "wayland-0"}, tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Wayland" in done.stderr and "XWayland" in done.stderr


def test_display_that_does_not_answer_is_named(tmp_path: Path) -> None:
    done = run_app([], {"DISPLAY": ":187"}, tmp_path)
    assert done.returncode == 2
    assert "cannot connect to the X server at DISPLAY=:187" in done.stderr


def test_log_goes_to_the_platform_log_directory_and_aioice_is_quiet(tmp_path: Path) -> None:
    code = (
        "import logging, sys\n"
        "from lkdesk.app_logging import setup_logging\n"
        "path = setup_logging(verbose=sys.argv[1] == 'v')\n"
        "logging.getLogger('aioice.ice').info('an ICE check')\n"
        "logging.getLogger('aiortc.rtcdtlstransport').info('a DTLS step')\n"
        "logging.getLogger('lkdesk.x').info('lkdesk line')\n"
        "print(path)\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    env.pop("LKDESK_LOG_DIR", None)
    quiet = subprocess.run(
        [sys.executable, "-c", code, "q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    path = Path(quiet.stdout.strip())
    assert path == tmp_path / "state" / "lkdesk" / "lkdesk.log"
    text = path.read_text()
    assert "lkdesk line" in text and "ICE check" not in text and "DTLS step" not in text
    path.unlink()
    subprocess.run(
        [sys.executable, "-c", code, "v"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    text = path.read_text()
    assert "ICE check" in text and "DTLS step" in text


def test_building_the_package_prints_no_deprecation_warning(tmp_path: Path) -> None:
    """What pip's install step builds (setuptools' own warnings shown with -v)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "lkdesk", src / "lkdesk", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-v",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert "Deprecat" not in output, [line for line in output.splitlines() if "eprecat" in line]
    assert list((tmp_path / "dist").glob("lkdesk-*.whl"))


def test_a_link_on_the_command_line_opens_the_check_for_its_room(tmp_path: Path) -> None:
    from datetime import timedelta

    from lkdesk.auth import ApiCredentials, TokenGrants, mint_token
    from lkdesk.session import make_link

    creds = ApiCredentials("APIcli", "a-cli-secret-that-is-long-enough-for-hs256")
    grants = TokenGrants(room="retro", room_join=True)
    link = make_link(
        "wss://lk.example.com",
        mint_token(creds, identity="jo", grants=grants, ttl=timedelta(hours=1)),
    )
    report = tmp_path / "report.json"
    done = run_app(
        [link],
        {
            "QT_QPA_PLATFORM": "offscreen",
            "LKDESK_SMOKE_REPORT": str(report),
            "LKDESK_CONFIG_DIR": str(tmp_path / "config"),
        },
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    assert json.loads(report.read_text()) == {
        "page": "prejoin",
        "room": "retro",
        "server": "lk.example.com",
        "error": "",
    }
