#!/bin/bash
# Network namespace: two VMs with their own addresses each run a TCP
# server on port 7000 at once; in-VM clients reach their own VM's
# server at 127.0.0.1; the host reaches each at the VM's address and not at
# 127.0.0.1; a VM without an address binds as the host does.
source "$(dirname "$0")/lib.sh"
use_root net
source "$(dirname "$0")/net_common.sh"

plume create a --ip 127.0.0.2
ok "create a --ip 127.0.0.2" test "$RC" = 0
plume create b --ip 127.0.0.3
ok "create b --ip 127.0.0.3" test "$RC" = 0
plume create c
ok "create c (no address)" test "$RC" = 0
plume list
ok "list shows a's address" grep -Eq '^a +127\.0\.0\.2' <<<"$OUT"
ok "list shows b's address" grep -Eq '^b +127\.0\.0\.3' <<<"$OUT"

# Bad addresses are refused at create (src/store), with a message.
plume create d --ip 127.0.0.2
ok "create with an address already used: refused" test "$RC" = 1
ok "... says which VM uses it" has "$ERR" "already used by VM 'a'"
plume create d --ip 127.0.0.300
ok "create with a malformed address: refused" test "$RC" != 0
ok "... says it is invalid" has "$ERR" "invalid address"

# Nothing of ours is on these ports yet (else the checks below mean nothing).
OUT=$(probe tcp 127.0.0.1 7000)$(probe tcp 127.0.0.2 7000)$(probe tcp 127.0.0.1 7001)
ok "ports 7000/7001 are free before the test" test -z "$OUT"

# Servers: TCP and UDP on 0.0.0.0:7000 in a and b, at once; c on 7001.
bg a-tcp a tcp-server 7000 a 90
bg b-tcp b tcp-server 7000 b 90
bg c-tcp c tcp-server 7001 c 90
bg c-udp c udp-server 7001 c 90
wait_for tcp 127.0.0.2 7000 a; wait_for tcp 127.0.0.3 7000 b; wait_for tcp 127.0.0.1 7001 c

OUT=$(cat "$LOGS"/a-tcp "$LOGS"/b-tcp)
ok "a and b each bound 0.0.0.0:7000 (TCP), at once" test "$(count "$OUT" 'listening local=0.0.0.0:7000')" = 2

# The host reaches each VM's servers at the VM's address...
OUT=$(probe tcp 127.0.0.2 7000)
ok "host: TCP 127.0.0.2:7000 answers a" test "$OUT" = a
OUT=$(probe tcp 127.0.0.3 7000)
ok "host: TCP 127.0.0.3:7000 answers b" test "$OUT" = b
# ... and not at 127.0.0.1.
OUT=$(probe tcp 127.0.0.1 7000)
ok "host: nothing answers TCP 127.0.0.1:7000" test -z "$OUT"

# In-VM clients reach their own VM's server at 127.0.0.1.
for vm in a b; do
    plume run $vm -- "$T" tcp-client 127.0.0.1 7000
    ok "$vm: TCP client to 127.0.0.1:7000 gets '$vm'" has "$OUT" "^reply=$vm "
    ok "$vm: ... and sees 127.0.0.1 at both ends" has "$OUT" "local=127.0.0.1:[0-9]* peer=127.0.0.1:7000"
    plume run $vm -- "$T" tcp-client localhost 7000
    ok "$vm: TCP client to localhost:7000 gets '$vm'" has "$OUT" "^reply=$vm "
done
# Other addresses are unchanged: a reaches b at b's address.
plume run a -- "$T" tcp-client 127.0.0.3 7000
ok "a: TCP client to 127.0.0.3:7000 gets b" has "$OUT" "^reply=b "

# A VM without an address binds as the host does.
OUT=$(cat "$LOGS"/c-tcp)
ok "c: its server bound 0.0.0.0:7001" has "$OUT" "listening local=0.0.0.0:7001"
OUT=$(probe tcp 127.0.0.1 7001)
ok "host: TCP 127.0.0.1:7001 answers c" test "$OUT" = c
OUT=$(probe udp 127.0.0.1 7001)
ok "host: UDP 127.0.0.1:7001 answers c" test "$OUT" = c
plume run c -- "$T" tcp-client 127.0.0.1 7001
ok "c: TCP client to 127.0.0.1:7001 gets c" has "$OUT" "^reply=c "
plume run c -- "$T" tcp-client 127.0.0.1 7000
ok "c: TCP client to 127.0.0.1:7000 finds nothing (a and b are not on 127.0.0.1)" has "$OUT" "connect failed"

# In-process checks of what programs see (getsockname, getpeername, IPv6,
# ConnectEx, WSAConnectByName, WSASendMsg...), in a VM with and without an
# address: the same program, the same expectations, except where the VM
# refuses (another VM's address, IPv6-only).
plume run a -- "$T" check 127.0.0.2 7100
ok "a: in-VM checks pass" test "$RC" = 0
echo "$OUT" | sed 's/^/     a| /'
plume run c -- "$T" check none 7110
ok "c: in-VM checks pass (as on the host)" test "$RC" = 0
[ "$RC" = 0 ] || echo "$OUT" | sed 's/^/     c| /'

# Stop: the servers end, and with them the ports.
for vm in a b c; do
    plume stop $vm
    ok "stop $vm" test "$RC" = 0
done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
ok "every background runner ended" true
OUT=$(probe tcp 127.0.0.2 7000)$(probe tcp 127.0.0.3 7000)$(probe tcp 127.0.0.1 7001)
ok "no server answers after stop" test -z "$OUT"

for vm in a b c; do plume delete $vm; done
ok "delete the VMs" test "$RC" = 0
finish
