#!/usr/bin/env bash
# Install everything lkdesk's tests need on a Debian 12 machine. Idempotent: on a warm machine
# every step sees its work already done and returns within a second or two.
#
#   1. apt packages (audio, keyring, browser, X/Qt libs, ...) - apt-get only if one is missing
#   2. the real LiveKit server, built with `go install` into a cache (Go >= 1.26 required)
#   3. .venv with `pip install -e '.[test]'` - redone when pyproject.toml changes
#   4. `npm ci` in tests/browser when it has a package-lock.json - redone when the lock changes
#
# Env: LKDESK_CACHE (default ~/.cache/lkdesk), LKDESK_FORCE_INSTALL=1 redoes steps 1, 3 and 4.
set -euo pipefail

readonly SERVER_VERSION=v1.13.5
readonly SERVER_MODULE=github.com/livekit/livekit-server/cmd/server
readonly GO_MIN_MINOR=26  # Go 1.26
readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly SERVER_CACHE="${LKDESK_CACHE:-$HOME/.cache/lkdesk}/livekit-server-$SERVER_VERSION"
readonly FORCE="${LKDESK_FORCE_INSTALL:-0}"

readonly APT_PACKAGES=(
    # audio: PortAudio for sounddevice, a real PulseAudio server, test speech
    libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins sox espeak-ng
    # Secret Service for keyring, private D-Bus sessions
    dbus gnome-keyring dbus-x11 libdbus-1-3
    # browser peer, virtual display, X tools the screen tests drive, screenshots
    chromium xvfb x11-xserver-utils x11-utils imagemagick nodejs npm
    # keystrokes into another application's window (global push-to-talk under Xvfb)
    xdotool
    # network namespace sandbox and the faults injected into it (tc, iptables, ss -K)
    iproute2 util-linux iptables
    # connectivity tests: a TLS-terminating reverse proxy and an HTTP CONNECT proxy, both
    # started by the tests themselves on free ports (never as system services)
    nginx tinyproxy
    # packaging tests: build the .deb (strip, dpkg-deb), install it, open lkdesk:// links
    # through the desktop database, compile the Windows installer script
    binutils dpkg xdg-utils desktop-file-utils shared-mime-info nsis
    # Qt (offscreen and xcb) and OpenCV runtime libs
    libgl1 libegl1 libfontconfig1
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
    libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
    libxcb-xfixes0 libxcb-xkb1 libxcb-util1 libx11-xcb1
    # tooling used by this script
    python3 python3-venv ca-certificates git
)

# Every program the tests, the sandbox or this script run, with the Debian package that brings
# it. After installing, each must be on PATH; a missing one fails loudly naming its package.
# (../shared/tools/check_install_steps.py finds programs the tests run; keep this list in step.)
readonly REQUIRED_PROGRAMS=(
    unshare:util-linux nsenter:util-linux ip:iproute2 ss:iproute2 tc:iproute2
    iptables:iptables nginx:nginx tinyproxy:tinyproxy
    dbus-daemon:dbus-daemon dbus-send:dbus-bin gnome-keyring-daemon:gnome-keyring
    pulseaudio:pulseaudio pactl:pulseaudio-utils parec:pulseaudio-utils paplay:pulseaudio-utils
    sox:sox espeak-ng:espeak-ng
    chromium:chromium node:nodejs npm:npm
    Xvfb:xvfb xsetroot:x11-xserver-utils xdpyinfo:x11-utils xprop:x11-utils
    xmessage:x11-utils xdotool:xdotool
    import:imagemagick convert:imagemagick
    strip:binutils dpkg:dpkg dpkg-deb:dpkg xdg-open:xdg-utils xdg-mime:xdg-utils
    desktop-file-validate:desktop-file-utils update-desktop-database:desktop-file-utils
    update-mime-database:shared-mime-info makensis:nsis
    git:git python3:python3
)

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root for: $*"
    fi
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_apt() {
    local -a wanted=() missing=()
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        # NodeSource's nodejs ships npm itself and conflicts with Debian's npm package.
        if [[ $pkg == npm ]] && ! apt_installed npm && command -v npm >/dev/null; then
            continue
        fi
        wanted+=("$pkg")
        apt_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 && $FORCE != 1 ]]; then
        log "apt: all ${#wanted[@]} packages present"
        return
    fi
    log "apt: installing ${missing[*]:-everything (forced)}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${wanted[@]}"
    no_system_services
}

