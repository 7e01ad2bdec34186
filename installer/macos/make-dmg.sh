#!/usr/bin/env bash
# Wrap the PyInstaller app (dist/lkdesk.app, built by installer/lkdesk.spec on macOS, with
# the lkdesk:// URL scheme in its Info.plist) in a compressed disk image.
#   installer/macos/make-dmg.sh [DIST_DIR]     -> DIST_DIR/lkdesk-<version>.dmg
set -euo pipefail
DIST="${1:-dist}"
APP="$DIST/lkdesk.app"
[[ -d $APP ]] || { echo "make-dmg: $APP not found; build the spec on macOS first" >&2; exit 2; }
version=$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist" 2>/dev/null || echo 0.0.0)
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "lkdesk" -srcfolder "$stage" -ov -format UDZO "$DIST/lkdesk-$version.dmg"
echo "dmg: $DIST/lkdesk-$version.dmg"
