#!/usr/bin/env bash
# Build the lkdesk app bundle with PyInstaller, check that it starts, and on Linux wrap it
# in a .deb:
#   /opt/lkdesk/                       the bundle
#   /usr/bin/lkdesk                    -> /opt/lkdesk/lkdesk
#   /usr/share/applications/lkdesk.desktop   (StartupWMClass, x-scheme-handler/lkdesk)
#   /usr/share/icons/hicolor/*/apps/lkdesk.{svg,png}
#
#   installer/build.sh [OUT_DIR]        (default: dist/)
# Env: PYTHON (default .venv/bin/python, else the python3 on PATH) with lkdesk's
# dependencies and pyinstaller installed; DEB_COMPRESSION (default xz).
# Windows/macOS: .github/workflows/desktop-installers.yml builds the same spec there and
# wraps it with installer/windows/lkdesk.nsi or installer/macos/make-dmg.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
PY="${PYTHON:-}"
if [[ -z $PY ]]; then
    if [[ -x $ROOT/.venv/bin/python ]]; then PY=$ROOT/.venv/bin/python; else PY=python3; fi
fi
"$PY" -c 'import PyInstaller' 2>/dev/null \
    || { echo "build: PyInstaller is missing: $PY -m pip install 'lkdesk[test]'" >&2; exit 2; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lkdesk-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$OUT" \
    --workpath "$WORK/pyinstaller" installer/lkdesk.spec
# Debug symbols go, except from wheels' vendored libraries (*.libs/): patchelf-edited
# files break when stripped. libpython and PyAV's modules lose most of their size.
if command -v strip >/dev/null && [[ $(uname -s) == Linux ]]; then
    find "$OUT/lkdesk/_internal" -type f -name '*.so*' -size +200k -not -path '*.libs/*' \
        -print0 | xargs -0 -r strip --strip-unneeded 2>/dev/null || true
fi
echo "bundle: $OUT/lkdesk/lkdesk ($(du -sh "$OUT/lkdesk" | cut -f1))"
# Smoke check: the bundled app opens its window (offscreen) and exits on its own.
QT_QPA_PLATFORM=offscreen LKDESK_CONFIG_DIR="$WORK/config" LKDESK_LOG_DIR="$WORK/log" \
    HOME="$WORK" timeout 60 "$OUT/lkdesk/lkdesk" --smoke-test

command -v dpkg-deb >/dev/null || exit 0
version=$("$PY" -c 'import lkdesk; print(lkdesk.__version__)')
pkg="$WORK/deb"
mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
    "$pkg/usr/share/icons/hicolor/scalable/apps"
cp -a "$OUT/lkdesk" "$pkg/opt/lkdesk"
ln -s /opt/lkdesk/lkdesk "$pkg/usr/bin/lkdesk"
install -m 644 installer/linux/lkdesk.desktop "$pkg/usr/share/applications/lkdesk.desktop"
install -m 644 resources/icons/logo.svg "$pkg/usr/share/icons/hicolor/scalable/apps/lkdesk.svg"
"$PY" installer/render_icons.py "$WORK/icons" 16 32 48 64 128 256 512
for size in 16 32 48 64 128 256 512; do
    dir="$pkg/usr/share/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$dir"
    install -m 644 "$WORK/icons/lkdesk-$size.png" "$dir/lkdesk.png"
done
install -m 755 installer/linux/postinst installer/linux/postrm "$pkg/DEBIAN/"
installed_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: lkdesk
Version: $version
Architecture: amd64
Maintainer: lkdesk team <lkdesk@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: libportaudio2, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xfixes0, libxcb-xkb1, libegl1, libgl1, libfontconfig1
Recommends: pulseaudio-utils, xdg-utils
Section: net
Priority: optional
Homepage: https://livekit.io
Description: Desktop video meetings for LiveKit
 Join rooms on LiveKit Cloud or your own LiveKit server: see and hear everyone,
 share your screen and chat. Opens lkdesk:// meeting links.
CONTROL
deb="$OUT/lkdesk_${version}_amd64.deb"
dpkg-deb -Z"${DEB_COMPRESSION:-xz}" --build --root-owner-group "$pkg" "$deb" >/dev/null
echo "deb: $deb ($(du -h "$deb" | cut -f1), installed ${installed_kb} KiB)"
