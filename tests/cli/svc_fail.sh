#!/bin/bash
# Failure actions: a service that crashes is restarted after the delays of
# its first and second failures; later failures use the last action; the
# reset period; ChangeServiceConfig2 and the registry value (sc failure).
source "$(dirname "$0")/lib.sh"
use_root svc_fail
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')

state() { plume run a -- "$B\\svc_client.exe" query crashy; }
pid_of() {
    plume svc a query crashy --json
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["pid"] if d["state"]=="RUNNING" else 0)' "$OUT" 2>/dev/null || echo 0
}
wait_running() {   # wait_running OLDPID MAXTENTHS: waits for a new pid
    for i in $(seq 1 "$2"); do P=$(pid_of); [ "$P" != 0 -a "$P" != "$1" ] && return 0; sleep 0.1; done
    return 1
}

plume create a
ok "create VM a" test "$RC" = 0
plume run a -- sc create crashy binpath= "$B\\svc_basic.exe C:\\crashy.log crash" start= demand
plume run a -- "$B\\svc_client.exe" query crashy
ok "sc create crashy: it exists, STOPPED" has "$OUT" "state 1 "
# restart after 500 ms, then after 3000 ms, then nothing; reset after 1 day.
# Wine's sc opens the service with SERVICE_CHANGE_CONFIG only: a restart
# action then needs SERVICE_START, as on Windows (ERROR_ACCESS_DENIED).
plume run a -- "$B\\svc_client.exe" failure crashy
BEFORE=$OUT
plume run a -- sc failure crashy reset= 86400 actions= restart/500
ok "sc failure with restart, handle without SERVICE_START: refused (as Windows)" test "$RC" != 0
plume run a -- "$B\\svc_client.exe" failure crashy
ok "... and nothing was set" test "$OUT" = "$BEFORE"
plume run a -- "$B\\svc_client.exe" setfailure crashy 86400 1/500 1/3000 0/0
ok "ChangeServiceConfig2W FAILURE_ACTIONS: restart/500, restart/3000, none" has "$OUT" "setfailure crashy: ok"
plume run a -- "$B\\svc_client.exe" failure crashy
ok "QueryServiceConfig2: reset 86400, 3 actions 1/500 1/3000 0/0" has "$OUT" "reset 86400 actions 1/500 1/3000 0/0"
plume run a -- reg query 'HKLM\SYSTEM\CurrentControlSet\Services\crashy' /v FailureActions
ok "the registry value FailureActions (REG_BINARY, Windows layout)" \
    has "$OUT" "REG_BINARY *805101000000000000000000030000001400000001000000F401000001000000B80B00000000000000000000"

plume svc a start crashy
P1=$(pid_of)
ok "crashy running" test "$P1" != 0
T0=$(date +%s%N)
plume run a -- "$B\\svc_client.exe" control crashy 200
state
ok "after the crash: STOPPED, 1067 (seen at once)" has "$OUT" "state [12] exit=1067"
wait_running "$P1" 50
T1=$(date +%s%N)
P2=$(pid_of)
ok "first failure: restarted (new pid) after about 500 ms" test "$P2" != 0 -a "$P2" != "$P1"
MS=$(( (T1 - T0) / 1000000 ))
OUT="restart took $MS ms"
ok "first restart not before 500 ms, within 4 s ($MS ms)" test "$MS" -ge 500 -a "$MS" -lt 4000

T0=$(date +%s%N)
plume run a -- "$B\\svc_client.exe" control crashy 200
sleep 1.5
P=$(pid_of)
OUT="pid after 1.5 s: $P"
ok "second failure: not yet restarted after 1.5 s (delay 3000 ms)" test "$P" = 0
wait_running "$P2" 60
T1=$(date +%s%N)
P3=$(pid_of)
MS=$(( (T1 - T0) / 1000000 ))
OUT="second restart took $MS ms, pid $P3"
ok "second failure: restarted after about 3 s ($MS ms)" test "$P3" != 0 -a "$MS" -ge 3000 -a "$MS" -lt 7000

plume run a -- "$B\\svc_client.exe" control crashy 200
sleep 2
state
ok "third failure (action none): stays STOPPED, 1067" has "$OUT" "state 1 exit=1067"

# The reset period: with reset= 0 every failure is a first one.
plume run a -- "$B\\svc_client.exe" setfailure crashy 0 1/200 0/0
plume svc a start crashy
P1=$(pid_of)
plume run a -- "$B\\svc_client.exe" control crashy 200
wait_running "$P1" 40
P2=$(pid_of)
plume run a -- "$B\\svc_client.exe" control crashy 200
wait_running "$P2" 40
P3=$(pid_of)
OUT="pids $P1 $P2 $P3"
ok "reset period 0: each failure restarts as a first one" test "$P2" != 0 -a "$P3" != 0 -a "$P3" != "$P2"

# A stop is no failure.
plume svc a stop crashy
sleep 1
state
ok "a normal stop: no restart" has "$OUT" "state 1 exit=0"
plume stop a
ok "stop a" test "$RC" = 0
finish
