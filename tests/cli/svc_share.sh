#!/bin/bash
# Share-process services: two services of one exe run in one process (the
# second started in the running process), and the svchost group netsvcs
# started in two VMs at once: one svchost.exe per VM with several services
# in it, none on the host.
source "$(dirname "$0")/lib.sh"
use_root svc_share
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')

pid_of() {   # pid_of VM NAME: the service's pid from plume svc query --json
    plume svc "$1" query "$2" --json
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$OUT" 2>/dev/null || echo "?"
}
count_in_ps() { plume ps "$1"; grep -ci -- "$2" <<<"$OUT"; }

plume create a
plume create b
ok "create VMs a and b" test "$RC" = 0

# --- two services in one exe ---------------------------------------------------
plume run a -- sc create share_a binpath= "$B\\svc_share.exe C:\\share.log" type= share
plume run a -- "$B\\svc_client.exe" query share_a
ok "sc create share_a (type= share)" has "$OUT" "state 1 "
plume run a -- sc create share_b binpath= "$B\\svc_share.exe C:\\share.log" type= share
plume run a -- "$B\\svc_client.exe" query share_b
ok "sc create share_b (same image)" has "$OUT" "state 1 "
plume svc a start share_a
ok "plume svc start share_a: running" has "$OUT" "is running"
PA=$(pid_of a share_a)
plume svc a start share_b
ok "plume svc start share_b: running" has "$OUT" "is running"
PB=$(pid_of a share_b)
OUT="share_a $PA share_b $PB"
ok "share_b started in share_a's running process (same pid)" test "$PA" = "$PB" -a "$PA" != "?" -a "$PA" != 0
ok "one svc_share.exe process in VM a" test "$(count_in_ps a svc_share.exe)" = 1
plume svc a stop share_a
ok "stop share_a" has "$OUT" "is stopped"
OUT="share_b pid $(pid_of a share_b)"
ok "share_b still runs in the same process" test "$OUT" = "share_b pid $PA"
plume run a -- "$B\\svc_client.exe" query share_b
ok "share_b RUNNING (API)" has "$OUT" "state 4"
plume svc a start share_a
ok "share_a started again, in the same process" test "$(pid_of a share_a)" = "$PA"
plume svc a stop share_a
plume svc a stop share_b
ok "stop share_b" has "$OUT" "is stopped"
for i in $(seq 1 50); do [ "$(count_in_ps a svc_share.exe)" = 0 ] && break; sleep 0.1; done
ok "the process ended once both stopped" test "$(count_in_ps a svc_share.exe)" = 0
LOG=$(cat "$ROOT_UNIX/vms/a/files/C/share.log" 2>/dev/null)
OUT=$LOG
ok "its dispatcher returned after the last stop" has "$LOG" "dispatcher returned pid $PA"
ok "ServiceMain ran for both, in one pid" test "$(grep -c "main share_[ab] pid $PA" <<<"$LOG")" = 3

# A crash of the shared process stops both at once.
plume svc a start share_a
plume svc a start share_b
plume run a -- "$B\\svc_client.exe" control share_a 200
for i in $(seq 1 50); do plume run a -- "$B\\svc_client.exe" query share_b; has "$OUT" "state 1" && break; sleep 0.1; done
ok "crash of the shared process: share_b STOPPED with 1067" has "$OUT" "state 1 exit=1067"
plume run a -- "$B\\svc_client.exe" query share_a
ok "... and share_a too" has "$OUT" "state 1 exit=1067"

# --- svchost -k netsvcs in two VMs at once --------------------------------------
# (Wine's registry has BITS as an own-process service; in VM a and b it is
# made share-process, as on Windows 10, in the VM's own copy only.)
for vm in a b; do
    plume run $vm -- reg add 'HKLM\SYSTEM\CurrentControlSet\Services\BITS' /v Type /t REG_DWORD /d 32 /f >/dev/null
done
plume stop a
plume stop b
( plume svc a start Schedule; echo "$OUT $ERR" >/tmp/svc_share_a.$$ ) &
( plume svc b start Schedule; echo "$OUT $ERR" >/tmp/svc_share_b.$$ ) &
wait
OUT=$(cat /tmp/svc_share_a.$$ /tmp/svc_share_b.$$); rm -f /tmp/svc_share_[ab].$$
ok "Schedule started in VM a and VM b at once" test "$(grep -c 'is running' <<<"$OUT")" = 2
for vm in a b; do
    plume svc $vm start BITS
    ok "VM $vm: BITS running" has "$OUT" "is running"
    plume svc $vm start FontCache
    ok "VM $vm: FontCache running" has "$OUT" "is running"
done
SA=$(pid_of a Schedule) BA=$(pid_of a BITS) FA=$(pid_of a FontCache)
SB=$(pid_of b Schedule) BB=$(pid_of b BITS) FB=$(pid_of b FontCache)
OUT="a: $SA $BA $FA  b: $SB $BB $FB"
ok "VM a: Schedule, BITS and FontCache in one process" test "$SA" = "$BA" -a "$SA" = "$FA" -a "$SA" != "?"
ok "VM b: the same, in its own process" test "$SB" = "$BB" -a "$SB" = "$FB" -a "$SB" != "?" -a "$SB" != "$SA"
ok "one svchost.exe in VM a" test "$(count_in_ps a svchost.exe)" = 1
ok "one svchost.exe in VM b" test "$(count_in_ps b svchost.exe)" = 1
plume ps a
ok "VM a's svchost runs with the layer" \
    python3 -c 'import sys; l=[x for x in sys.argv[1].splitlines() if "svchost.exe" in x]; assert len(l)==1 and " yes " in l[0], l' "$OUT"
OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query Schedule 2>&1)
ok "host: Schedule is not running (state 1)" has "$OUT" "state 1 "
# Stop one member that accepts stop (Wine's schedsvc accepts none): the
# others keep running in the same svchost.
STOPPED="" KEEP=""
for n in BITS FontCache Schedule; do
    plume svc a query $n --json
    if [ -z "$STOPPED" ] && python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["controls_accepted"] & 1 else 1)' "$OUT"; then
        STOPPED=$n
    else
        KEEP="$KEEP $n"
    fi
done
plume svc a stop "$STOPPED"
ok "VM a: stop $STOPPED" has "$OUT" "is stopped"
OUT=""
for n in $KEEP; do OUT="$OUT $n:$(pid_of a $n)"; done
ok "VM a: the others ($KEEP) still run in the same svchost" test "$(grep -o ":$SA" <<<"$OUT" | wc -l)" = 2
plume stop a
ok "stop a" test "$RC" = 0
plume stop b
ok "stop b" test "$RC" = 0
ok "no svchost left in a" test "$(count_in_ps a svchost.exe)" = 0
ok "no svchost left in b" test "$(count_in_ps b svchost.exe)" = 0
finish
