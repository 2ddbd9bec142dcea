# Shared setup of the network CLI tests (net.sh, net_udp.sh): the probe
# binary, the background-run helpers and a Linux-side TCP/UDP client.
# Source it after lib.sh and use_root.
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
T="$B\\t_net.exe"
command -v python3 >/dev/null || { echo "FAIL missing: python3 (the host-side probe)"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$PLUME_BIN/t_net.exe" ] || { echo "FAIL missing: $PLUME_BIN/t_net.exe"; echo "0 passed, 1 failed"; exit 1; }

LOGS=$(mktemp -d)
PIDS=()
cleanup() {
    for vm in a b c; do "$WINE" "$PLUME_BIN/plume.exe" stop $vm >/dev/null 2>&1; done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$LOGS"
}
trap cleanup EXIT

# probe tcp|udp HOST PORT: what a Linux client gets back ("" when nothing).
probe() {
    python3 - "$@" <<'PY'
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == "tcp":
        s = socket.create_connection((host, port), timeout=1)
        s.sendall(b"hi")
        print(s.recv(64).decode(errors="replace"))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.7)
        for _ in range(2):
            s.sendto(b"hi", (host, port))
            try:
                print(s.recvfrom(64)[0].decode(errors="replace")); break
            except socket.timeout:
                pass
except OSError:
    pass
PY
}

# wait_for tcp|udp HOST PORT WANT: polls (at most ~10 s) until WANT answers.
wait_for() {
    local i
    for i in $(seq 1 25); do
        [ "$(probe "$1" "$2" "$3")" = "$4" ] && return 0
        sleep 0.4
    done
    return 1
}

bg() {   # bg LOGNAME VM ARGS...: plume run VM -- t_net ARGS... in the background
    local log=$LOGS/$1
    shift
    "$WINE" "$PLUME_BIN/plume.exe" run "$1" -- "$T" "${@:2}" >"$log" 2>&1 </dev/null &
    PIDS+=($!)
}
