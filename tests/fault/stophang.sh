#!/bin/bash
# A service that hangs on stop (docs/fault.md, "A stop that hangs"): relH's
# stop handler never returns, relN's returns but the service never reports
# STOPPED, relA stops normally. ServicesPipeTimeout is 60 s in the VM (a
# control handler may take that long). `plume stop VM` must still finish
# within its bound: 20 s for the services (then the manager ends those
# left), plus the end of the processes; asserted: below 20 s + 15 s of
# margin, exit 0, no process left in the VM (plume ps), and afterwards
# the services are STOPPED.
source "$(dirname "$0")/../cli/lib.sh"
use_root stophang
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
VM=h
BOUND=20
MARGIN=15

plume create $VM
ok "create VM $VM" test "$RC" = 0
plume run $VM -- reg add 'HKLM\SYSTEM\CurrentControlSet\Control' /v ServicesPipeTimeout \
    /t REG_DWORD /d 60000 /f
ok "ServicesPipeTimeout 60000 in the VM" test "$RC" = 0
for s in "relH hangstop" "relN nostop" "relA normal"; do
    set -- $s
    plume run $VM -- sc create "$1" binpath= "$B\\rel_svc.exe C:\\$1.log $2" start= demand
    ok "sc create $1 ($2)" test "$RC" = 0
    plume svc $VM start "$1"
    ok "plume svc start $1: running" has "$OUT" "is running"
done

T0=$(date +%s%N)
plume stop $VM
T1=$(date +%s%N)
MS=$(( (T1 - T0) / 1000000 ))
ok "plume stop: exit 0" test "$RC" = 0
ok "plume stop reports the 3 services" has "$OUT" "Stopped 3 services"
SAVE=$OUT
OUT="plume stop took $MS ms (bound ${BOUND} s + ${MARGIN} s margin)"
echo "     $OUT"
ok "plume stop within ${BOUND} s + ${MARGIN} s ($MS ms)" test "$MS" -lt $(( (BOUND + MARGIN) * 1000 ))
OUT=$SAVE
plume ps $VM --json
ok "no process left in the VM (plume ps)" test "$(tr -d ' \n' <<<"$OUT")" = "[]"
plume run $VM -- cmd /c type 'C:\relA.log' 'C:\relH.log' 'C:\relN.log'
ok "each service got its stop control" test "$(grep -c "^control 1" <<<"$OUT")" = 3
plume svc $VM list
ok "afterwards: relH, relN, relA STOPPED" \
    test "$(grep -cE '^rel[HNA] +STOPPED' <<<"$OUT")" = 3
plume stop $VM
ok "stop again" test "$RC" = 0
plume delete $VM
ok "delete VM $VM" test "$RC" = 0
finish
