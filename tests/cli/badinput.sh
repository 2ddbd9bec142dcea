#!/bin/bash
# Bad input at the CLI and in a VM's config (docs/fault.md, "Bad input").
# Each case: a clear message on stderr, a non-zero exit code (125 for
# plume run, as documented), and no change to any state: the store folder
# (every file's hash; the manager's log aside) and the host's registry
# tree HKLM\Software\Plume are compared before and after.
# tests/cli/store.sh already covers names and addresses at create/delete,
# duplicates and broken VMs in `plume list`; this covers the other
# commands, broken configs at use, a VM folder deleted by hand, and bad
# services (through plume svc start, plume start, and the SCM API inside
# the VM, with the real Win32 codes).
source "$(dirname "$0")/lib.sh"
use_root badinput
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

# The store folder: every file's hash (the manager's log aside), every folder.
snapshot() {
    if [ -d "$ROOT_UNIX" ]; then
        (cd "$ROOT_UNIX" && find . -type f ! -iname 'plume-scm.log' -print0 | sort -z |
            xargs -0 -r sha256sum && find . -type d | sort)
    fi
}
# The host's registry tree of the store (the VMs' private registries):
# taken before and after each group of refused commands (one Wine process
# each; nothing else runs in between, so a change is the group's).
reg_snapshot() { "$WINE" reg query 'HKLM\Software\Plume' /s 2>&1 | tr -d '\r'; }
group_begin() { GROUP=$1; reg_snapshot >"$TMPD/reg-before"; }
group_end() {
    reg_snapshot >"$TMPD/reg-after"
    OUT=$(diff "$TMPD/reg-before" "$TMPD/reg-after" | head -10)
    ok "$GROUP: HKLM\Software\Plume unchanged by all of them" \
        cmp -s "$TMPD/reg-before" "$TMPD/reg-after"
}

# refused DESC WANT_RC TEXT ARGS...: plume ARGS exits WANT_RC with TEXT
# (extended regex) on stderr, nothing on stdout, and changes nothing in
# the store (the registry: per group).
refused() {
    local desc=$1 want=$2 text=$3
    shift 3
    snapshot >"$TMPD/before"
    plume "$@"
    snapshot >"$TMPD/after"
    local why=""
    [ "$RC" = "$want" ] || why="exit $RC, want $want"
    grep -qE -- "$text" <<<"$ERR" || why="$why; stderr lacks '$text'"
    [ -z "$OUT" ] || why="$why; stdout not empty"
    cmp -s "$TMPD/before" "$TMPD/after" || why="$why; store changed: $(diff "$TMPD/before" "$TMPD/after" | head -5)"
    OUT="$OUT${why:+$'\n'why: $why}"
    ok "$desc" test -z "$why"
}

plume create good
ok "create VM good" test "$RC" = 0
plume run good -- reg add 'HKLM\Software\BadInputProbe' /v x /d 1 /f
ok "VM good has private registry state" test "$RC" = 0

# --- VM names: bad, overlong, missing, on every command -------------------------------
LONG33=$(printf 'a%.0s' $(seq 1 33))
LONG300=$(printf 'b%.0s' $(seq 1 300))
group_begin "bad and missing VM names (80 commands)"
for name in "nothere" "$LONG33" "$LONG300" "a b" "..\\good" "con" "" "good:x"; do
    case $name in
    nothere) label="missing VM" text="no VM named 'nothere'" ;;
    "") label="empty name" text="invalid VM name|no VM" ;;
    *) label="bad name '${name:0:20}'" text="invalid VM name" ;;
    esac
    refused "run: $label: exit 125" 125 "$text" run "$name" -- cmd /c echo hi
    for cmd in ps stop start diff discard commit delete; do
        refused "$cmd: $label" 1 "$text" $cmd "$name"
    done
    refused "svc list: $label" 1 "$text" svc "$name" list
    refused "svc start: $label" 1 "$text" svc "$name" start x
done
group_end

