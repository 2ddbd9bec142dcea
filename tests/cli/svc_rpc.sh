#!/bin/bash
# RpcSs in a VM: a VM that runs its own RpcSs (started by its own service
# manager) has its own RPC endpoint mapper; endpoints registered in it are
# found from that VM only, and the host's registrations are not seen there,
# while the host's rpcss keeps running untouched. A VM without its own
# RpcSs uses the host's endpoint mapper through the fallback rules
# (docs/ns-obj.md), both to resolve and to register.
#
# rpc_ep.exe (tests/win/rpc_ep.c) is the server (RpcEpRegister of a
# hand-built interface N on a dynamic ncalrpc endpoint; its one procedure
# replies "TAG pid PID") and the client (RpcEpResolveBinding, then a call).
# Interfaces: 1 = registered in VM a (tag vma) and, same UUID, in VM b
# (tag vmb); 2 = the host's (tag host); 3 = VM c's, which has no RpcSs.
source "$(dirname "$0")/lib.sh"
use_root svc_rpc
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
T0=$(date +%s)
TMP=$(mktemp -d /tmp/svc_rpc.XXXXXX)
TMPW=$(echo "$TMP" | sed 's|^|Z:|; s|/|\\|g')
HOST_SRV=""

cleanup() {
    touch "$TMP"/stop.{host,a,b,c}
    sleep 0.5
    for vm in a b c d; do "$WINE" "$PLUME_BIN/plume.exe" stop $vm >/dev/null 2>&1; done
    [ -n "$HOST_SRV" ] && kill "$HOST_SRV" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# The rpcss.exe processes of this prefix (Linux pids; zombies skipped).
rpcss_procs() {
    local p
    for p in $(pgrep -f 'rpcss\.exe'); do
        [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] && continue
        tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "WINEPREFIX=$WINEPREFIX" && echo "$p"
    done 2>/dev/null
}
# resolve WHERE N: rpc_ep resolve N on the host ("host") or in a VM.
resolve() {
    if [ "$1" = host ]; then
        OUT=$("$WINE" "$PLUME_BIN/rpc_ep.exe" resolve "$2" 2>&1 </dev/null); RC=$?
    else
        plume run "$1" -- "$B\\rpc_ep.exe" resolve "$2"
    fi
}
# serve WHERE N TAG: starts a server in the background; waits until it has
# registered (or failed); its output in $TMP/srv.TAG.
serve() {
    local where=$1 n=$2 tag=$3 i
    if [ "$where" = host ]; then
        "$WINE" "$PLUME_BIN/rpc_ep.exe" serve "$n" "$tag" "$TMPW\\stop.host" \
            >"$TMP/srv.$tag" 2>&1 </dev/null &
        HOST_SRV=$!
    else
        "$WINE" "$PLUME_BIN/plume.exe" run "$where" -- "$B\\rpc_ep.exe" serve "$n" "$tag" \
            "$TMPW\\stop.$where" >"$TMP/srv.$tag" 2>&1 </dev/null &
    fi
    for i in $(seq 1 150); do
        grep -q -e '^registered' -e 'error' "$TMP/srv.$tag" 2>/dev/null && break
        sleep 0.1
    done
    OUT=$(cat "$TMP/srv.$tag") RC=""
}
count_in_ps() { plume ps "$1"; grep -ci -- "$2" <<<"$OUT"; }

# --- the host's RpcSs and a registration of the host's ----------------------------
# (The host's server stays up for the whole test: under Wine, the host's
# services end once no ordinary process of the prefix is left.)
serve host 2 host
ok "host: interface 2 registered with the host's endpoint mapper" has "$OUT" "^registered 2 host"
resolve host 2
ok "host: resolves its interface 2 and calls it" has "$OUT" "call 2: reply host pid"
host_rpcss() { OUT=$("$WINE" "$PLUME_BIN/rpc_ep.exe" svcpid RpcSs 2>&1 </dev/null); RC=$?; }
host_rpcss
ok "host: RpcSs RUNNING (the host's SCM)" has "$OUT" "^svc RpcSs state 4 pid [1-9]"
HOST_RPCSS_SVC=$OUT
BEFORE=$(rpcss_procs)
OUT="rpcss: $BEFORE"
ok "an rpcss.exe runs in the prefix" test -n "$BEFORE"

for vm in a b c d; do plume create $vm; done
ok "create VMs a, b, c and d" test "$RC" = 0

# --- before VM a runs its own RpcSs: the host's, by the fallback rules --------------
resolve a 2
ok "a (no RpcSs yet): resolves the host's interface 2 (fallback)" has "$OUT" "resolve 2: ok ncalrpc:\[LRPC"

# --- VM a and VM b start their own RpcSs ----------------------------------------------
plume run a -- sc start RpcSs
ok "a: sc start RpcSs: exit 0" test "$RC" = 0
plume svc b start RpcSs
ok "b: plume svc b start RpcSs: running" has "$OUT" "is running"
for vm in a b; do
    for i in $(seq 1 50); do plume svc $vm query RpcSs; has "$OUT" RUNNING && break; sleep 0.1; done
    ok "$vm: RpcSs RUNNING under the VM's manager" has "$OUT" "STATE *: 4 RUNNING"
    ok "$vm: one rpcss.exe in the VM" test "$(count_in_ps $vm rpcss.exe)" = 1
    plume ps $vm
    ok "$vm: its rpcss.exe runs with the layer" \
        python3 -c 'import sys; l=[x for x in sys.argv[1].splitlines() if "rpcss.exe" in x]; assert len(l)==1 and " yes " in l[0], l' "$OUT"
done
ok "c: no rpcss.exe in VM c" test "$(count_in_ps c rpcss.exe)" = 0
ALL=$(rpcss_procs)
OUT="rpcss now: $ALL; before: $BEFORE"
ok "two more rpcss.exe in the prefix (a's and b's)" \
    test "$(wc -w <<<"$ALL")" = $(($(wc -w <<<"$BEFORE") + 2))
ok "every rpcss.exe of before still runs" bash -c 'for p in $1; do grep -qw $p <<<"$2" || exit 1; done' - "$BEFORE" "$ALL"
host_rpcss
ok "host: RpcSs still RUNNING, same pid" test "$OUT" = "$HOST_RPCSS_SVC"

# --- registrations in a and b: each VM's own map ---------------------------------------
resolve a 2
ok "a (own RpcSs): the host's interface 2 is not visible (1753 EPT_S_NOT_REGISTERED)" \
    has "$OUT" "resolve 2: error 1753"
resolve b 2
ok "b (own RpcSs): the host's interface 2 is not visible" has "$OUT" "resolve 2: error 1753"
serve a 1 vma
ok "a: interface 1 registered (VM a's endpoint mapper)" has "$OUT" "^registered 1 vma"
resolve a 1
ok "a: resolves interface 1" has "$OUT" "resolve 1: ok ncalrpc:\[LRPC"
ok "a: the call reaches VM a's server" has "$OUT" "call 1: reply vma pid"
resolve host 1
ok "host: interface 1 not found (1753)" has "$OUT" "resolve 1: error 1753"
resolve b 1
ok "b: interface 1 not found before b registers it (1753)" has "$OUT" "resolve 1: error 1753"
resolve c 1
ok "c (host's map): interface 1 not found (1753)" has "$OUT" "resolve 1: error 1753"
serve b 1 vmb
ok "b: the same interface 1 registered in VM b" has "$OUT" "^registered 1 vmb"
resolve b 1
ok "b: interface 1 resolves to VM b's server" has "$OUT" "call 1: reply vmb pid"
resolve a 1
ok "a: interface 1 still resolves to VM a's server" has "$OUT" "call 1: reply vma pid"
resolve host 1
ok "host: interface 1 still not found" has "$OUT" "resolve 1: error 1753"
resolve host 2
ok "host: its own interface 2 still resolves and answers" has "$OUT" "call 2: reply host pid"

# --- VM c, without its own RpcSs: the host's endpoint mapper ---------------------------
resolve c 2
ok "c (no RpcSs): resolves the host's interface 2 (fallback)" has "$OUT" "resolve 2: ok ncalrpc:\[LRPC"
ok "c: but cannot call the host's server (its ncalrpc pipe is not a fallback name)" \
    has "$OUT" "call 2: error 1722"
serve c 3 vmc
ok "c: interface 3 registered (in the host's endpoint mapper)" has "$OUT" "^registered 3 vmc"
resolve c 3
ok "c: resolves interface 3 and reaches its own server" has "$OUT" "call 3: reply vmc pid"
resolve host 3
ok "host: sees VM c's registration (the shared map of a VM without RpcSs)" has "$OUT" "resolve 3: ok"
resolve a 3
ok "a: does not see VM c's registration (1753)" has "$OUT" "resolve 3: error 1753"
ok "c: still no rpcss.exe in VM c" test "$(count_in_ps c rpcss.exe)" = 0

# --- COM in a VM without RpcSs starts the VM's own -----------------------------------------
# (ole32 asks rpcss's class table over ncalrpc "irpcss", which is no
# fallback name: not found in the VM, ole32 starts RpcSs through the SCM,
# i.e. the VM's manager.)
plume svc d query RpcSs
ok "d: RpcSs STOPPED" has "$OUT" "STOPPED"
plume run d -- "$B\\rpc_ep.exe" com
ok "d: CoGetClassObject(LOCAL_SERVER) of an unknown class: REGDB_E_CLASSNOTREG" has "$OUT" "^com 80040154"
plume svc d query RpcSs
ok "d: ... and RpcSs now RUNNING under VM d's manager" has "$OUT" "STATE *: 4 RUNNING"
ok "d: one rpcss.exe in VM d" test "$(count_in_ps d rpcss.exe)" = 1
resolve d 2
ok "d: now its own map: the host's interface 2 not visible (1753)" has "$OUT" "resolve 2: error 1753"
host_rpcss
ok "host: RpcSs still RUNNING, same pid" test "$OUT" = "$HOST_RPCSS_SVC"
plume stop d
ok "plume stop d" test "$RC" = 0

# --- stopping VM a ends its RpcSs (and its map), not the host's ---------------------------
# (Wine 8's RpcEpUnregister sends ept_insert instead of ept_delete, so an
# entry stays in a map until its rpcss ends: see docs/ns-svc.md.)
touch "$TMP/stop.a"
for i in $(seq 1 50); do grep -q '^done' "$TMP/srv.vma" && break; sleep 0.1; done
OUT=$(cat "$TMP/srv.vma") RC=""
ok "a: the server ended" has "$OUT" "^done"
plume stop a
ok "plume stop a" test "$RC" = 0
ok "a: no rpcss.exe left in VM a" test "$(count_in_ps a rpcss.exe)" = 0
ALL=$(rpcss_procs)
OUT="rpcss now: $ALL; before: $BEFORE"
ok "one rpcss.exe fewer (a's)" test "$(wc -w <<<"$ALL")" = $(($(wc -w <<<"$BEFORE") + 1))
ok "every rpcss.exe of before still runs" bash -c 'for p in $1; do grep -qw $p <<<"$2" || exit 1; done' - "$BEFORE" "$ALL"
host_rpcss
ok "host: RpcSs still RUNNING, same pid" test "$OUT" = "$HOST_RPCSS_SVC"
resolve host 2
ok "host: interface 2 still resolves and answers" has "$OUT" "call 2: reply host pid"
resolve b 1
ok "b: its interface 1 still there" has "$OUT" "call 1: reply vmb pid"
plume run a -- sc start RpcSs
ok "a: sc start RpcSs again: exit 0" test "$RC" = 0
resolve a 1
ok "a: a fresh map: interface 1 (VM a's old entry) not found" has "$OUT" "resolve 1: error 1753"
resolve a 2
ok "a: ... nor the host's interface 2" has "$OUT" "resolve 2: error 1753"
plume stop b
plume stop c
ok "plume stop b and c" test "$RC" = 0
echo "($(($(date +%s) - T0)) s)"
finish
