#!/bin/bash
# The host-endpoint rules as data (docs/ns-obj.md, "The rule table"): a
# rule in the store's endpoints.conf lets VM a's clients reach a host pipe
# server of a made-up name while a runs none, a per-VM line in b's vm.conf
# keeps b from it; a per-VM line removing the built-in epmapper fallback
# makes b's epmapper opens fail while the host's endpoint mapper runs (and a
# still reaches it); a bad rules file gives FILE:LINE errors and leaves the
# built-ins in force, its bad lines' names not falling back. plume endpoints
# shows the merged table and where each rule came from.
source "$(dirname "$0")/lib.sh"
use_root endpoints
source "$(dirname "$0")/probe.sh"
probe_setup t_endpoint.exe
PIPE=EndpT.$$

# rule_of OUTPUT VERB CLASS NAME: the table has that rule (FROM in $FROM).
rule_of() {
    FROM=$(V=$2 C=$3 N=$4 awk '$1 == ENVIRON["V"] && $2 == ENVIRON["C"] &&
               tolower($3) == tolower(ENVIRON["N"]) { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' <<<"$1")
    [ -n "$FROM" ]
}

plume create a
ok "create VM a" test "$RC" = 0
plume create b
ok "create VM b" test "$RC" = 0

# --- the built-ins ------------------------------------------------------------------
plume endpoints --help
ok "endpoints --help" has "$OUT" '^Usage: plume endpoints \[VM\]'
plume endpoints a b
ok "endpoints: too many arguments is a usage error" test "$RC" = 2
plume endpoints nosuchvm
ok "endpoints: an unknown VM is refused" has "$RC $ERR" "^1 .*no VM named 'nosuchvm'"
plume endpoints
ok "endpoints: no rules file, exit 0" test "$RC" = 0
ok "endpoints: the built-in epmapper fallback" rule_of "$OUT" fallback pipe 'lrpc\epmapper'
ok "... marked built-in" has "$FROM" '^built-in'
ok "endpoints: svcctl is locked private" rule_of "$OUT" private pipe svcctl
ok "... marked locked" has "$FROM" '^locked'

# --- rules files ----------------------------------------------------------------------
# The store's file: a fallback for the made-up pipe (and a comment). b's
# vm.conf: that pipe private again, and the built-in epmapper fallbacks off.
printf '# every VM\r\n\nfallback pipe %s   # the test pipe\r\n' "$PIPE" >"$ROOT_UNIX/endpoints.conf"
printf 'endpoint = private pipe %s\nendpoint = private pipe lrpc\\epmapper\nendpoint = private pipe epmapper\n' \
    "$PIPE" >>"$ROOT_UNIX/vms/b/vm.conf"
plume list
ok "list: b with endpoint lines is a fine VM" lacks "$OUT" 'broken'
plume endpoints a
ok "endpoints a: exit 0" test "$RC" = 0
ok "endpoints a: the store's rule" rule_of "$OUT" fallback pipe "$PIPE"
ok "... from endpoints.conf line 3" has "$FROM" 'endpoints\.conf:3$'
ok "endpoints a: epmapper still falls back" rule_of "$OUT" fallback pipe 'lrpc\epmapper'
plume endpoints b
ok "endpoints b: exit 0" test "$RC" = 0
ok "endpoints b: the pipe is private" rule_of "$OUT" private pipe "$PIPE"
ok "... from b's vm.conf" has "$FROM" 'vms\\b\\vm\.conf:[0-9]*$'
ok "endpoints b: lrpc\\epmapper is private" rule_of "$OUT" private pipe 'lrpc\epmapper'
ok "endpoints b: the store's rule is replaced, not listed" \
    test "$(grep -ci "^fallback  *pipe  *$PIPE " <<<"$OUT")" = 0

bg host.log host serve "$PIPE" host 120
ok "host: pipe server $PIPE up" ready host.log
run_in host open "$PIPE" hi
ok "host: the host's client reaches it (control)" has "$OUT" 'open=1 reply=host:hi'
run_in a open "$PIPE" hi
ok "a (fallback rule): reaches the host's server while a runs none" has "$OUT" 'open=1 reply=host:hi'
run_in b open "$PIPE" hi
ok "b (private line): does not reach the host's server" has "$OUT" 'open=0 err=2$'

# The host's endpoint mapper runs; a reaches it (built-in), b not (its line).
run_in host start-rpcss
ok "host: RpcSs runs (lrpc\\epmapper answers)" has "$OUT" 'rpcss=1'
run_in a open 'lrpc\epmapper'
ok "a: the built-in fallback reaches the host's epmapper" has "$OUT" 'open=1'
run_in b open 'lrpc\epmapper'
ok "b: with the fallback removed, b's epmapper open fails" has "$OUT" 'open=0 err=2$'
run_in host open 'lrpc\epmapper'
ok "host: its epmapper still runs" has "$OUT" 'open=1'

# Once a runs its own server of that name, a's clients reach a's.
bg a.log a serve "$PIPE" vma 120
ok "a: its own server $PIPE up" ready a.log
run_in a open "$PIPE" hi
ok "a: reaches its own server, not the host's" has "$OUT" 'open=1 reply=vma:hi'
plume stop a
ok "stop a" test "$RC" = 0

# --- a bad rules file -------------------------------------------------------------------
printf 'fallbak pipe %s\nfallback pipe svcctl\nfallback pipe\nfallback object Plume*\nfallback pipe ok.%s\n' \
    "$PIPE" "$PIPE" >"$ROOT_UNIX/endpoints.conf"
plume endpoints a
ok "endpoints: a bad file, exit 1" test "$RC" = 1
ok "... line 1: unknown rule" has "$ERR" "endpoints\.conf:1: unknown rule 'fallbak'"
ok "... line 2: the SCM's pipe is refused" \
    has "$ERR" "endpoints\.conf:2: refused: pipe svcctl is the service control manager's"
ok "... line 3: missing the name" has "$ERR" 'endpoints\.conf:3: missing the name'
ok "... line 4: a wildcard over Plume's names is refused" \
    has "$ERR" "endpoints\.conf:4: refused: 'Plume\*' could match names starting with 'Plume'"
ok "... the built-ins stay in force" rule_of "$OUT" fallback pipe 'lrpc\epmapper'
ok "... the good line is in force" rule_of "$OUT" fallback pipe "ok.$PIPE"
ok "... the bad line's name is private" rule_of "$OUT" private pipe "$PIPE"
ok "... marked as a bad line" has "$FROM" 'endpoints\.conf:1 (bad line)$'
ok "... svcctl stays locked" rule_of "$OUT" private pipe svcctl
run_in a open 'lrpc\epmapper'
ok "a: the built-in epmapper fallback still works with the bad file" has "$OUT" 'open=1'
run_in a open "$PIPE" hi
ok "a: the bad line's pipe does not fall back (the safe failure)" has "$OUT" 'open=0 err=2$'
run_in host open "$PIPE" hi
ok "host: its server still runs (control)" has "$OUT" 'open=1 reply=host:hi'

# A bad "endpoint" line in a vm.conf: reported; the VM still works.
printf 'endpoint = fallback object\n' >>"$ROOT_UNIX/vms/a/vm.conf"
plume endpoints a
ok "endpoints a: a bad vm.conf line is reported with its line" \
    has "$ERR" 'vms\\a\\vm\.conf:[0-9]*: missing the name'
plume list
ok "list: a is not broken by it" lacks "$OUT" 'broken'
run_in a open 'lrpc\epmapper'
ok "a: still runs programs, the built-ins in force" has "$OUT" 'open=1'

# --- the end ---------------------------------------------------------------------------
plume stop a
plume stop b
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=()
finish