# nginx and tinyproxy install a system service listening on ports 80 and 8888. The tests run
# their own instances; stop and disable the packaged ones where an init system started them.
no_system_services() {
    local service
    for service in nginx tinyproxy; do
        if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
            as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
        elif [[ -x /etc/init.d/$service ]]; then
            as_root /etc/init.d/"$service" stop >/dev/null 2>&1 || true
            as_root update-rc.d "$service" disable >/dev/null 2>&1 || true
        fi
    done
}

find_go() {
    if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
        PATH="/usr/local/go/bin:$PATH"
    fi
    command -v go >/dev/null \
        || die "Go >= 1.$GO_MIN_MINOR is needed to build livekit-server (https://go.dev/dl/)"
    local version major minor
    version="$(go env GOVERSION)"  # e.g. go1.26.1
    IFS=. read -r major minor _ <<<"${version#go}"
    if [[ $major -lt 1 || ( $major -eq 1 && ${minor:-0} -lt $GO_MIN_MINOR ) ]]; then
        die "Go $version at $(command -v go) is too old: livekit-server $SERVER_VERSION needs" \
            "Go >= 1.$GO_MIN_MINOR (Debian's golang package is 1.19; install from go.dev/dl)"
    fi
    log "go: $version at $(command -v go)"
}

install_server() {
    local bin="$SERVER_CACHE/bin/server"
    if [[ -x $bin ]] && "$bin" --version 2>/dev/null | grep -q "${SERVER_VERSION#v}"; then
        log "livekit-server: $("$bin" --version) at $bin"
        return
    fi
    find_go
    log "livekit-server: building $SERVER_VERSION (takes minutes on 2 cores)"
    mkdir -p "$SERVER_CACHE/bin"
    GOBIN="$SERVER_CACHE/bin" go install "$SERVER_MODULE@$SERVER_VERSION"
    "$bin" --version >/dev/null || die "built $bin does not run"
    log "livekit-server: installed at $bin"
}

install_venv() {
    local venv="$ROOT/.venv" stamp="$ROOT/.venv/.lkdesk-test-deps.sha256"
    [[ -x $venv/bin/python ]] || { log "venv: creating $venv"; python3 -m venv "$venv"; }
    if [[ $FORCE != 1 && -f $stamp && "$(cat "$stamp")" == "$(sha_of "$ROOT/pyproject.toml")" ]]
    then
        log "venv: up to date with pyproject.toml"
        return
    fi
    log "venv: pip install -e '.[test]'"
    (cd "$ROOT" && "$venv/bin/python" -m pip install -q -e '.[test]')
    sha_of "$ROOT/pyproject.toml" >"$stamp"
}

install_npm() {
    local dir="$ROOT/tests/browser"
    [[ -f $dir/package-lock.json ]] || { log "npm: no tests/browser/package-lock.json, skipped"; return; }
    local stamp="$dir/node_modules/.lkdesk-lock.sha256"
    if [[ $FORCE != 1 && -f $stamp && "$(cat "$stamp")" == "$(sha_of "$dir/package-lock.json")" ]]
    then
        log "npm: tests/browser/node_modules up to date"
        return
    fi
    log "npm: npm ci in tests/browser"
    # Never let a package download its own browser: the tests use Debian's chromium.
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
        npm ci --no-audit --no-fund --loglevel=error)
    sha_of "$dir/package-lock.json" >"$stamp"
}

check_programs() {
    local entry prog pkg
    local -a missing=()
    for entry in "${REQUIRED_PROGRAMS[@]}"; do
        prog=${entry%%:*} pkg=${entry#*:}
        command -v "$prog" >/dev/null || missing+=("$prog (Debian package $pkg)")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "ERROR: after installing, these programs the tests run are still missing:"
        printf '    %s\n' "${missing[@]}" >&2
        die "add their packages to APT_PACKAGES in scripts/install-test-deps.sh"
    fi
    log "programs: all ${#REQUIRED_PROGRAMS[@]} the tests run are on PATH"
}

install_apt
check_programs
install_server
install_venv
install_npm
log "done"
