#!/usr/bin/env bash
# Regenerate docs/screenshots/*.png: lkdesk under Xvfb, driven through its screens by
# tests/ui/tour.py (demo room, temporary settings), captured with ImageMagick's `import`.
#   scripts/screenshots.sh [OUT_DIR] [light|dark]
# Needs: Xvfb, imagemagick, and the xcb libraries listed in /work/shared/REAL_COMPONENTS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs/screenshots}"
THEME="${2:-light}"
DISPLAY_NUM="${LKDESK_XVFB_DISPLAY:-:99}"
cd "$ROOT"

for tool in Xvfb import; do
    command -v "$tool" >/dev/null || { echo "screenshots: '$tool' is not installed" >&2; exit 2; }
done

PY="${PYTHON:-$ROOT/.venv/bin/python}"
RUNTIME="$(mktemp -d)"
chmod 700 "$RUNTIME"
XVFB_PID=""
cleanup() {
    [[ -n $XVFB_PID ]] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
    rm -rf "$RUNTIME"
}
trap cleanup EXIT

# run_tour WIDTHxHEIGHT [tour args]: a fresh Xvfb of that size, the tour, Xvfb stopped.
run_tour() {
    local size=$1; shift
    Xvfb "$DISPLAY_NUM" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    local socket="/tmp/.X11-unix/X${DISPLAY_NUM#:}" _
    for _ in $(seq 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
    [[ -S "$socket" ]] || { echo "screenshots: Xvfb did not start on $DISPLAY_NUM" >&2; exit 2; }
    DISPLAY="$DISPLAY_NUM" QT_QPA_PLATFORM=xcb XDG_RUNTIME_DIR="$RUNTIME" \
        "$PY" -m tests.ui.tour "$OUT" --capture import --theme "$THEME" "$@"
    kill "$XVFB_PID"; wait "$XVFB_PID" 2>/dev/null || true; XVFB_PID=""
}

run_tour 1366x768            # a common laptop screen
run_tour 1024x640 --small    # the smallest screen the room is made for
PYTHON="$PY" bash "$ROOT/scripts/screenshots-desktop.sh" "$OUT"  # needs the server: sandbox
echo "screenshots written to $OUT"
