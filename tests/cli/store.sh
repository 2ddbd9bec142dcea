#!/bin/bash
# CLI test of the VM store: plume create / list / delete, run under Wine.
#
# Env (set by ctest, see tests/win/tests.cmake): WINEPREFIX, PLUME_BIN (the
# folder of plume.exe), PLUME_SRC. The store is a private root,
# C:\plume-tests\store, wiped first; its files are checked from the host
# side. Every refused command must exit non-zero, say why, and leave the
# store byte for byte as it was.
set -u
: "${WINEPREFIX:?store.sh: WINEPREFIX is not set}"
: "${PLUME_BIN:?store.sh: PLUME_BIN is not set}"
export WINEPREFIX
export WINEDEBUG=${WINEDEBUG:--all}
WINE=/usr/lib/wine/wine64
PLUME="$PLUME_BIN/plume.exe"

export PLUME_ROOT='C:\plume-tests\store'
HOSTROOT="$WINEPREFIX/drive_c/plume-tests/store"
VMS="$HOSTROOT/vms"
rm -rf "$HOSTROOT"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/       /'
    return 0
}

# run ARGS...: runs plume.exe; sets RC, OUT, ERR.
run() {
    "$WINE" "$PLUME" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}
details() { printf 'rc=%s\nstdout: %s\nstderr: %s\n' "$RC" "$OUT" "$ERR"; }

# The store's state: every file with its hash, and every folder.
snapshot() {
    if [ -d "$HOSTROOT" ]; then
        (cd "$HOSTROOT" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum &&
            find . -type d | sort)
    fi
}

# expect_ok DESC TEXT ARGS...: exit 0 and TEXT (fixed string) in stdout.
expect_ok() {
    local desc=$1 text=$2
    shift 2
    run "$@"
    if [ "$RC" -eq 0 ] && grep -qF -- "$text" "$TMP/out"; then
        ok "$desc"
    else
        ko "$desc (want exit 0 and '$text')" "$(details)"
    fi
}

# expect_fail DESC RC TEXT ARGS...: exit RC, TEXT (fixed string) in stderr,
# nothing on stdout, and the store unchanged.
expect_fail() {
    local desc=$1 want=$2 text=$3
    shift 3
    snapshot >"$TMP/before"
    run "$@"
    snapshot >"$TMP/after"
    if [ "$RC" -ne "$want" ]; then
        ko "$desc (want exit $want)" "$(details)"
    elif ! grep -qF -- "$text" "$TMP/err"; then
        ko "$desc (want '$text' on stderr)" "$(details)"
    elif [ -n "$OUT" ]; then
        ko "$desc (want nothing on stdout)" "$(details)"
    elif ! cmp -s "$TMP/before" "$TMP/after"; then
        ko "$desc (the store changed)" "$(diff "$TMP/before" "$TMP/after")"
    else
        ok "$desc"
    fi
}

