#!/bin/bash
# Services in VMs: sc.exe inside a VM, the SCM API's error codes, crashes,
# plume start / plume svc from the host, and isolation (the host's SCM and
# another VM do not see a VM's service). Every background process ends.
source "$(dirname "$0")/lib.sh"
use_root svc
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style

# The VM's view of C:\ (the file namespace's private copies) when it has one.
vmfile() { local f="$ROOT_UNIX/vms/$1/files/C/$2"; [ -f "$f" ] || f="$WINEPREFIX/drive_c/$2"; cat "$f" 2>/dev/null; }

plume create a
ok "create VM a" test "$RC" = 0
plume create b
ok "create VM b" test "$RC" = 0

# --- sc.exe inside VM a ------------------------------------------------------
plume run a -- sc create plumetest binpath= "$B\\svc_basic.exe C:\\plumetest.log" start= demand
ok "sc create: exit 0" test "$RC" = 0
plume run a -- sc query plumetest
ok "sc query: STOPPED, never started (1077)" has "$OUT" "STATE *: 1  STOPPED"
ok "sc query: WIN32_EXIT_CODE 1077" has "$OUT" "WIN32_EXIT_CODE *: 1077"
plume run a -- sc start plumetest
ok "sc start: exit 0" test "$RC" = 0
ok "sc start: START_PENDING or RUNNING" has "$OUT" "STATE *: [24]  "
for i in $(seq 1 50); do plume run a -- sc query plumetest; has "$OUT" RUNNING && break; sleep 0.1; done
ok "sc query: RUNNING" has "$OUT" "STATE *: 4  RUNNING"
plume ps a
ok "the service runs inside VM a, with the layer" \
    python3 -c 'import sys; l=[x for x in sys.argv[1].splitlines() if "svc_basic.exe" in x]; assert len(l)==1 and " yes " in l[0], l' "$OUT"
ok "the manager runs inside VM a" has "$OUT" "plume-scm.exe"

# --- isolation ---------------------------------------------------------------
OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query plumetest 2>&1)
ok "host SCM: plumetest does not exist (1060)" has "$OUT" "error 1060"
"$WINE" sc query plumetest >/dev/null 2>&1
RC=$?
ok "host sc query plumetest fails" test "$RC" != 0
plume run b -- "$B\\svc_client.exe" query plumetest
ok "VM b: plumetest does not exist (1060)" has "$OUT" "error 1060"

# --- host-side control ---------------------------------------------------------
plume svc a query plumetest --json
ok "plume svc query --json: RUNNING with a pid" \
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="RUNNING" and d["pid"]>0, d' "$OUT"
plume svc a pause plumetest
ok "plume svc pause: paused" has "$OUT" "is paused"
plume svc a continue plumetest
ok "plume svc continue: running" has "$OUT" "is running"
plume svc a list --json
ok "plume svc list --json lists plumetest RUNNING" \
    python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert [s for s in a if s["name"]=="plumetest" and s["state"]=="RUNNING"], a' "$OUT"
plume svc a config plumetest
ok "plume svc config shows the binary path" has "$OUT" "BINARY_PATH_NAME *: .*svc_basic.exe"
plume svc a query nosuch
ok "plume svc query of a missing service: exit 1, error 1060" test "$RC" = 1 -a -n "$(grep 1060 <<<"$ERR")"

plume run a -- sc stop plumetest
ok "sc stop: exit 0" test "$RC" = 0
for i in $(seq 1 50); do plume run a -- sc query plumetest; has "$OUT" STOPPED && break; sleep 0.1; done
ok "sc query after stop: STOPPED, exit 0" has "$OUT" "WIN32_EXIT_CODE *: 0 "
LOG=$(vmfile a plumetest.log)
OUT=$LOG
ok "the service saw pause, continue and stop" \
    python3 -c 'import sys; l=sys.argv[1]; assert all(w in l for w in ("control pause","control continue","control stop","dispatcher returned")), l' "$LOG"
plume run a -- sc delete plumetest
ok "sc delete: exit 0" test "$RC" = 0
plume run a -- "$B\\svc_client.exe" query plumetest
ok "after sc delete: 1060" has "$OUT" "error 1060"

# --- the API's behaviour and error codes (inside VM a) -------------------------
plume run a -- "$B\\svc_client.exe" checks "$B"
echo "$OUT" | sed 's/^/     /'
ok "svc_client checks: all passed" test "$RC" = 0

# --- plume start: auto-start services in dependency order ----------------------
plume run b -- sc create t_auto1 binpath= "$B\\svc_basic.exe C:\\auto1.log" start= auto
# (Wine's sc passes depend= as a plain string, not a multi-string: the
# dependency is written with reg.exe instead, and read by the next manager.)
plume run b -- sc create t_auto2 binpath= "$B\\svc_basic.exe C:\\auto2.log slow" start= auto
plume run b -- reg add 'HKLM\SYSTEM\CurrentControlSet\Services\t_auto2' /v DependOnService /t REG_MULTI_SZ /d t_auto1 /f
ok "reg add of t_auto2's dependency" test "$RC" = 0
plume run b -- sc create t_autobad binpath= "$B\\svc_basic.exe C:\\autobad.log never" start= auto
plume stop b
plume start b
ok "plume start b: reports t_auto1 and t_auto2 running" test "$(grep -cE 't_auto[12] +running' <<<"$OUT")" = 2
ok "plume start b: reports t_autobad failed (1053)" has "$OUT" "t_autobad .*failed.*1053"
ok "plume start b: exit 1 (one failed)" test "$RC" = 1
plume start b
ok "plume start on a started VM: a no-op that says so" has "$OUT" "already started"
ok "... exit 0" test "$RC" = 0
plume run b -- "$B\\svc_client.exe" query t_auto2
ok "t_auto2 is RUNNING" has "$OUT" "state 4"

# --- plume stop: every background process ends -----------------------------------
plume stop a
ok "stop a" test "$RC" = 0
plume stop b
ok "stop b" test "$RC" = 0
plume ps a
ok "no process left in a" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
plume ps b
ok "no process left in b" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
finish
