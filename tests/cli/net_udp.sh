#!/bin/bash
# Network namespace, UDP: two VMs with their own addresses each run a UDP
# server on port 7000 at once; in-VM clients reach their own VM's server at
# 127.0.0.1; the host reaches each at the VM's address and not at 127.0.0.1.
#
# KNOWN TO FAIL UNDER WINE 8 (docs/ns-net.md, "Wine notes"): wineserver
# turns the bind of an AF_INET UDP socket to any address that is not
# 0.0.0.0, 127.0.0.1 or a configured interface address (127.0.0.2 is none)
# into a bind to 0.0.0.0, so the second VM's bind fails (address in use)
# and the first VM's server answers at 127.0.0.1. Windows binds 127.0.0.2.
source "$(dirname "$0")/lib.sh"
use_root net_udp
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

plume create a --ip 127.0.0.2
ok "create a --ip 127.0.0.2" test "$RC" = 0
plume create b --ip 127.0.0.3
ok "create b --ip 127.0.0.3" test "$RC" = 0
plume create c
ok "create c (no address, for cleanup symmetry)" test "$RC" = 0
OUT=$(probe udp 127.0.0.1 7000)$(probe udp 127.0.0.2 7000)$(probe udp 127.0.0.3 7000)
ok "UDP port 7000 is free before the test" test -z "$OUT"

bg a-udp a udp-server 7000 a 60
bg b-udp b udp-server 7000 b 60
wait_for udp 127.0.0.2 7000 a; wait_for udp 127.0.0.3 7000 b
OUT=$(cat "$LOGS"/a-udp "$LOGS"/b-udp)
ok "a and b each bound UDP 0.0.0.0:7000, at once" test "$(count "$OUT" 'listening local=0.0.0.0:7000')" = 2
OUT=$(probe udp 127.0.0.2 7000)
ok "host: UDP 127.0.0.2:7000 answers a" test "$OUT" = a
OUT=$(probe udp 127.0.0.3 7000)
ok "host: UDP 127.0.0.3:7000 answers b" test "$OUT" = b
OUT=$(probe udp 127.0.0.1 7000)
ok "host: nothing answers UDP 127.0.0.1:7000" test -z "$OUT"
for vm in a b; do
    plume run $vm -- "$T" udp-client 127.0.0.1 7000
    ok "$vm: UDP client to 127.0.0.1:7000 gets '$vm' from 127.0.0.1:7000" has "$OUT" "^reply=$vm from=127.0.0.1:7000"
done
plume run a -- "$T" udp-client 127.0.0.3 7000
ok "a: UDP client to 127.0.0.3:7000 gets b" has "$OUT" "^reply=b "

for vm in a b; do
    plume stop $vm
    ok "stop $vm" test "$RC" = 0
done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
ok "every background runner ended" true
for vm in a b c; do plume delete $vm; done
ok "delete the VMs" test "$RC" = 0
finish
