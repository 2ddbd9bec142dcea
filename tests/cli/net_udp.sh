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
source "$(dirname "$0")/net_common.sh"

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
