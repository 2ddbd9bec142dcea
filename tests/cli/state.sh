#!/bin/bash
# plume diff / commit / discard (src/cli/cmd_state.c, src/store/vmstate.c):
# a VM's changes against the host, applied to the host by path, conflicts,
# a commit interrupted and resumed, discard, and a running VM.
# The host's registry is read by the probe run natively, outside any VM.
source "$(dirname "$0")/lib.sh"
use_root state
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
H="$WINEPREFIX/drive_c/plume-stest"                 # the host folder, from Linux
D='C:\plume-stest'                                  # the same, from Windows
VMA="$ROOT_UNIX/vms/a"
K='HKLM\Software\PlumeStateTest'
U='HKCU\Software\PlumeStateTest'

host() {   # the registry probe outside any VM: the host's registry
    local o e
    o=$(mktemp) e=$(mktemp)
    "$WINE" "$PLUME_BIN/t_reg.exe" "$@" >"$o" 2>"$e" </dev/null
    RC=$?
    OUT=$(tr -d '\r' <"$o") ERR=$(cat "$e")
    rm -f "$o" "$e"
}
reg() { local vm=$1; shift; plume run "$vm" -- "$B\\t_reg.exe" "$@"; OUT=${OUT//$'\r'/}; }
fil() { local vm=$1; shift; plume run "$vm" -- "$B\\t_file.exe" "$@"; OUT=${OUT//$'\r'/}; }
files_left() { find "$VMA/files" "$VMA/deleted" "$VMA/origin" -type f 2>/dev/null | wc -l; }

# Host fixtures (and what an earlier run may have left).
rm -rf "$H"
mkdir -p "$H/deldir" "$H/keep"
printf 'hostf' >"$H/f.txt"
printf 'hostg' >"$H/g.txt"
printf 'del' >"$H/del.txt"
printf 'a' >"$H/deldir/a.txt"
printf 'k' >"$H/keep/k.txt"
host deltree "$K" + deltree "$U"
host set "$K\\Host" hv hostvalue + set "$K\\Host" keep kept + set "$K\\Gone\\Child" cv childvalue
ok "host fixtures" test "$RC" = 0
for v in a b; do plume create $v; plume delete $v; done
plume create a
ok "create VM a" test "$RC" = 0
plume create b

# The command line.
plume diff
ok "diff without a VM: usage error (2)" test "$RC" = 2
plume commit nosuch
ok "commit of a VM that does not exist: 1" test "$RC" = 1 -a -n "$ERR"
plume commit a 'relative\path'
ok "commit with a path that is neither a Windows nor a registry path: 2" test "$RC" = 2
plume discard a --bogus
ok "discard with an unknown option: 2" test "$RC" = 2
plume commit --help
ok "commit --help" has "$OUT" "Usage: plume commit VM"
plume diff a
ok "a new VM has no changes" has "$OUT" "^No changes.$"

# Changes in VM a: files and a registry tree.
fil a write "$D\\f.txt" vmf write "$D\\g.txt" vmg write "$D\\new.txt" fresh mkdir "$D\\nd" \
    write "$D\\nd\\x.txt" x delete "$D\\del.txt" delete "$D\\deldir\\a.txt" rmdir "$D\\deldir"
ok "a changes files" test "$(count "$OUT" ': ok')" = 8
reg a set "$K\\VmKey\\Deep" dv deepvalue + set "$U\\VmU" vu vmuser + set "$K\\Host" hv changed \
    + deltree "$K\\Gone"
ok "a writes a registry tree" test "$RC" = 0
reg a get "$K\\VmKey\\Deep" dv + get "$U\\VmU" vu + get "$K\\Host" hv + exists "$K\\Gone"
ok "a reads its tree back" test "$(count "$OUT" 'value dv=deepvalue\|value vu=vmuser\|value hv=changed\|absent .*Gone')" = 4
host get "$K\\VmKey\\Deep" dv + get "$U\\VmU" vu + get "$K\\Host" hv + exists "$K\\Gone"
ok "the host has none of it" test "$(count "$OUT" 'missing dv\|missing vu\|value hv=hostvalue\|exists .*Gone')" = 4

# diff, as text and as JSON.
plume diff a
ok "diff: modified file" has "$OUT" "^modified file  C:.plume-stest.f.txt$"
ok "diff: added file" has "$OUT" "^added    file  C:.plume-stest.new.txt$"
ok "diff: added directory" has "$OUT" "^added    file  C:.plume-stest.nd.$"
ok "diff: deleted file" has "$OUT" "^deleted  file  C:.plume-stest.del.txt$"
ok "diff: deleted directory (once, not its file)" \
    test "$(count "$OUT" 'deldir')" = 1 -a "$(count "$OUT" '^deleted  file  C:.plume-stest.deldir.$')" = 1
ok "diff: added key and value" has "$OUT" "^added    value HKLM.Software.PlumeStateTest.VmKey.Deep.dv$"
ok "diff: HKCU key" has "$OUT" "^added    key   HKCU.Software.PlumeStateTest.VmU$"
ok "diff: modified value" has "$OUT" "^modified value HKLM.Software.PlumeStateTest.Host.hv$"
ok "diff: deleted key" has "$OUT" "^deleted  key   HKLM.Software.PlumeStateTest.Gone$"
ok "diff: the unchanged value is not listed" lacks "$OUT" "Host.keep"
ok "diff: nothing of Plume's own tree" lacks "$OUT" "Software.Plume\\\\"
plume diff a --json
ok "diff --json: exit 0" test "$RC" = 0
J=$(python3 -c '
import json, sys
a = json.loads(sys.stdin.read())
ok = all(set(x) >= {"kind", "change", "path", "conflict"} and x["kind"] in ("file", "key", "value")
         and x["change"] in ("added", "modified", "deleted") and x["conflict"] is False for x in a)
p = {(x["kind"], x["change"], x["path"]) for x in a}
want = {("file", "modified", "C:\\plume-stest\\f.txt"), ("file", "deleted", "C:\\plume-stest\\del.txt"),
        ("key", "added", "HKLM\\Software\\PlumeStateTest\\VmKey\\Deep"),
        ("value", "modified", "HKLM\\Software\\PlumeStateTest\\Host\\hv"),
        ("key", "deleted", "HKLM\\Software\\PlumeStateTest\\Gone")}
print("json-ok" if ok and want <= p else "json-bad %r" % sorted(p))
' <<<"$OUT" 2>&1)
ok "diff --json: an array of {kind, change, path, conflict} with the changes" test "$J" = json-ok

# The host changes g.txt after the VM copied it up: a conflict.
sleep 0.05
printf 'host-g-new' >"$H/g.txt"
plume diff a
ok "diff marks the conflict" has "$OUT" "^modified file  C:.plume-stest.g.txt  (conflict: the host changed it since the VM copied it)$"

# Commit a subset by path: one file, one key tree.
plume commit a "$D\\f.txt" "$K\\VmKey"
ok "commit by path: exit 0" test "$RC" = 0
ok "commit by path: reports what it did" has "$OUT" "^modified file C:.plume-stest.f.txt$"
ok "commit by path: the key" has "$OUT" "^added value HKLM.Software.PlumeStateTest.VmKey.Deep.dv$"
ok "commit by path: the file is on the host" test "$(cat "$H/f.txt")" = vmf
ok "commit by path: other files are not" test ! -e "$H/new.txt" -a -e "$H/del.txt"
host get "$K\\VmKey\\Deep" dv + get "$U\\VmU" vu + get "$K\\Host" hv
ok "commit by path: the key is on the host" has "$OUT" "value dv=deepvalue"
ok "commit by path: other keys and values are not" test "$(count "$OUT" 'missing vu\|value hv=hostvalue')" = 2
ok "commit by path: the private copy is gone" test ! -e "$VMA/files/C/plume-stest/f.txt"
fil a read "$D\\f.txt"
reg a get "$K\\VmKey\\Deep" dv
ok "commit by path: the VM's view is unchanged (the host's committed version)" \
    test "$(count "$OUT" 'value dv=deepvalue')" = 1
fil a read "$D\\f.txt"
ok "commit by path: the VM reads the committed file" has "$OUT" "content=\[vmf\]"
plume diff a
ok "commit by path: diff no longer lists them" lacks "$OUT" "f.txt\|VmKey"

# Commit the rest: the conflict is refused, everything else is done.
plume commit a
ok "commit with a conflict: exit 1" test "$RC" = 1
ok "commit: the conflict is reported" has "$OUT" "^conflict file C:.plume-stest.g.txt: the host changed it since the VM copied it"
ok "commit: the host's g.txt is kept" test "$(cat "$H/g.txt")" = host-g-new
ok "commit: the other files are committed" \
    test "$(cat "$H/new.txt")" = fresh -a "$(cat "$H/nd/x.txt")" = x -a ! -e "$H/del.txt" -a ! -e "$H/deldir"
ok "commit: untouched host files stay" test "$(cat "$H/keep/k.txt")" = k
host get "$U\\VmU" vu + get "$K\\Host" hv + get "$K\\Host" keep + exists "$K\\Gone"
ok "commit: registry on the host" \
    test "$(count "$OUT" 'value vu=vmuser\|value hv=changed\|value keep=kept\|absent .*Gone')" = 4
fil a read "$D\\g.txt" read "$D\\new.txt" exists "$D\\del.txt"
ok "commit: the VM still sees its g.txt and its view" \
    test "$(count "$OUT" 'content=\[vmg\]\|content=\[fresh\]\|exists: no')" = 3
plume diff a
ok "commit: only the conflict is left" test "$(count "$OUT" '^added\|^modified\|^deleted')" = 1 -a "$(count "$OUT" 'g.txt')" = 1
plume commit a "$D\\g.txt" --overwrite
ok "commit --overwrite: exit 0" test "$RC" = 0
ok "commit --overwrite: the VM's version is on the host" test "$(cat "$H/g.txt")" = vmg
plume diff a
ok "everything committed: no changes" has "$OUT" "^No changes.$"
ok "everything committed: no private files, markers or origins left" test "$(files_left)" = 0
plume commit a
ok "commit with nothing to do: exit 0" test "$RC" = 0 -a -n "$(has "$OUT" 'No changes' && echo y)"

# Interrupted commits: PLUME_TEST_COMMIT_CRASH=N ends plume.exe abruptly at
# its Nth host write (a temporary copy written but not renamed yet, a
# rename done but the private copy still there, a registry value...).
mkdir -p "$H/many"
for i in $(seq 1 8); do printf "host$i" >"$H/many/m$i.txt"; done
args=()
for i in $(seq 1 8); do args+=(write "$D\\many\\m$i.txt" "vm$i" write "$D\\many\\n$i.txt" "new$i"); done
fil a "${args[@]}"
reg a set "$K\\Many" v1 one + set "$K\\Many" v2 two + set "$K\\Many" v3 three
crashes=0
for n in 5 8 13; do
    PLUME_TEST_COMMIT_CRASH=$n plume commit a
    [ "$RC" = 99 ] && crashes=$((crashes + 1))
done
ok "three commits interrupted in files (exit 99)" test "$crashes" = 3
done_files=$(grep -l '^vm\|^new' "$H"/many/* 2>/dev/null | wc -l)
ok "interrupted: part of it is on the host ($done_files files)" test "$done_files" -gt 0 -a "$done_files" -lt 16
torn=0
for f in "$H"/many/*.txt; do grep -qx 'host[0-9]\|vm[0-9]\|new[0-9]' <(cat "$f"; echo) || torn=$((torn + 1)); done
ok "interrupted: no torn host file" test "$torn" = 0
ok "interrupted: a temporary copy was left beside its target" test -n "$(ls "$H/many" | grep '\.plume-commit$')"
PLUME_TEST_COMMIT_CRASH=10 plume commit a
ok "a commit interrupted in the registry (exit 99)" test "$RC" = 99
host get "$K\\Many" v1 + get "$K\\Many" v3
ok "interrupted in the registry: one value committed, not the last" \
    test "$(count "$OUT" 'value v1=one\|missing v3')" = 2
plume commit a
ok "the rerun completes: exit 0" test "$RC" = 0
ok "the rerun finds no conflict in its own half-done work" lacks "$OUT" conflict
bad=0
for i in $(seq 1 8); do
    [ "$(cat "$H/many/m$i.txt")" = "vm$i" ] || bad=$((bad + 1))
    [ "$(cat "$H/many/n$i.txt")" = "new$i" ] || bad=$((bad + 1))
done
ok "after the rerun: all 16 files on the host" test "$bad" = 0
ok "after the rerun: no temporary file left beside them" test -z "$(ls "$H/many" | grep -v '\.txt$')"
host get "$K\\Many" v1 + get "$K\\Many" v2 + get "$K\\Many" v3
ok "after the rerun: the registry values on the host" test "$(count "$OUT" '^value v[123]=')" = 3
plume diff a
ok "after the rerun: no changes left" has "$OUT" "^No changes.$"

# A running VM: commit and discard refuse, unless --force.
fil a write "$D\\f.txt" again
"$WINE" "$PLUME_BIN/plume.exe" run a -- "$B\\t_file.exe" sleep 60000 >/dev/null 2>&1 &
runner=$!
for i in $(seq 1 50); do plume ps a; has "$OUT" t_file.exe && break; sleep 0.2; done
plume commit a
ok "commit of a running VM is refused (1)" test "$RC" = 1
ok "... with a clear message" has "$ERR" "is running"
ok "... and nothing was committed" test "$(cat "$H/f.txt")" = vmf
plume discard a
ok "discard of a running VM is refused (1)" test "$RC" = 1 -a -e "$VMA/files/C/plume-stest/f.txt"
plume commit a --force
ok "commit --force stops the VM and commits" test "$RC" = 0 -a "$(cat "$H/f.txt")" = again
ok "commit --force: says it stopped the VM" has "$OUT" "Stopped VM 'a'"
wait "$runner" 2>/dev/null
plume ps a
ok "the VM has no processes left" lacks "$OUT" t_file.exe

# Discard: the VM sees the host again.
fil a write "$D\\f.txt" discarded write "$D\\only-vm.txt" x delete "$D\\keep\\k.txt"
reg a set "$K\\Disc" dv gone + set "$K\\Host" hv vmonly
plume diff a
ok "before discard: 6 changes" has "$OUT" "^6 changes"
plume discard a
ok "discard: exit 0" test "$RC" = 0
fil a read "$D\\f.txt" exists "$D\\only-vm.txt" read "$D\\keep\\k.txt"
ok "discard: the VM reads the host's files again" \
    test "$(count "$OUT" 'content=\[again\]\|exists: no\|content=\[k\]')" = 3
reg a exists "$K\\Disc" + get "$K\\Host" hv
ok "discard: the VM reads the host's registry again" \
    test "$(count "$OUT" 'absent .*Disc\|value hv=changed')" = 2
ok "discard: the store folders are empty" test "$(files_left)" = 0 -a -f "$VMA/vm.conf"
ok "discard: the host was not changed" test ! -e "$H/only-vm.txt" -a -e "$H/keep/k.txt"
plume diff a
ok "discard: no changes" has "$OUT" "^No changes.$"

# VM b saw none of it until committed, and sees the commits now.
fil b read "$D\\f.txt"
ok "VM b sees the committed host file" has "$OUT" "content=\[again\]"

plume stop a
plume stop b
host deltree "$K" + deltree "$U"
rm -rf "$H"
finish
