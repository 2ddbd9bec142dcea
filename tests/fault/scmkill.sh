#!/bin/bash
# The VM's service manager (plume-scm.exe) killed while services run
# (docs/fault.md, "Service manager killed"). Three auto-start services: one
# ends with its dispatcher, one leaves a child process behind (as a server
# its wrapper started), one lingers after its dispatcher returned; a
# demand-start one was started by hand. The manager is ended with
# TerminateProcess (taskkill /f) from the host, three times:
#  1. then `plume svc VM list` (a new manager, on demand): every service
#     STOPPED, and no process of the old services is left in the VM;
#  2. then `plume start VM` directly: the auto-start services run again
#     (one process each, plus the one child), the demand one is STOPPED,
#     one manager; every pid the list shows is alive in plume ps;
#  3. then `plume stop VM` with no manager: no process left, the killed
#     manager's record of its processes is gone; the next start is clean.
source "$(dirname "$0")/../cli/lib.sh"
use_root scmkill
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
VM=k

# ps_json: the VM's processes as "pid image" lines.
procs() {
    plume ps $VM --json
    python3 -c 'import json,sys
for p in json.loads(sys.argv[1]): print(p["pid"], p["image"].split("\\")[-1].lower())' "$OUT"
}
n_rel() { procs | grep -c ' rel_svc.exe$'; }
n_scm() { procs | grep -c ' plume-scm.exe$'; }
scm_pid() { procs | awk '$2 == "plume-scm.exe" { print $1; exit }'; }
# svc_states: "name state pid" for the rel* services.
svc_states() {
    plume svc $VM list --json
    python3 -c 'import json,sys
for s in json.loads(sys.argv[1]):
    if s["name"].lower().startswith("rel"): print(s["name"].lower(), s["state"], s["pid"])' "$OUT"
}
kill_manager() {
    local pid
    pid=$(scm_pid)
    [ -n "$pid" ] || { echo "no plume-scm.exe in VM $VM"; return 1; }
    "$WINE" taskkill /f /pid "$pid" >/dev/null 2>&1
    for i in $(seq 1 50); do [ "$(n_scm)" = 0 ] && break; sleep 0.2; done
    [ "$(n_scm)" = 0 ]
}

plume create $VM
ok "create VM $VM" test "$RC" = 0
for s in "relA normal auto" "relB child auto" "relC linger auto" "relD normal demand"; do
    set -- $s
    plume run $VM -- sc create "$1" binpath= "$B\\rel_svc.exe C:\\$1.log $2" start= "$3"
    ok "sc create $1 ($2, $3)" test "$RC" = 0
done

# every_running: plume start exit 0, "N of N" running, relA..C among them
every_running() {
    [ "$RC" = 0 ] && grep -qE ' ([0-9]+) of \1 auto-start services running' <<<"$OUT" &&
        [ "$(grep -cE '^  rel[ABC] +running' <<<"$OUT")" = 3 ]
}
plume start $VM
ok "plume start: every auto-start service running (relA, relB, relC)" every_running
plume svc $VM start relD
ok "plume svc start relD" test "$RC" = 0
N=$(n_rel)
OUT=$(procs)
ok "4 service processes and relB's child run ($N rel_svc.exe)" test "$N" = 5

for round in 1 2; do
    OUT="" ERR=""
    kill_manager
    ok "round $round: plume-scm.exe killed" test $? = 0
    sleep 1
    if [ $round = 1 ]; then
        # A new manager on demand: the true states, nothing left running.
        S=$(svc_states)
        OUT=$S
        ok "round 1: plume svc list after the kill: every service STOPPED" \
            test "$(grep -c ' STOPPED ' <<<"$S")" = 4
        N=$(n_rel)
        OUT=$(procs)
        ok "round 1: no process of the old services is left ($N rel_svc.exe)" test "$N" = 0
        ok "round 1: one manager" test "$(n_scm)" = 1
        LOG=$(find "$ROOT_UNIX" -iname plume-scm.log | head -1)
        OUT=$(tail -20 "$LOG" 2>/dev/null)
        ok "round 1: the new manager says it ended what the old one left" \
            has "$OUT" "left by a previous manager were ended"
    fi
    plume start $VM
    ok "round $round: plume start after the kill: exit 0, every auto-start service running" \
        every_running
    S=$(svc_states)
    OUT=$S
    ok "round $round: relA relB relC RUNNING, relD STOPPED" \
        test "$(grep -cE '^rel[abc] RUNNING ' <<<"$S")" = 3 -a -n "$(grep '^reld STOPPED ' <<<"$S")"
    P=$(procs)
    LIVE=1
    for pid in $(awk '$2 == "RUNNING" { print $3 }' <<<"$S"); do
        grep -q "^$pid rel_svc.exe$" <<<"$P" || LIVE=0
    done
    OUT="$S"$'\n'"$P"
    ok "round $round: each RUNNING pid is alive in plume ps" test "$LIVE" = 1
    ok "round $round: 3 service processes and relB's child, no more" \
        test "$(grep -c ' rel_svc.exe$' <<<"$P")" = 4
    ok "round $round: one manager" test "$(grep -c ' plume-scm.exe$' <<<"$P")" = 1
done

# Round 3: the manager killed, then plume stop with no manager: every
# process ends, and the killed manager's record of its service processes
# (in the VM's folder; plume diff leaves the manager's own files out) goes
# with them; the next start is clean.
record() { find "$ROOT_UNIX" -iname plume-scm.procs | head -1; }
kill_manager
ok "round 3: plume-scm.exe killed" test $? = 0
ok "round 3: the killed manager's record is in the VM's folder" test -n "$(record)"
plume diff $VM
ok "round 3: plume diff does not list the manager's own files" lacks "$OUT" "plume-scm"
plume stop $VM
ok "round 3: plume stop without a manager: exit 0" test "$RC" = 0
ok "round 3: no process left" test "$(procs | wc -l)" = 0
ok "round 3: the record is gone" test -z "$(record)"
plume start $VM
ok "round 3: plume start: every auto-start service running" every_running
ok "round 3: 3 service processes and relB's child, no more" test "$(n_rel)" = 4

plume stop $VM
ok "plume stop" test "$RC" = 0
N=$(procs | wc -l)
ok "no process left in the VM" test "$N" = 0
plume delete $VM
ok "delete VM $VM" test "$RC" = 0
finish
