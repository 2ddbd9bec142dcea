#!/bin/bash
# NotifyServiceStatusChange across processes: a VM process waits alertably
# (SleepEx) for a service that another process of the VM starts, and gets
# the callback as an APC on its own thread. Every background process ends.
source "$(dirname "$0")/lib.sh"
use_root svc_notify
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style

plume create a
ok "create VM a" test "$RC" = 0
plume run a -- sc create t_note binpath= "$B\\svc_basic.exe C:\\t_note.log" start= demand
ok "sc create t_note" test "$RC" = 0

# waiter_start ARGS...: svc_client.exe ARGS in VM a, in the background,
# its output in $NOTE; returns once it says it registered (or failed).
waiter_start() {
    NOTE=$(mktemp)
    "$WINE" "$PLUME_BIN/plume.exe" run a -- "$B\\svc_client.exe" "$@" >"$NOTE" 2>&1 </dev/null &
    WAITER=$!
    for i in $(seq 1 100); do grep -q "registered\|error" "$NOTE" && break; sleep 0.1; done
    OUT=$(cat "$NOTE")
}
# waiter_end: waits up to 10 s for the waiter to end; RC and OUT are its.
waiter_end() {
    for i in $(seq 1 100); do kill -0 $WAITER 2>/dev/null || break; sleep 0.1; done
    kill -0 $WAITER 2>/dev/null && kill $WAITER
    wait $WAITER
    RC=$?
    OUT=$(cat "$NOTE")
    rm -f "$NOTE"
}

waiter_start notify t_note
ok "the waiter registered (NotifyServiceStatusChangeW)" has "$OUT" "notify t_note: registered"
sleep 1
OUT=$(cat "$NOTE")
ok "no callback while t_note is stopped" lacks "$OUT" "state"
plume run a -- sc start t_note
ok "another process starts t_note" test "$RC" = 0
waiter_end
ok "the waiter ends with exit 0" test "$RC" = 0
ok "its callback ran on its thread with RUNNING (triggered 8) and the pid" \
    has "$OUT" "notify t_note: status 0 state 4 triggered 8 pid yes same thread yes"

# On a manager handle: services created and deleted by other processes.
waiter_start notifyscm 2
ok "a waiter on the manager registered (CREATED | DELETED)" has "$OUT" "notifyscm: registered"
sleep 1
ok "no callback while nothing is created" lacks "$(cat "$NOTE")" "triggered"
plume run a -- sc create t_note2 binpath= "$B\\svc_basic.exe C:\\t_note2.log" start= demand
ok "another process creates t_note2" test "$RC" = 0
for i in $(seq 1 100); do grep -q "triggered" "$NOTE" && break; sleep 0.1; done
plume run a -- sc delete t_note2
ok "another process deletes t_note2" test "$RC" = 0
waiter_end
ok "the manager waiter ends with exit 0" test "$RC" = 0
ok "created: triggered 128 (CREATED), names [/t_note2], on its thread" \
    has "$OUT" "notifyscm: status 0 triggered 128 names \\[/t_note2\\] same thread yes"
ok "deleted: triggered 256 (DELETED), names [t_note2]" \
    has "$OUT" "notifyscm: status 0 triggered 256 names \\[t_note2\\] same thread yes"

plume run a -- sc stop t_note
plume stop a
ok "stop a" test "$RC" = 0
plume ps a
ok "no process left in a" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
finish
