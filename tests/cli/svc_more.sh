#!/bin/bash
# Services in VMs, more: delayed auto-start, group dependencies, a service
# that never connects (1053), PARAMCHANGE and SHUTDOWN controls, the stop
# order of a dependency chain, Wine's net.exe, and service accounts.
# Every background process ends.
source "$(dirname "$0")/lib.sh"
use_root svc_more
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
SVCS='HKLM\SYSTEM\CurrentControlSet\Services'
CTL='HKLM\SYSTEM\CurrentControlSet\Control'

# The VM's view of C:\ (the file namespace's private copies) when it has one.
vmfile() { local f="$ROOT_UNIX/vms/$1/files/C/$2"; [ -f "$f" ] || f="$WINEPREFIX/drive_c/$2"; cat "$f" 2>/dev/null; }
# The VM's manager log (C:\windows\plume-scm.log in the VM's view).
scmlog() { find "$ROOT_UNIX/vms/$1/files/C" -maxdepth 2 -ipath '*/windows/plume-scm.log' -exec cat {} + 2>/dev/null; }
state_json() {   # state_json VM NAME: prints the state word of plume svc query --json
    plume svc "$1" query "$2" --json
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])["state"])' "$OUT" 2>/dev/null
}
wait_state() {   # wait_state VM NAME STATE TENTHS
    local i
    for i in $(seq 1 "$4"); do [ "$(state_json "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
    [ "$(state_json "$1" "$2")" = "$3" ]
}
in_order() {   # in_order TEXT PATTERN...: each pattern's first line comes after the previous one's
    local text=$1 last=0 n
    shift
    for p in "$@"; do
        n=$(grep -n -- "$p" <<<"$text" | head -1 | cut -d: -f1)
        [ -n "$n" ] && [ "$n" -gt "$last" ] || return 1
        last=$n
    done
}
no_proc() { ! grep -q -- "$2" <<<"$1"; }

for vm in a b c; do
    plume create $vm
    ok "create VM $vm" test "$RC" = 0
done

# --- 1. delayed auto-start (VM a) ------------------------------------------------
plume run a -- sc create t_now binpath= "$B\\svc_basic.exe C:\\now.log" start= auto
ok "sc create t_now (auto)" test "$RC" = 0
plume run a -- sc create t_del binpath= "$B\\svc_basic.exe C:\\del.log" start= auto
ok "sc create t_del (auto)" test "$RC" = 0
plume run a -- reg add "$SVCS\\t_del" /v DelayedAutostart /t REG_DWORD /d 1 /f
ok "reg add t_del DelayedAutostart = 1" test "$RC" = 0
plume run a -- sc create t_del2 binpath= "$B\\svc_basic.exe C:\\del2.log" start= auto
plume run a -- "$B\\svc_client.exe" setdelayed t_del2 1
ok "ChangeServiceConfig2 t_del2: delayed auto-start" has "$OUT" "setdelayed t_del2: ok"
plume run a -- reg add "$CTL" /v AutoStartDelay /t REG_DWORD /d 2500 /f
ok "reg add Control AutoStartDelay = 2500 (in the VM)" test "$RC" = 0
plume stop a          # the next manager reads the database and the delay
T0=$(date +%s%N)
plume start a
START_OUT=$OUT
ok "plume start a: t_now running" has "$START_OUT" "t_now *running"
ok "plume start a: t_del not started at once" lacks "$START_OUT" "t_del *running"
ok "plume start a: t_del2 not started at once" lacks "$START_OUT" "t_del2 *running"
ok "plume start a: the report says t_del is delayed" has "$START_OUT" "t_del *delayed"
ok "plume start a: ... and t_del2" has "$START_OUT" "t_del2 *delayed"
ok "plume start a: the summary counts 2 delayed" has "$START_OUT" "2 delayed"
S=$(state_json a t_del)
ok "t_del is STOPPED right after plume start" test "$S" = STOPPED
ok "... t_del2 too" test "$(state_json a t_del2)" = STOPPED
wait_state a t_del RUNNING 150
ok "t_del is RUNNING after the delay" test "$(state_json a t_del)" = RUNNING
T1=$(date +%s%N)
ok "... not before the delay (>= 2.5 s after plume start began)" test $(((T1 - T0) / 1000000)) -ge 2500
ok "t_del2 (delayed with ChangeServiceConfig2) is RUNNING too" wait_state a t_del2 RUNNING 50
ok "the manager logged the delayed starts" has "$(scmlog a)" "boot (delayed): t_del: 0"
ok "... (t_del2)" has "$(scmlog a)" "boot (delayed): t_del2: 0"

# --- 5. net start / net stop inside a VM (VM a) ------------------------------------
plume run a -- sc create t_net binpath= "$B\\svc_basic.exe C:\\net.log" start= demand
plume run a -- net start t_net
ok "net start t_net in VM a: exit 0" test "$RC" = 0
ok "plume svc a query t_net: RUNNING" test "$(state_json a t_net)" = RUNNING
plume ps a
ok "its process runs in VM a" has "$OUT" "svc_basic.exe"
OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query t_net 2>&1)
ok "the host's SCM has no t_net (1060)" has "$OUT" "error 1060"
"$WINE" sc query t_net >/dev/null 2>&1
RC=$?
ok "host sc query t_net fails" test "$RC" != 0
plume run a -- net stop t_net
ok "net stop t_net in VM a: exit 0" test "$RC" = 0
ok "plume svc a query t_net: STOPPED" wait_state a t_net STOPPED 50
ok "the service saw the stop" has "$(vmfile a net.log)" "control stop t_net"

