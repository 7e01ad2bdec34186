#!/usr/bin/env bash
# Run a command inside a throw-away sandbox for lkdesk's tests:
#   * a fresh private network namespace (lo up, veth pair v0/v1, 10.77.0.1/24 on v0),
#     so WebRTC host candidates are real addresses yet no packet can leave the machine;
#   * a private D-Bus session bus with gnome-keyring (secrets component) unlocked;
#   * a PulseAudio daemon with a null sink `lk_sink` (48 kHz) and a source `lk_mic`
#     remapped from its monitor, both set as defaults;
#   * HOME, XDG_* and TMPDIR in a fresh mode-700 temp dir, removed afterwards.
# D-Bus and PulseAudio are started INSIDE the namespace: abstract unix sockets are per-netns.
# Afterwards every process still in the namespace (a leak: all were started by this run) is
# reported and killed; under CI=true that turns a passing run into exit code 3.
#
# Usage: tests/sandbox/run-in-sandbox.sh <command> [args...]
# Exit code: the command's (130 if interrupted), 2 if the sandbox could not be set up.
#
# Exported inside: LKDESK_SANDBOX=1, LKDESK_NETNS_IP, LKDESK_LIVEKIT_SERVER,
# QT_QPA_PLATFORM=offscreen, LKDESK_SANDBOX_DIR, DBUS_SESSION_BUS_ADDRESS.
set -euo pipefail

readonly NETNS_IP=10.77.0.1
readonly KEYRING_PASSWORD=lkdesk-test
SELF="$(readlink -f "${BASH_SOURCE[0]}")"
readonly SELF