# --- broken VM configs ------------------------------------------------------------------
# truncated mid-file, truncated in the name, binary garbage, empty, too large
mk_broken() {   # mk_broken NAME: a VM whose vm.conf is then damaged
    plume create "$1"
    ok "create VM $1" test "$RC" = 0
}
CONF() { echo "$ROOT_UNIX/vms/$1/vm.conf"; }
mk_broken trunc1; head -c 10 "$(CONF trunc1)" >"$TMPD/c" && cp "$TMPD/c" "$(CONF trunc1)"
mk_broken trunc2; head -c 41 "$(CONF trunc2)" >"$TMPD/c" && cp "$TMPD/c" "$(CONF trunc2)"
# 3000 bytes of seeded garbage: the same every run (reproducible).
garbage() { local i; RANDOM=7001; for ((i = 0; i < 3000; i++)); do printf '\\x%02x' $((RANDOM % 256)); done; }
mk_broken garbage; printf "$(garbage)" >"$(CONF garbage)"
mk_broken empty; : >"$(CONF empty)"
mk_broken huge; { cat "$(CONF huge)"; head -c 200000 /dev/zero | tr '\0' '#'; } >"$TMPD/c" &&
    cp "$TMPD/c" "$(CONF huge)"
mk_broken badkey; printf 'version = 1\nname = badkey\nip = 999.1.1.1\n' >"$(CONF badkey)"
plume list
ok "list shows the 6 broken configs as broken" test "$(grep -cE '^(trunc1|trunc2|garbage|empty|huge|badkey) +- +broken: ' <<<"$OUT")" = 6
group_begin "broken configs (48 commands)"
for v in trunc1 trunc2 garbage empty huge badkey; do
    refused "run on broken config ($v): exit 125" 125 "cannot read VM '$v'|VM '$v' is broken" run $v -- cmd /c echo hi
    for cmd in ps stop start diff discard commit; do
        refused "$cmd on broken config ($v)" 1 "cannot read VM '$v'|VM '$v' is broken" $cmd $v
    done
    refused "svc list on broken config ($v)" 1 "cannot read VM '$v'|VM '$v' is broken" svc $v list
done
group_end

# --- a VM folder deleted by hand ------------------------------------------------------------
plume create gone
plume run gone -- reg add 'HKLM\Software\GoneProbe' /v x /d 1 /f
ok "VM gone has private registry state" test "$RC" = 0
rm -rf "$ROOT_UNIX/vms/gone"
group_begin "a VM folder deleted by hand (9 commands; its registry tree stays)"
refused "run on a VM whose folder was deleted by hand: exit 125" 125 "no VM named 'gone'" run gone -- cmd /c echo
for cmd in ps stop start diff discard commit delete; do
    refused "$cmd on a VM whose folder was deleted by hand" 1 "no VM named 'gone'" $cmd gone
done
refused "svc list on a VM whose folder was deleted by hand" 1 "no VM named 'gone'" svc gone list
group_end
plume create gone
ok "create gone again: a new VM" test "$RC" = 0
plume run gone -- reg query 'HKLM\Software\GoneProbe'
ok "... without the old VM's registry state" test "$RC" != 0