# --- 6. accounts (VM a) --------------------------------------------------------------
plume run a -- sc create t_ls binpath= "$B\\svc_basic.exe C:\\ls.log" obj= "NT AUTHORITY\\LocalService"
ok "sc create t_ls obj= NT AUTHORITY\\LocalService: exit 0" test "$RC" = 0
plume run a -- "$B\\svc_client.exe" config t_ls
ok "QueryServiceConfig reports NT AUTHORITY\\LocalService" has "$OUT" 'account \[NT AUTHORITY\\LocalService\]'
plume run a -- reg query "$SVCS\\t_ls" /v ObjectName
ok "ObjectName in the VM's registry" has "$OUT" 'ObjectName *REG_SZ *NT AUTHORITY\\LocalService'
plume svc a start t_ls
ok "plume svc a start t_ls: running" has "$OUT" "is running"
ok "t_ls is RUNNING" test "$(state_json a t_ls)" = RUNNING
ok "the manager's log warns once at create: the account is not honoured" \
    test "$(grep -c "warning: service t_ls (created): account NT AUTHORITY.LocalService is not honoured: it runs with the manager's token" <<<"$(scmlog a)")" = 1
ok "... and at start" has "$(scmlog a)" "warning: service t_ls (start): account NT AUTHORITY.LocalService is not honoured"
plume run a -- sc create t_pw binpath= "$B\\svc_basic.exe C:\\pw.log" obj= ".\\plumeuser" password= "Sekr3t-pw"
ok "sc create t_pw obj= .\\plumeuser password= ...: exit 0" test "$RC" = 0
plume run a -- "$B\\svc_client.exe" config t_pw
ok "QueryServiceConfig reports .\\plumeuser" has "$OUT" 'account \[\.\\plumeuser\]'
plume run a -- reg query "$SVCS\\t_pw" /s
ok "the password is not stored in the VM's registry" lacks "$OUT" "Sekr3t"
ok "... (the key was listed)" has "$OUT" "ObjectName"
ok "the manager logged that a password was given, not stored" has "$(scmlog a)" "service t_pw: a password was given: not stored"
ok "... and never the password itself" lacks "$(scmlog a)" "Sekr3t"
ok "no LocalSystem service is warned about" lacks "$(scmlog a)" "warning: service t_now"

# --- 2. group dependencies (VM b) ----------------------------------------------------
for s in g_m1 g_m2 g_dep g_empty g_dis g_disdep; do
    st=demand
    [ $s = g_dis ] && st=disabled
    plume run b -- sc create $s binpath= "$B\\svc_basic.exe C:\\grp.log" start= $st