log() { printf '[sandbox] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

# --- on the host ----------------------------------------------------------------------------
outer() {
    [[ $# -gt 0 ]] || die "usage: $0 <command> [args...]"
    local tool
    for tool in unshare ip dbus-daemon dbus-send gnome-keyring-daemon pulseaudio pactl; do
        command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/install-test-deps.sh"
    done
    if [[ -z "${LKDESK_LIVEKIT_SERVER:-}" ]]; then
        LKDESK_LIVEKIT_SERVER="${LKDESK_CACHE:-$HOME/.cache/lkdesk}/livekit-server-v1.13.5/bin/server"
    fi
    [[ -x "$LKDESK_LIVEKIT_SERVER" ]] \
        || log "warning: no LiveKit server at $LKDESK_LIVEKIT_SERVER (run scripts/install-test-deps.sh)"
    export LKDESK_LIVEKIT_SERVER

    local -a ns=(unshare --net)
    [[ $EUID -eq 0 ]] || ns=(unshare --user --map-root-user --net)
    exec "${ns[@]}" -- bash "$SELF" --in-netns "$@"
}

# --- inside the new network namespace ---------------------------------------------------------
SANDBOX_DIR=""
DBUS_PID=""
KEYRING_PID=""
PULSE_PID=""
INTERRUPTED=0
RC=0

setup_network() {
    ip link set lo up
    ip link add v0 type veth peer name v1
    ip addr add "$NETNS_IP/24" dev v0
    ip link set v0 up
    ip link set v1 up
}

setup_dirs_and_env() {
    SANDBOX_DIR="$(mktemp -d "${TMPDIR:-/tmp}/lkdesk-sandbox.XXXXXX")"
    chmod 700 "$SANDBOX_DIR"
    mkdir -m 700 -p "$SANDBOX_DIR/home/.local/share" "$SANDBOX_DIR/home/.config" \
        "$SANDBOX_DIR/home/.cache" "$SANDBOX_DIR/run" "$SANDBOX_DIR/tmp" "$SANDBOX_DIR/logs"
    export LKDESK_SANDBOX_DIR="$SANDBOX_DIR"
    export HOME="$SANDBOX_DIR/home"
    export XDG_RUNTIME_DIR="$SANDBOX_DIR/run"
    export XDG_DATA_HOME="$HOME/.local/share"
    export XDG_CONFIG_HOME="$HOME/.config"
    export XDG_CACHE_HOME="$HOME/.cache"
    export TMPDIR="$SANDBOX_DIR/tmp"
    export LKDESK_SANDBOX=1 LKDESK_NETNS_IP="$NETNS_IP" QT_QPA_PLATFORM=offscreen
    unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS PULSE_SERVER \
        GNOME_KEYRING_CONTROL SSH_AUTH_SOCK || true
}

# Wait up to 10 s for "$@" to succeed.
poll() {
    local _
    for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
    return 1
}

# A session bus whose socket lives in the sandbox dir, with no service activation: nothing
# but the daemons started here can own a name.
start_dbus() {
    local conf="$SANDBOX_DIR/run/dbus-session.conf" addr="$SANDBOX_DIR/run/dbus.address"
    cat >"$conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$SANDBOX_DIR/run</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    # (dbus-daemon warns that it cannot raise its fd limit in a container: harmless.)
    dbus-daemon --nofork --config-file="$conf" --print-address=3 3>"$addr" \
        2>"$SANDBOX_DIR/logs/dbus.log" &
    DBUS_PID=$!
    poll test -s "$addr" || die "dbus-daemon did not start: $(cat "$SANDBOX_DIR/logs/dbus.log")"
    DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$addr")"
    export DBUS_SESSION_BUS_ADDRESS
}

secrets_service_up() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q 'boolean true'
}

start_keyring() {
    # --foreground keeps the daemon our child (known pid); the password on stdin creates and
    # unlocks the login keyring in $XDG_DATA_HOME/keyrings.
    local env_file="$SANDBOX_DIR/run/keyring.env"
    gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$env_file" 2>"$SANDBOX_DIR/logs/keyring.log" <<<"$KEYRING_PASSWORD" &
    KEYRING_PID=$!
    poll secrets_service_up \
        || die "gnome-keyring did not own org.freedesktop.secrets: $(cat "$SANDBOX_DIR/logs/keyring.log")"
    set -a
    # shellcheck disable=SC1090
    source "$env_file"  # GNOME_KEYRING_CONTROL
    set +a
}

start_pulse() {
    # -n: no default.pa (no hardware probing); load only what the tests need.
    pulseaudio -D -n --exit-idle-time=-1 --system=false \
        --log-target="file:$SANDBOX_DIR/logs/pulse.log" \
        --load="module-native-protocol-unix auth-anonymous=1" \
        || die "pulseaudio did not start: $(tail -5 "$SANDBOX_DIR/logs/pulse.log")"
    PULSE_PID="$(cat "$XDG_RUNTIME_DIR/pulse/pid")"
    pactl load-module module-null-sink sink_name=lk_sink rate=48000 \
        sink_properties=device.description=lk_sink >/dev/null
    pactl load-module module-remap-source master=lk_sink.monitor source_name=lk_mic \
        source_properties=device.description=lk_mic >/dev/null
    pactl set-default-sink lk_sink
    pactl set-default-source lk_mic
}

stop_pid() {  # stop_pid <pid>: TERM, up to 5 s grace, then KILL
    local pid=$1 _
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# Processes (other than this shell and its subshells) living in our network namespace.
netns_leftovers() {
    local me ns pid
    me="$(readlink /proc/$$/ns/net)"
    for pid in /proc/[0-9]*; do
        pid="${pid#/proc/}"
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        ns="$(readlink "/proc/$pid/ns/net" 2>/dev/null)" || continue
        [[ $ns == "$me" ]] && echo "$pid"
    done
    return 0
}

# Every process still in the namespace was started by this run: report it, end it by pid.
reap_leftovers() {
    local -a pids
    local pid
    mapfile -t pids < <(netns_leftovers)
    [[ ${#pids[@]} -gt 0 ]] || return 0
    for pid in "${pids[@]}"; do
        log "leaked process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 1
    mapfile -t pids < <(netns_leftovers)
    [[ ${#pids[@]} -eq 0 ]] || kill -KILL "${pids[@]}" 2>/dev/null || true
    return 1
}

teardown() {
    RC=${RC:-$?}
    set +e
    trap '' TERM INT HUP
    if [[ -n $PULSE_PID ]]; then
        pulseaudio -k 2>/dev/null
        stop_pid "$PULSE_PID"
    fi
    stop_pid "$KEYRING_PID"
    stop_pid "$DBUS_PID"
    wait 2>/dev/null
    if ! reap_leftovers; then
        log "processes were left behind in the sandbox (killed)"
        if [[ "${CI:-}" == true && $RC -eq 0 ]]; then RC=3; fi
    fi
    [[ -n $SANDBOX_DIR ]] && rm -rf -- "$SANDBOX_DIR"
    exit "$RC"
}

in_netns() {
    RC=2  # until the command has run, any exit is a setup failure
    trap teardown EXIT
    # `timeout` and Ctrl-C signal the whole process group: let the command end, then tear down.
    trap 'INTERRUPTED=1' TERM INT HUP
    setup_network
    setup_dirs_and_env
    start_dbus
    start_keyring
    start_pulse
    log "netns $NETNS_IP; dbus $DBUS_PID, gnome-keyring $KEYRING_PID, pulseaudio $PULSE_PID ready"
    RC=0
    # No real-time scheduling inside: as root, a library in the test process (seen once, not
    # yet named) switched its threads to SCHED_FIFO 99, and one spinning starved the
    # machine until CI's limit. A desktop user is never allowed that either.
    setpriv --bounding-set -sys_nice --inh-caps -sys_nice -- "$@" || RC=$?
    if [[ $INTERRUPTED == 1 && $RC -eq 0 ]]; then RC=130; fi
    exit "$RC"
}

case "${1:-}" in
    --in-netns) shift; in_netns "$@" ;;
    *) outer "$@" ;;
esac
