#!/bin/bash
# Process isolation (procview): a VM process cannot open, act on or list
# processes outside its VM; the host sees and manages VM processes.
#
# Three sleepers: one in VM a, one in VM b, one on the host. The probe
# tests/win/t_procview.c does the trying and prints name=result lines.
source "$(dirname "$0")/lib.sh"
use_root procview
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
PV="$B\\t_procview.exe"
TMPD=$(mktemp -d)
BG=()

cleanup() {
    # Every process this test started ends: the VMs' through plume stop,
    # the host's by pid, then the bash jobs.
    "$WINE" "$PLUME_BIN/plume.exe" stop a >/dev/null 2>&1
    "$WINE" "$PLUME_BIN/plume.exe" stop b >/dev/null 2>&1
    [ -n "${HPID:-}" ] && "$WINE" "$PLUME_BIN/t_procview.exe" kill "$HPID" >/dev/null 2>&1
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMPD"
}
trap cleanup EXIT

# val TEXT NAME: the value of "NAME=..." in TEXT.
val() { sed -n "s/^$2=\\([^ ]*\\).*/\\1/p" <<<"$1" | tr -d '\r' | head -1; }

# A sleeper's "sleeper pid=P tid=T" line, from its output file $1.
wait_sleeper() {
    for _ in $(seq 1 100); do
        grep -q "sleeper pid=" "$1" 2>/dev/null && break
        sleep 0.2
    done
    tr -d '\r' <"$1" | sed -n 's/^sleeper pid=\([0-9]*\) tid=\([0-9]*\).*/\1 \2/p' | head -1
}

plume create a
ok "create VM a" test "$RC" = 0
plume create b
ok "create VM b" test "$RC" = 0

"$WINE" "$PLUME_BIN/plume.exe" run a -- "$PV" sleep 120 >"$TMPD/a.out" 2>&1 &
BG+=($!)
"$WINE" "$PLUME_BIN/plume.exe" run b -- "$PV" sleep 120 >"$TMPD/b.out" 2>&1 &
BG+=($!)
"$WINE" "$PLUME_BIN/t_procview.exe" sleep 120 >"$TMPD/h.out" 2>&1 &
BG+=($!)
read -r APID ATID <<<"$(wait_sleeper "$TMPD/a.out")"
read -r BPID BTID <<<"$(wait_sleeper "$TMPD/b.out")"
read -r HPID HTID <<<"$(wait_sleeper "$TMPD/h.out")"
OUT="a=$APID/$ATID b=$BPID/$BTID host=$HPID/$HTID"
ok "three sleepers started (VM a, VM b, host)" test -n "$APID" -a -n "$BPID" -a -n "$HPID"

# --- opening by id ---------------------------------------------------------
# STATUS_INVALID_CID (0xc000000b) is ERROR_INVALID_PARAMETER (87) in Win32.
for target in b host; do
    if [ $target = b ]; then pid=$BPID tid=$BTID; else pid=$HPID tid=$HTID; fi
    plume run a -- "$PV" open "$pid" "$tid"
    for call in OpenProcess_query OpenProcess_all OpenProcess_sync OpenThread_all; do
        ok "a opens $target's sleeper: $call fails with 87 (no such process)" \
            test "$(val "$OUT" $call)" = 87
    done
    for call in NtOpenProcess_pid NtOpenProcess_tidonly NtOpenThread_setcontext; do
        ok "a opens $target's sleeper: $call is STATUS_INVALID_CID" \
            test "$(val "$OUT" $call)" = 0xc000000b
    done
    ok "a opens $target's sleeper: no handle comes back" test "$(val "$OUT" NtOpenProcess_pid_handle)" = 0
    ok "a debugs $target's sleeper: refused" test "$(val "$OUT" DebugActiveProcess)" != 0
done
# Control: the same calls on a process of its own VM work.
plume run a -- "$PV" open "$APID" "$ATID"
for call in OpenProcess_query OpenProcess_all OpenProcess_sync OpenThread_all; do
    ok "a opens its own VM's sleeper: $call works" test "$(val "$OUT" $call)" = 0
