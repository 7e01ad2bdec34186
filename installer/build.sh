#!/usr/bin/env bash
# Build the lkdesk app bundle with PyInstaller into dist/lkdesk/, then check that it starts.
# Linux: also wraps it in a .deb (dist/lkdesk_<version>_amd64.deb) when dpkg-deb exists.
# Windows/macOS: run the same PyInstaller step there; an NSIS script or a .app/.dmg wrapper
# goes around dist/lkdesk (not produced on this Linux build machine).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
[[ -x $PY ]] || { echo "run scripts/run-app.sh once first (creates .venv)" >&2; exit 2; }
$PY -m pip install --quiet "pyinstaller>=6.10"
$PY -m PyInstaller --noconfirm --clean --distpath dist --workpath build installer/lkdesk.spec
echo "bundle: dist/lkdesk/lkdesk"
# Smoke check: the bundled app opens its window (offscreen) and exits on its own.
QT_QPA_PLATFORM=offscreen LKDESK_CONFIG_DIR="$(mktemp -d)" timeout 60 dist/lkdesk/lkdesk --smoke-test
if command -v dpkg-deb >/dev/null; then
    version=$($PY -c 'import lkdesk; print(lkdesk.__version__)')
    pkg="$(mktemp -d)"
    mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/share/applications"
    cp -r dist/lkdesk "$pkg/opt/lkdesk"
    cat > "$pkg/DEBIAN/control" <<CONTROL
Package: lkdesk
Version: $version
Architecture: amd64
Maintainer: lkdesk team
Depends: libportaudio2
Description: Desktop video conferencing for LiveKit
CONTROL
    cat > "$pkg/usr/share/applications/lkdesk.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=lkdesk
Comment=Video meetings on LiveKit
Exec=/opt/lkdesk/lkdesk
Icon=/opt/lkdesk/_internal/resources/icons/logo.svg
Categories=Network;VideoConference;
DESKTOP
    dpkg-deb --build --root-owner-group "$pkg" "dist/lkdesk_${version}_amd64.deb"
    rm -rf "$pkg"
fi