# json_check DESC PYTHON: runs PYTHON with d = the JSON of stdout.
json_check() {
    local desc=$1 code=$2 msg
    if msg=$(python3 -c "
import json, re, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$code
" "$TMP/out" 2>&1); then
        ok "$desc"
    else
        ko "$desc" "$msg" "$(details)"
    fi
}

# --- help --------------------------------------------------------------------
for cmd in create list delete; do
    expect_ok "$cmd --help" "Usage: plume $cmd" "$cmd" --help
    grep -q "Exit codes" "$TMP/out" && ok "$cmd --help tells the exit codes" ||
        ko "$cmd --help tells the exit codes" "$OUT"
    expect_ok "$cmd -h" "Usage: plume $cmd" "$cmd" -h
done
expect_ok "help create" "Usage: plume create" help create
grep -q -- "--ip" "$TMP/out" && ok "create --help documents --ip" || ko "create --help documents --ip"
expect_ok "list --help documents --json" "--json" list --help

# --- an empty store -------------------------------------------------------------
expect_ok "list with no store" "No VMs." list
run list --json
json_check "list --json with no store is []" "assert d == [], d"
[ ! -e "$HOSTROOT" ] && ok "list does not create the store" || ko "list does not create the store"

# --- create ------------------------------------------------------------------------
expect_ok "create a" "Created VM 'a'." create a
[ -d "$VMS/a" ] && ok "folder vms/a exists" || ko "folder vms/a exists" "$(ls -la "$VMS" 2>&1)"
if [ -f "$VMS/a/vm.conf" ] && grep -qx "name = a" "$VMS/a/vm.conf" &&
    grep -qx "version = 1" "$VMS/a/vm.conf" && ! grep -q "^ip" "$VMS/a/vm.conf" &&
    grep -qE "^created = [0-9]+$" "$VMS/a/vm.conf"; then
    ok "vms/a/vm.conf holds version, name, created and no ip"
else
    ko "vms/a/vm.conf holds version, name, created and no ip" "$(cat "$VMS/a/vm.conf" 2>&1)"
fi

expect_ok "create Web-1 --ip 127.0.0.2" "Created VM 'Web-1' with address 127.0.0.2." \
    create Web-1 --ip 127.0.0.2
grep -qx "ip = 127.0.0.2" "$VMS/Web-1/vm.conf" 2>/dev/null && ok "vms/Web-1/vm.conf has the ip" ||
    ko "vms/Web-1/vm.conf has the ip" "$(cat "$VMS/Web-1/vm.conf" 2>&1)"
expect_ok "create z_9 --ip=10.1.2.3" "with address 10.1.2.3" create z_9 --ip=10.1.2.3
expect_ok "create -- name after --" "Created VM 'after'." create -- after
NAME32=abcdefghijklmnopqrstuvwxyz012345
expect_ok "create a 32-character name" "Created VM '$NAME32'." create "$NAME32"

# Concurrent creates: one name, or one address, is given out once.
for i in 1 2 3 4; do
    "$WINE" "$PLUME" create race >"$TMP/race$i.out" 2>&1 </dev/null &
done
wait
n=$(cat "$TMP"/race?.out | grep -c "^Created VM 'race'")
[ "$n" -eq 1 ] && ok "4 concurrent 'create race': exactly one succeeds" ||
    ko "4 concurrent 'create race': exactly one succeeds" "$(cat "$TMP"/race?.out)"
for i in 1 2 3 4; do
    "$WINE" "$PLUME" create "ip$i" --ip 127.0.0.77 >"$TMP/race$i.out" 2>&1 </dev/null &
done
wait
n=$(cat "$TMP"/race?.out | grep -c "^Created VM 'ip.' with address 127.0.0.77")
[ "$n" -eq 1 ] && ok "4 concurrent creates with one --ip: exactly one succeeds" ||
    ko "4 concurrent creates with one --ip: exactly one succeeds" "$(cat "$TMP"/race?.out)"
for vm in race ip1 ip2 ip3 ip4; do
    "$WINE" "$PLUME" delete "$vm" >/dev/null 2>&1 </dev/null
done
[ "$(ls "$VMS" | grep -cE '^(race|ip[0-9])$')" -eq 0 ] && ok "the racers are deleted" ||
    ko "the racers are deleted" "$(ls -a "$VMS")"

leftovers=$(find "$VMS" -mindepth 1 -maxdepth 1 -name '.*')
[ -z "$leftovers" ] && ok "create leaves no temporary folders" ||
    ko "create leaves no temporary folders" "$leftovers"

# --- list ----------------------------------------------------------------------------
snapshot >"$TMP/before-list"
run list
snapshot >"$TMP/after-list"
if [ "$RC" -eq 0 ] && head -n 1 "$TMP/out" | grep -qE '^NAME +ADDRESS +STATE +CREATED$' &&
    grep -qE '^a +host +stopped +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$TMP/out" &&
    grep -qE '^Web-1 +127\.0\.0\.2 +stopped +[0-9-]+T[0-9:]+Z$' "$TMP/out" &&
    grep -qE '^z_9 +10\.1\.2\.3 +stopped ' "$TMP/out" && [ "$(wc -l <"$TMP/out")" -eq 6 ]; then
    ok "list shows the VMs as a table"
else
    ko "list shows the VMs as a table" "$(details)"
fi
cmp -s "$TMP/before-list" "$TMP/after-list" && ok "list changes nothing" || ko "list changes nothing"
# Sorted by name, ignoring case.
order=$(tail -n +2 "$TMP/out" | awk '{print $1}' | tr '\n' ' ')
[ "$order" = "a $NAME32 after Web-1 z_9 " ] && ok "list is sorted by name" ||
    ko "list is sorted by name" "$order"

run list --json
json_check "list --json describes the VMs" "
assert isinstance(d, list) and len(d) == 5, d
by = {v['name']: v for v in d}
assert set(by) == {'a', 'Web-1', 'z_9', 'after', '$NAME32'}, by.keys()
for v in d:
    assert set(v) == {'name', 'ip', 'state', 'processes', 'created', 'dir', 'error'}, v
    assert v['state'] == 'stopped' and v['processes'] == 0 and v['error'] is None, v
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', v['created']), v
    assert v['dir'].lower() == ('c:\\\\plume-tests\\\\store\\\\vms\\\\' + v['name']).lower(), v
assert by['a']['ip'] is None, by['a']
assert by['Web-1']['ip'] == '127.0.0.2', by['Web-1']
assert by['z_9']['ip'] == '10.1.2.3', by['z_9']
"

# --- refused: the store must not change -----------------------------------------------
expect_fail "create '' (empty name)" 1 "invalid VM name '': is empty" create ''
expect_fail "create a 33-character name" 1 "is longer than 32 characters" create "${NAME32}6"
expect_fail "create 'a b'" 1 \
    "plume create: invalid VM name 'a b': may contain only letters, digits, '_' and '-'" \
    create 'a b'
expect_fail "create 'a/b'" 1 "invalid VM name 'a/b'" create 'a/b'
expect_fail "create 'a\\b'" 1 "invalid VM name 'a\\b'" create 'a\b'
expect_fail "create '..'" 1 "invalid VM name '..'" create '..'
expect_fail "create '.'" 1 "invalid VM name '.'" create '.'
expect_fail "create 'con' (a device name)" 1 "reserved by Windows" create con
expect_fail "create 'été' (not ASCII)" 1 "may contain only letters" create 'été'
expect_fail "create 'A' (a exists, other case)" 1 "VM 'A' already exists" create A
expect_fail "create 'WEB-1' (Web-1 exists)" 1 "already exists" create WEB-1
expect_fail "create a (exact duplicate)" 1 "VM 'a' already exists" create a
expect_fail "create --ip 1.2.3" 1 "invalid address '1.2.3'" create x --ip 1.2.3
expect_fail "create --ip 256.1.1.1" 1 "invalid address '256.1.1.1'" create x --ip 256.1.1.1
expect_fail "create --ip 1.2.3.4.5" 1 "invalid address '1.2.3.4.5'" create x --ip 1.2.3.4.5
expect_fail "create --ip 01.2.3.4" 1 "leading zero" create x --ip 01.2.3.4
expect_fail "create --ip ''" 1 "invalid address ''" create x --ip ''
expect_fail "create --ip 127.0.0.2 (used by Web-1)" 1 \
    "address 127.0.0.2 is already used by VM 'Web-1'" create x --ip 127.0.0.2
expect_fail "create --ip 0.0.0.0" 1 "cannot be a VM's address" create x --ip 0.0.0.0
expect_fail "create --ip 255.255.255.255" 1 "broadcast" create x --ip 255.255.255.255
expect_fail "create --ip 127.0.0.1" 1 "loopback" create x --ip 127.0.0.1
expect_fail "create --ip 224.0.0.1" 1 "multicast" create x --ip 224.0.0.1
expect_fail "create --ip 10.0.0.255" 1 "broadcast" create x --ip 10.0.0.255
expect_fail "create --ip 10.0.0.0" 1 "network" create x --ip 10.0.0.0
expect_fail "create --bogus (unknown option)" 2 "unknown option '--bogus'" create x --bogus
expect_fail "create x y (extra argument)" 2 "unexpected argument 'y'" create x y
expect_fail "create (no name)" 2 "no VM name given" create
expect_fail "create x --ip (no address)" 2 "needs an address" create x --ip
expect_fail "create --ip twice" 2 "given twice" create x --ip 127.0.0.9 --ip 127.0.0.8
expect_fail "list extra (extra argument)" 2 "unexpected argument 'extra'" list extra
expect_fail "list --bogus" 2 "unknown option '--bogus'" list --bogus
expect_fail "delete zz (no such VM)" 1 "no VM named 'zz'" delete zz
expect_fail "delete 'a b' (bad name)" 1 "invalid VM name 'a b'" delete 'a b'
expect_fail "delete (no name)" 2 "no VM name given" delete
expect_fail "delete a b (extra argument)" 2 "unexpected argument 'b'" delete a b
expect_fail "delete --force" 2 "unknown option '--force'" delete a --force
grep -q "Try 'plume delete --help'" "$TMP/err" && ok "usage errors point to --help" ||
    ko "usage errors point to --help" "$ERR"

# --- broken VMs --------------------------------------------------------------------------
mkdir -p "$VMS/broken1" "$VMS/broken2" "$VMS/bad name"
printf 'version = 1\nname = broken1\ncolour = red\n' >"$VMS/broken1/vm.conf"
printf 'version = 1\nname = ok\n' >"$VMS/bad name/vm.conf"
run list
if [ "$RC" -eq 0 ] && grep -qE "^broken1 +- +broken: vm.conf: line 3: unknown key 'colour'$" "$TMP/out" &&
    grep -qE "^broken2 +- +broken: vm.conf is missing$" "$TMP/out" &&
    grep -qE "^bad name +- +broken: .*not a valid VM name" "$TMP/out" &&
    grep -qE '^a +host +stopped ' "$TMP/out"; then
    ok "list shows broken VMs with the reason"
else
    ko "list shows broken VMs with the reason" "$(details)"
fi
run list --json
json_check "list --json shows broken VMs" "
by = {v['name']: v for v in d}
assert len(d) == 8, d
b = by['broken1']
assert b['state'] == 'broken' and b['ip'] is None and b['created'] is None, b
assert b['error'] == \"vm.conf: line 3: unknown key 'colour'\", b
assert by['broken2']['error'] == 'vm.conf is missing', by['broken2']
assert by['bad name']['state'] == 'broken', by['bad name']
assert by['a']['state'] == 'stopped', by['a']
"
expect_fail "create broken1 (exists, broken)" 1 "already exists" create BROKEN1
expect_ok "delete broken1 (a broken VM)" "Deleted VM 'broken1'." delete broken1
expect_ok "delete broken2 (no vm.conf)" "Deleted VM 'broken2'." delete broken2
[ ! -e "$VMS/broken1" ] && [ ! -e "$VMS/broken2" ] && ok "broken VM folders are gone" ||
    ko "broken VM folders are gone"
rm -rf "$VMS/bad name"

# --- a running VM cannot be deleted ------------------------------------------------------
# 'plume run' (another part of plume) starts a long ping inside VM z_9.
"$WINE" "$PLUME" run z_9 -- ping -n 30 127.0.0.1 >"$TMP/run.out" 2>&1 </dev/null &
runpid=$!
running=0
for _ in $(seq 1 40); do
    run list
    if grep -qE '^z_9 +10\.1\.2\.3 +running \([0-9]+ process(es)?\) ' "$TMP/out"; then
        running=1
        break
    fi
    kill -0 "$runpid" 2>/dev/null || break
    sleep 0.5
done
if [ "$running" = 1 ]; then
    ok "list shows a running VM as running (N processes)"
    run list --json
    json_check "list --json shows a running VM" "
v = [v for v in d if v['name'] == 'z_9'][0]
assert v['state'] == 'running' and v['processes'] >= 1, v
"
    expect_fail "delete z_9 while it runs" 1 "VM 'z_9' is running (" delete z_9
    grep -qF "stop it first with 'plume stop z_9'" "$TMP/err" &&
        ok "delete of a running VM says how to stop it" ||
        ko "delete of a running VM says how to stop it" "$(details)"
    run stop z_9
else
    ko "a running VM: 'plume run' did not start z_9" "$(head -c 300 "$TMP/run.out")"
fi
# The VM ends (stopped, or its ping done); do not leave it behind.
for _ in $(seq 1 60); do
    kill -0 "$runpid" 2>/dev/null || break
    sleep 0.5
done
kill "$runpid" 2>/dev/null
wait "$runpid" 2>/dev/null

# --- delete -----------------------------------------------------------------------------
mkdir -p "$VMS/a/state/deep/er"
echo data >"$VMS/a/state/deep/er/file.txt"
echo data >"$VMS/a/readonly.txt"
chmod a-w "$VMS/a/readonly.txt"
expect_ok "delete A (case-insensitive, with state)" "Deleted VM 'a'." delete A
[ ! -e "$VMS/a" ] && ok "vms/a is gone" || ko "vms/a is gone" "$(find "$VMS/a" 2>&1)"
leftovers=$(find "$VMS" -mindepth 1 -maxdepth 1 -name '.*')
[ -z "$leftovers" ] && ok "delete leaves no .del folder" || ko "delete leaves no .del folder" "$leftovers"
expect_fail "delete a again" 1 "no VM named 'a'" delete a
expect_ok "create a again (the name is free)" "Created VM 'a'." create a
expect_ok "delete Web-1" "Deleted VM 'Web-1'." delete web-1
expect_ok "127.0.0.2 is free again" "with address 127.0.0.2" create b --ip 127.0.0.2

# Leftovers of an interrupted delete and of a crashed create are cleaned up.
mkdir -p "$VMS/.del-old-4242/x" "$VMS/.tmp-old-999999"
echo x >"$VMS/.del-old-4242/x/f"
expect_ok "list after an interrupted delete" "NAME" list
[ ! -e "$VMS/.del-old-4242" ] && ok "list removes leftover .del-* folders" ||
    ko "list removes leftover .del-* folders"
[ ! -e "$VMS/.tmp-old-999999" ] && ok "list removes .tmp-* folders of dead processes" ||
    ko "list removes .tmp-* folders of dead processes"

for vm in a b z_9 after "$NAME32"; do
    run delete "$vm"
    [ "$RC" -eq 0 ] || ko "delete $vm" "$(details)"
done
expect_ok "list when all are deleted" "No VMs." list
run list --json
json_check "list --json when all are deleted is []" "assert d == [], d"
[ -z "$(ls -A "$VMS")" ] && ok "vms is empty at the end" || ko "vms is empty at the end" "$(ls -A "$VMS")"

rm -rf "$HOSTROOT"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
