#!/usr/bin/env bash
# Screenshots of the desktop pieces (mini window, pop-out, history, global shortcuts,
# notifications, network check, admin console) from tests/ui/tour_desktop.py. They need
# the real LiveKit server, so this runs inside the test sandbox with its own Xvfb.
#   scripts/screenshots-desktop.sh [OUT_DIR]
# Called by scripts/screenshots.sh; needs what scripts/install-test-deps.sh installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(readlink -f "${1:-$ROOT/docs/screenshots}")"
PY="${PYTHON:-$ROOT/.venv/bin/python}"

if [[ "${LKDESK_SANDBOX:-}" != 1 ]]; then
    exec bash "$ROOT/tests/sandbox/run-in-sandbox.sh" bash "$0" "$OUT"
fi

cd "$ROOT"
for size in 1366x768 1024x640; do
    display=":$((RANDOM % 200 + 200))"
    Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 50); do [[ -S "/tmp/.X11-unix/X${display#:}" ]] && break; sleep 0.1; done
    small=()
    [[ $size == 1024x640 ]] && small=(--small)
    DISPLAY="$display" QT_QPA_PLATFORM=xcb PYTHONPATH="$ROOT" \
        "$PY" -m tests.ui.tour_desktop "$OUT" "${small[@]}" || { kill "$xvfb"; exit 1; }
    kill "$xvfb"; wait "$xvfb" 2>/dev/null || true
done
echo "desktop screenshots written to $OUT"