# --- bad services ---------------------------------------------------------------------------
S='HKLM\SYSTEM\CurrentControlSet\Services'
plume run good -- sc create nobin binpath= 'C:\nothere\missing.exe' start= demand
plume run good -- sc create badimg binpath= 'C:\windows\win.ini' start= demand
plume run good -- sc create quote binpath= '"C:\unterminated' start= demand
plume run good -- sc create emptyimg binpath= 'C:\x.exe' start= demand
plume run good -- reg add "$S\\emptyimg" /v ImagePath /t REG_EXPAND_SZ /d '' /f
plume run good -- sc create needsx binpath= "$B\\rel_svc.exe C:\\n.log normal" start= demand
plume run good -- reg add "$S\\needsx" /v DependOnService /t REG_MULTI_SZ /d nothere /f
plume run good -- sc create cyc1 binpath= "$B\\rel_svc.exe C:\\c1.log normal" start= demand
plume run good -- sc create cyc2 binpath= "$B\\rel_svc.exe C:\\c2.log normal" start= demand
plume run good -- sc create cyc3 binpath= "$B\\rel_svc.exe C:\\c3.log normal" start= demand
plume run good -- reg add "$S\\cyc1" /v DependOnService /t REG_MULTI_SZ /d cyc2 /f
plume run good -- reg add "$S\\cyc2" /v DependOnService /t REG_MULTI_SZ /d cyc3 /f
plume run good -- reg add "$S\\cyc3" /v DependOnService /t REG_MULTI_SZ /d cyc1 /f
plume run good -- sc create selfdep binpath= "$B\\rel_svc.exe C:\\s.log normal" start= demand
plume run good -- reg add "$S\\selfdep" /v DependOnService /t REG_MULTI_SZ /d selfdep /f
plume stop good # the next manager reads the dependencies written with reg.exe
plume svc good list >/dev/null # a manager runs: the group below changes nothing else
group_begin "bad services (8 services, 3 ways each)"

# svc_case NAME CODE MESSAGE: plume svc start, sc start and StartServiceW in
# the VM all fail with CODE; the service stays STOPPED with no process;
# its registry key and the store do not change.
svc_case() {
    local n=$1 code=$2 msg=$3
    plume run good -- reg query "$S\\$n" /s
    local key0=$OUT
    refused "plume svc start $n: error $code ($msg)" 1 "cannot start '$n': .*\\(error $code\\)" \
        svc good start "$n"
    plume run good -- sc start "$n"
    ok "sc start $n in the VM: fails (exit $RC)" test "$RC" != 0
    plume run good -- "$B\\rel_w.exe" svcstart "$n"
    OUT=$(tr -d '\r' <<<"$OUT")
    ok "StartServiceW($n) in the VM: error $code" has "$OUT" "start $n: error $code\$"
    plume svc good query "$n" --json
    ok "$n: STOPPED, no pid" has "$OUT" '"state": "STOPPED", "pid": 0,'
    plume run good -- reg query "$S\\$n" /s
    ok "$n: its registry key is unchanged" test "$OUT" = "$key0"
}
svc_case nobin 2 "the binary is missing: ERROR_FILE_NOT_FOUND"
svc_case badimg 193 "ImagePath is no program: ERROR_BAD_EXE_FORMAT"
svc_case quote 2 "ImagePath with an unterminated quote"
svc_case emptyimg 193 "an empty ImagePath"
svc_case needsx 1075 "depends on a missing service: ERROR_SERVICE_DEPENDENCY_DELETED"
svc_case cyc1 1059 "cyc1 -> cyc2 -> cyc3 -> cyc1: ERROR_CIRCULAR_DEPENDENCY"
svc_case cyc3 1059 "the same cycle from cyc3"
svc_case selfdep 1059 "depends on itself"
plume ps good
ok "no service process was left (only the manager runs)" \
    test "$(grep -vciE 'plume-scm.exe|^PID' <<<"$OUT")" = 0
group_end

# plume start with bad auto-start services: each reported with its code,
# exit 1, the good one runs.
plume run good -- sc create autook binpath= "$B\\rel_svc.exe C:\\ok.log normal" start= auto
for n in nobin needsx cyc1; do
    plume run good -- reg add "$S\\$n" /v Start /t REG_DWORD /d 2 /f
done
plume stop good
plume start good
ok "plume start with bad auto-start services: exit 1" test "$RC" = 1
ok "... nobin failed: error 2" has "$OUT" "nobin .*failed.*(error 2)"
ok "... needsx failed: error 1075" has "$OUT" "needsx .*failed.*(error 1075)"
ok "... cyc1 failed: error 1059" has "$OUT" "cyc1 .*failed.*(error 1059)"
ok "... autook runs" has "$OUT" "autook .*running"
plume stop good
ok "stop good" test "$RC" = 0
for v in good gone trunc1 trunc2 garbage empty huge badkey; do plume delete $v; done
plume list
ok "every VM deleted, broken ones included" has "$OUT" "No VMs."
finish