done
for call in NtOpenProcess_pid NtOpenThread_setcontext; do
    ok "a opens its own VM's sleeper: $call works" test "$(val "$OUT" $call)" = 0x00000000
done
INVM=$OUT
# The host opens VM processes.
OUT=$("$WINE" "$PLUME_BIN/t_procview.exe" open "$APID" "$ATID" 2>&1)
ok "the host opens a VM process (all access)" test "$(val "$OUT" OpenProcess_all)" = 0
ok "the host opens a VM thread" test "$(val "$OUT" OpenThread_all)" = 0
# NtOpenProcess with only a thread id: Windows opens the thread's process;
# Wine 8 answers STATUS_INVALID_CID even natively (measured). Inside the VM
# the answer for a process of the VM is the host's, whatever it is.
ok "a opens its own VM's sleeper by thread id only: as the host does ($(val "$OUT" NtOpenProcess_tidonly))" \
    test "$(val "$INVM" NtOpenProcess_tidonly)" = "$(val "$OUT" NtOpenProcess_tidonly)"

# --- enumeration --------------------------------------------------------------
# Wine 8's tasklist.exe is a stub that prints nothing (measured: "fixme:
# tasklist:wmain stub"), so the listing tools here are wmic (WMI's
# Win32_Process, as on Windows) and the probe (toolhelp, EnumProcesses, and
# NtQuerySystemInformation directly).
"$WINE" "$PLUME_BIN/plume.exe" run a -- wmic process get name,processid >"$TMPD/wmic.out" 2>/dev/null </dev/null
RC=$?
W=$(tr -d '\0\r' <"$TMPD/wmic.out")   # wmic writes UTF-16
OUT=$W
ok "wmic in a: exit 0" test "$RC" = 0
ok "wmic in a lists a's sleeper" grep -Eq "t_procview\.exe +$APID\b" <<<"$W"
ok "wmic in a does not list b's sleeper" lacks "$W" " $BPID "
ok "wmic in a does not list the host's sleeper" lacks "$W" " $HPID "
ok "wmic in a lists no host process (services.exe, explorer.exe)" \
    test "$(grep -Eci 'services\.exe|explorer\.exe|winedevice' <<<"$W")" = 0
plume run a -- tasklist
ok "tasklist in a runs (exit 0) and shows nothing of b or the host" \
    test "$RC" = 0 -a -z "$(grep -E "\b($BPID|$HPID)\b" <<<"$OUT")"

plume run a -- "$PV" list
L=$OUT
ok "probe list in a: its own sleeper is listed" has "$L" "^proc $APID t_procview.exe"
ok "probe list in a: b's sleeper is not" lacks "$L" "^proc $BPID "
ok "probe list in a: the host's sleeper is not" lacks "$L" "^proc $HPID "
ok "probe list in a: itself is listed" test "$(val "$L" toolhelp_self)" = 1
ok "probe list in a: 2 processes (the sleeper and itself)" test "$(val "$L" toolhelp_processes)" = 2
ok "probe list in a: every thread belongs to a listed process" test "$(val "$L" toolhelp_stray_threads)" = 0
ok "probe list in a: EnumProcesses agrees" test "$(val "$L" EnumProcesses)" = 2
ok "probe list in a: class 5 lists the same 2" has "$L" "^class5=2 processes, 0 not in"
ok "probe list in a: class 57 lists the same 2" has "$L" "^class57=2 processes, 0 not in"
ok "probe list in a: handle table (class 64) has only listed owners" has "$L" "^class64=[1-9][0-9]* handles, 0 of unlisted"
ok "probe list in a: handle table (class 16) has only listed owners" has "$L" "^class16=[1-9][0-9]* handles, 0 of unlisted"

OUT=$("$WINE" "$PLUME_BIN/t_procview.exe" list 2>&1)
ok "the host lists every sleeper" \
    test "$(grep -cE "^proc ($APID|$BPID|$HPID) " <<<"$OUT")" = 3
