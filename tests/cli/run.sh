#!/bin/bash
# plume run / ps / stop: injection, containment, pass-through, exit codes.
source "$(dirname "$0")/lib.sh"
use_root run
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style

plume create t1
ok "create a VM for the tests" test "$RC" = 0

# Outside any VM the probe sees no layer and no job: the checks below can fail.
OUT=$("$WINE" "$PLUME_BIN/t_probe.exe" 2>&1)
ok "native probe has no layer" has "$OUT" "job=0 hooks=0 vm=-"

plume run t1 -- "$B\\t_probe.exe"
ok "run: exit 0" test "$RC" = 0
ok "run: the program is in the VM's job with the layer's hooks" has "$OUT" "job=1 hooks=[1-9][0-9]* vm=t1"

# The layer is active before the program's DLL entry points and TLS callbacks.
"$WINE" "$PLUME_BIN/t_early.exe" >/dev/null 2>&1
RC=$?
ok "early: outside a VM the check fails (control)" test "$RC" = 1
plume run t1 -- "$B\\t_early.exe"
ok "early: hooks active in a DLL's entry point and a TLS callback" has "$OUT" "dll_entry=1 tls_callback=1"
ok "early: exit 0" test "$RC" = 0

# Exit codes pass through, also through cmd.
plume run t1 -- "$B\\t_probe.exe" exit 42
ok "exit code 42 passes through" test "$RC" = 42
plume run t1 -- cmd /c exit 7
ok "cmd /c exit 7 gives 7" test "$RC" = 7

# stdin, stdout and stderr pass through.
o=$(printf 'line one\nline two\n' | "$WINE" "$PLUME_BIN/plume.exe" run t1 -- "$B\\t_probe.exe" echo 2>/tmp/plume-run-err.$$)
RC=$?
e=$(cat /tmp/plume-run-err.$$); rm -f /tmp/plume-run-err.$$
OUT=$o ERR=$e
# (t_probe's C runtime writes text mode: CRLF line ends, passed through as is.)
ok "stdin reaches the program and its stdout comes back" test "$(tr -d '\r' <<<"$o")" = $'line one\nline two'
ok "stderr comes back" has "$e" "probe stderr line"

# Containment: every child, through CreateProcess, cmd /c and ShellExecuteEx,
# nested, is in the VM with the layer. Each probe appends a line to the log.
mkdir -p "$WINEPREFIX/drive_c/plume-run-logs"
for method in cp cmd shell mix; do
    plume run t1 -- cmd /c del "C:\\plume-run-logs\\probe-$method.log"
    PROBE_LOG="C:\\plume-run-logs\\probe-$method.log" plume run t1 -- "$B\\t_probe.exe" tree 3 $method
    ok "$method: exit 0" test "$RC" = 0
    # The log was written inside the VM: read it there (files are
    # copy-on-write: the host's folder does not have it).
    lines=$("$WINE" "$PLUME_BIN/plume.exe" run t1 -- cmd /c type "C:\\plume-run-logs\\probe-$method.log" 2>/dev/null | tr -d '\r')
    OUT=$lines
    ok "$method: 4 levels (3 nested) reported" test "$(count "$lines" '^probe ')" = 4
    ok "$method: every level in the VM with the layer" test "$(count "$lines" 'job=1 hooks=[1-9][0-9]* vm=t1')" = 4
done

# ps lists the VM's processes; stop ends them and returns when they are gone.
"$WINE" "$PLUME_BIN/plume.exe" run t1 -- "$B\\tree.exe" 2 2 >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 50); do
    plume ps t1
    [ "$(count "$OUT" 'tree.exe')" -ge 7 ] && break
    sleep 0.2
done
ok "ps: the 7 processes of a tree of depth 2 are listed" test "$(count "$OUT" 'tree.exe')" = 7
ok "ps: each has the layer" test "$(count "$OUT" ' yes ')" = 7
plume ps t1 --json
ok "ps --json is valid JSON with 7 processes, all with the layer" \
    python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert len(a)==7 and all(p["layer"] for p in a), a' "$OUT"
plume stop t1
ok "stop: exit 0" test "$RC" = 0
ok "stop: says how many ended" has "$OUT" "7 processes ended"
plume ps t1
ok "stop: no process left when it returns" test "$(count "$OUT" 'tree.exe')" = 0
wait $runner
ok "the runner returned once its program was ended" true
plume stop t1
ok "stop on a stopped VM says so" has "$OUT" "not running"
ok "stop on a stopped VM exits 0" test "$RC" = 0

# A running VM cannot be deleted.
"$WINE" "$PLUME_BIN/plume.exe" run t1 -- "$B\\t_probe.exe" sleep 30 >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 50); do plume ps t1; has "$OUT" t_probe.exe && break; sleep 0.2; done
plume delete t1
ok "delete of a running VM is refused" test "$RC" != 0
ok "delete says it is running" has "$ERR" "running"
ok "the VM folder is still there" test -f "$ROOT_UNIX/vms/t1/vm.conf"
plume stop t1
wait $runner

# Errors.
plume run nosuchvm -- cmd /c exit 0
ok "run in a missing VM: exit 125" test "$RC" = 125
ok "run in a missing VM: clear message" has "$ERR" "no VM named 'nosuchvm'"
plume run t1 -- "C:\\no\\such\\program.exe"
ok "run of a missing program: exit 127" test "$RC" = 127
plume run t1
ok "run without a program: usage error" test "$RC" = 2
plume run --help
ok "run --help" test "$RC" = 0
plume ps --help
ok "ps --help" test "$RC" = 0
plume stop --help
ok "stop --help" test "$RC" = 0
plume ps nosuchvm
ok "ps of a missing VM fails" test "$RC" = 1

plume delete t1
ok "delete the stopped VM" test "$RC" = 0
finish