done
plume run b -- reg add "$SVCS\\g_m1" /v Group /t REG_SZ /d PlumeGrp /f
ok "reg add g_m1 Group PlumeGrp" test "$RC" = 0
plume run b -- reg add "$SVCS\\g_m2" /v Group /t REG_SZ /d PlumeGrp /f
plume run b -- reg add "$SVCS\\g_dep" /v DependOnGroup /t REG_MULTI_SZ /d PlumeGrp /f
ok "reg add g_dep DependOnGroup PlumeGrp" test "$RC" = 0
plume run b -- reg add "$SVCS\\g_empty" /v DependOnGroup /t REG_MULTI_SZ /d PlumeNoMembers /f
plume run b -- reg add "$SVCS\\g_dis" /v Group /t REG_SZ /d PlumeDisGrp /f
plume run b -- reg add "$SVCS\\g_disdep" /v DependOnGroup /t REG_MULTI_SZ /d PlumeDisGrp /f
plume stop b          # the next manager reads the values
plume run b -- "$B\\svc_client.exe" config g_dep
ok "QueryServiceConfig of g_dep: the dependency +PlumeGrp" has "$OUT" 'deps \[+PlumeGrp;\]'
plume run b -- "$B\\svc_client.exe" config g_m1
ok "QueryServiceConfig of g_m1: group PlumeGrp" has "$OUT" 'group \[PlumeGrp\]'
plume run b -- "$B\\svc_client.exe" start g_dep
ok "StartService g_dep: ok" has "$OUT" "start g_dep: ok"
ok "the group's members are RUNNING" test "$(state_json b g_m1)/$(state_json b g_m2)" = RUNNING/RUNNING
wait_state b g_dep RUNNING 50
ok "g_dep is RUNNING" test "$(state_json b g_dep)" = RUNNING
GLOG=$(vmfile b grp.log)
ok "the members ran before g_dep's ServiceMain" \
    bash -c 'grep -q . <<<"$1" && l1=$(grep -n "args= g_m1" <<<"$1" | cut -d: -f1) && l2=$(grep -n "args= g_m2" <<<"$1" | cut -d: -f1) && l3=$(grep -n "args= g_dep" <<<"$1" | cut -d: -f1) && [ "$l1" -lt "$l3" ] && [ "$l2" -lt "$l3" ]' _ "$GLOG"
plume run b -- "$B\\svc_client.exe" start g_empty
ok "StartService with DependOnGroup of a group with no member: 1068" has "$OUT" "error 1068 "
ok "... g_empty stays STOPPED" test "$(state_json b g_empty)" = STOPPED
plume run b -- "$B\\svc_client.exe" start g_disdep
ok "StartService with a group whose only member is disabled: 1068" has "$OUT" "error 1068 "
ok "... g_disdep and g_dis stay STOPPED" test "$(state_json b g_disdep)/$(state_json b g_dis)" = STOPPED/STOPPED
plume run b -- sc stop g_m1
ok "sc stop g_m1 while g_dep (on its group) runs: fails (Wine's sc: exit 1, prints nothing)" \
    test "$RC" = 1 -a -z "$OUT"
ok "... g_m1 keeps running" test "$(state_json b g_m1)" = RUNNING
plume run b -- "$B\\svc_client.exe" control g_m2 1
ok "ControlService(STOP) g_m2: 1051 ERROR_DEPENDENT_SERVICES_RUNNING" has "$OUT" "error 1051"
plume run b -- sc stop g_dep
ok "sc stop g_dep: exit 0" test "$RC" = 0
wait_state b g_dep STOPPED 50
plume run b -- sc stop g_m1
ok "with g_dep stopped, sc stop g_m1: exit 0" test "$RC" = 0
ok "... g_m1 STOPPED" wait_state b g_m1 STOPPED 50