ok "the host lists more than the VM: Wine's own processes too" has "$OUT" "^proc [0-9]* services.exe"
"$WINE" wmic process get name,processid >"$TMPD/wmic.out" 2>/dev/null </dev/null
W=$(tr -d '\0\r' <"$TMPD/wmic.out")
OUT=$W
ok "wmic on the host lists the sleepers of a, b and the host" \
    test "$(grep -cE "t_procview\.exe +($APID|$BPID|$HPID)\b" <<<"$W")" = 3

# --- handles obtained otherwise --------------------------------------------------
# The host duplicates handles to a process and its thread into a VM process
# (the host may), which then tries to act through them.
use_handles() {   # use_handles TARGETPID TARGETTID: output in $OUT
    local f="$TMPD/h-$1.txt" fw
    fw="Z:$(sed 's|/|\\|g' <<<"$f")"
    rm -f "$f"
    "$WINE" "$PLUME_BIN/plume.exe" run a -- "$PV" use "$fw" >"$TMPD/use.out" 2>&1 &
    local runner=$! upid=""
    for _ in $(seq 1 50); do
        plume ps a
        upid=$(awk -v s="$APID" '/t_procview.exe/ && $1 != s {print $1}' <<<"$OUT" | head -1)
        [ -n "$upid" ] && break
        sleep 0.2
    done
    "$WINE" "$PLUME_BIN/t_procview.exe" give "$upid" "$1" "$2" "$fw" >/dev/null 2>&1
    wait $runner
    OUT=$(tr -d '\r' <"$TMPD/use.out")
}
acts_w32="VirtualAllocEx WriteProcessMemory ReadProcessMemory VirtualProtectEx CreateRemoteThread
SetPriorityClass DuplicateHandle_from DuplicateHandle_into QueueUserAPC SuspendThread
GetThreadContext SetThreadContext TerminateProcess"
acts_nt="NtSuspendProcess NtDebugActiveProcess NtGetNextThread"
for target in host b; do
    if [ $target = b ]; then pid=$BPID tid=$BTID; else pid=$HPID tid=$HTID; fi
    use_handles "$pid" "$tid"
    ok "a got handles to $target's sleeper" has "$OUT" "use: process handle"
    for call in $acts_w32; do
        ok "a acts on $target's sleeper through a handle: $call is denied (5)" \
            test "$(val "$OUT" $call)" = 5
    done
    for call in $acts_nt; do
        ok "a acts on $target's sleeper through a handle: $call is STATUS_ACCESS_DENIED" \
            test "$(val "$OUT" $call)" = 0xc0000022
    done
done
OUT=$("$WINE" "$PLUME_BIN/t_procview.exe" open "$HPID" "$HTID" 2>&1)
ok "the host's sleeper survived (still opens from the host)" test "$(val "$OUT" OpenProcess_all)" = 0
plume ps b
ok "b's sleeper survived" has "$OUT" "^$BPID "

# Control: through handles to a process of its own VM, the same calls work
# (the last one, TerminateProcess, ends a's sleeper).
use_handles "$APID" "$ATID"
for call in VirtualAllocEx WriteProcessMemory ReadProcessMemory VirtualProtectEx \
            CreateRemoteThread SetPriorityClass DuplicateHandle_into QueueUserAPC \
            SuspendThread GetThreadContext TerminateProcess; do
    ok "a acts on its own VM's sleeper through a handle: $call works" \
        test "$(val "$OUT" $call)" = 0
done
ok "a acts on its own VM's sleeper: NtSuspendProcess works" test "$(val "$OUT" NtSuspendProcess)" = 0x00000000
plume ps a
ok "a's sleeper was ended by TerminateProcess from inside a" lacks "$OUT" "^$APID "

# --- the process's own calls stay cheap ------------------------------------------
plume run a -- "$PV" bench 2000
echo "     in VM:  ${OUT//$'\n'/$'\n'             }"
ok "bench ran in a" has "$OUT" "bench VirtualProtectEx(pseudo)"
OUT=$("$WINE" "$PLUME_BIN/t_procview.exe" bench 2000 2>&1)
echo "     native: ${OUT//$'\n'/$'\n'             }"

plume stop a
plume stop b
ok "stop a and b" test "$RC" = 0
plume delete a
plume delete b
ok "delete a and b" test "$RC" = 0
finish
