#!/usr/bin/env bash
# Install lkdesk into .venv (first run only, or when pyproject.toml changed) and start it.
# Needs Python >= 3.11. Linux also needs PortAudio for audio (Debian/Ubuntu: libportaudio2);
# the app still opens without it and says what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.lkdesk-app-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e .
    echo "$want" > "$stamp"
fi
exec .venv/bin/python main.py "$@"