# --- 3. a service that never connects: 1053, and its process ended (VM c) -------------
plume run c -- reg add "$CTL" /v ServicesPipeTimeout /t REG_DWORD /d 2000 /f
ok "reg add Control ServicesPipeTimeout = 2000 (in the VM)" test "$RC" = 0
plume run c -- sc create t_noconn binpath= "$B\\svc_basic.exe C:\\noconn.log noconnect" start= demand
# --- 4. controls: PARAMCHANGE, SHUTDOWN, the stop order of a chain (VM c) ---------------
plume run c -- sc create t_par binpath= "$B\\svc_basic.exe C:\\par.log params" start= demand
plume run c -- sc create t_shut binpath= "$B\\svc_basic.exe C:\\shut.log shutdown" start= demand
for s in t_ca t_cb t_cc; do
    plume run c -- sc create $s binpath= "$B\\svc_basic.exe C:\\chain.log" start= demand
done
plume run c -- reg add "$SVCS\\t_cb" /v DependOnService /t REG_MULTI_SZ /d t_ca /f
plume run c -- reg add "$SVCS\\t_cc" /v DependOnService /t REG_MULTI_SZ /d t_cb /f
ok "reg add the chain t_ca <- t_cb <- t_cc" test "$RC" = 0
plume stop c          # the next manager reads the timeout and the chain

plume run c -- "$B\\svc_client.exe" start t_noconn
NC=$OUT
ok "StartService of a service that never connects: 1053" has "$NC" "start t_noconn: error 1053 "
MS=$(sed -n 's/.*after \([0-9]*\) ms.*/\1/p' <<<"$NC")
ok "... after the pipe timeout (2-8 s)" test "${MS:-0}" -ge 1900 -a "${MS:-0}" -lt 8000
ok "... the process had started (its log)" has "$(vmfile c noconn.log)" "mode noconnect"
plume ps c
ok "... and was ended: no svc_basic.exe in plume ps c" no_proc "$OUT" "svc_basic.exe"
plume run c -- "$B\\svc_client.exe" query t_noconn
ok "t_noconn is STOPPED with exit 1053" has "$OUT" "state 1 exit=1053/"
ok "the manager logged it" has "$(scmlog c)" "service t_noconn: did not connect within 2000 ms: ended"

plume svc c start t_par
ok "start t_par (accepts PARAMCHANGE)" has "$OUT" "is running"
plume run c -- "$B\\svc_client.exe" control t_par 6
ok "ControlService(PARAMCHANGE) t_par: delivered" has "$OUT" "control t_par: state 4"
ok "... the service logged it" has "$(vmfile c par.log)" "control paramchange"
plume svc c start t_shut
ok "start t_shut (accepts SHUTDOWN only)" has "$OUT" "is running"
plume run c -- "$B\\svc_client.exe" control t_shut 1
ok "ControlService(STOP) t_shut: 1052 (not accepted)" has "$OUT" "error 1052"
plume run c -- "$B\\svc_client.exe" control t_shut 5
ok "ControlService(SHUTDOWN) from a program: 1052 (the system's own)" has "$OUT" "error 1052"
plume run c -- "$B\\svc_client.exe" start t_cc
ok "start t_cc starts the chain" has "$OUT" "start t_cc: ok"
ok "t_ca, t_cb, t_cc RUNNING" wait_state c t_cc RUNNING 50
ok "... (t_ca, t_cb)" test "$(state_json c t_ca)/$(state_json c t_cb)" = RUNNING/RUNNING
plume stop c
ok "plume stop c" test "$RC" = 0
ok "plume stop delivered SHUTDOWN to t_shut" has "$(vmfile c shut.log)" "control shutdown t_shut"
ok "... and t_shut stopped cleanly" has "$(vmfile c shut.log)" "dispatcher returned"
ok "t_par got STOP (it accepts STOP)" has "$(vmfile c par.log)" "control stop t_par"
CLOG=$(vmfile c chain.log)
OUT=$CLOG
ok "the chain stops in order t_cc, t_cb, t_ca" \
    in_order "$CLOG" "control stop t_cc" "control stop t_cb" "control stop t_ca"
ok "... each stopped once" test "$(count "$CLOG" "control stop")" = 3

# --- every background process ends --------------------------------------------------------
for vm in a b c; do
    plume stop $vm
    ok "stop $vm" test "$RC" = 0
    plume ps $vm
    ok "no process left in $vm" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
done
finish
