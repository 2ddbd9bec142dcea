#!/bin/bash
# PostgreSQL 15, a real third-party Windows service, in two VMs at once.
#
# The host has PostgreSQL's binaries (C:\pgsql, installed by
# scripts/fetch-postgres from the pinned npm package) but no data directory
# and no service. In VM a (127.0.0.2) and VM b (127.0.0.3): initdb, then
# pg_ctl register -N postgresql on port 5432, then sc start postgresql.
# Debian's psql reaches each at its VM's address and sees that VM's data.
# Then stop, restart (the data stays), plume stop, delete: nothing is left.
#
# Env (set by ctest): WINEPREFIX, PLUME_BIN, PLUME_SRC.
source "$(dirname "$0")/lib.sh"
use_root pg
PLUME_SRC=${PLUME_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "$PLUME_BIN/.." && pwd)
PGBIN='C:\pgsql\bin'
HOST_PGDATA="$WINEPREFIX/drive_c/pgdata"
declare -A ADDR=([a]=127.0.0.2 [b]=127.0.0.3)
T0=$(date +%s)

missing() { echo "FAIL missing prerequisite: $*"; echo "0 passed, 1 failed"; exit 1; }

# --- prerequisites: psql (Debian's postgresql-client), the binaries ----------
if ! command -v psql >/dev/null; then
    echo "installing postgresql-client (psql) with apt-get ..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends postgresql-client; } >/dev/null 2>&1
    command -v psql >/dev/null || missing "psql (apt-get install postgresql-client failed)"
fi
PGDIR=$(PLUME_BUILD=$BUILD "$PLUME_SRC/scripts/fetch-postgres" "$WINEPREFIX") \
    || missing "PostgreSQL binaries (scripts/fetch-postgres failed, see above)"
[ -f "$PGDIR/bin/postgres.exe" ] || missing "$PGDIR/bin/postgres.exe"
STAMP=$(mktemp)      # the host install must not change after this

LOGS=$(mktemp -d)
cleanup() {
    for vm in a b; do "$WINE" "$PLUME_BIN/plume.exe" stop $vm >/dev/null 2>&1; done
    for vm in a b; do "$WINE" "$PLUME_BIN/plume.exe" delete $vm >/dev/null 2>&1; done
    rm -rf "$LOGS" "$STAMP"
}
trap cleanup EXIT

# q VM SQL: psql from the host at the VM's address; output in $OUT, status $RC.
q() {
    OUT=$(PGCONNECT_TIMEOUT=3 psql -X -h "${ADDR[$1]}" -p 5432 -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -Atc "$2" 2>&1 </dev/null)
    RC=$?
}
# up VM: waits until the VM's server answers: at most ~40 s, or ~8 s once a
# wait has failed (the run stays short when the servers cannot start).
UP_WAIT=40
up() {
    local i
    for i in $(seq 1 $UP_WAIT); do q "$1" "select 1"; [ "$RC" = 0 ] && return 0; sleep 1; done
    UP_WAIT=8
    return 1
}
# tcp_open ADDR PORT: something accepts connections there.
tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
# Our postgres.exe processes (this prefix only): their pids.
# (Zombies are skipped: they have ended, and a container's pid 1 may never
# reap them.)
pg_procs() {
    local p
    for p in $(pgrep -f 'postgres\.exe|pg_ctl\.exe'); do
        [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] && continue
        tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "WINEPREFIX=$WINEPREFIX" && echo "$p"
    done 2>/dev/null
}
# host_sc ARGS: Wine's sc.exe outside any VM, i.e. the host's SCM.
host_sc() { OUT=$("$WINE" sc "$@" 2>&1 </dev/null); RC=$?; }
# Tells what went wrong with a VM's service (scm log, postgres logs).
diagnose() {
    local vm=$1 d="$ROOT_UNIX/vms/$1/files/C"
    echo "     --- $vm: plume-scm.log (end)"
    tail -n 8 "$d/windows/plume-scm.log" 2>/dev/null | sed 's/^/     | /'
    echo "     --- $vm: stderr of the VM's manager and services (end)"
    tail -n 8 "$LOGS/stderr-$vm" 2>/dev/null | sed 's/^/     | /'
    echo "     --- $vm: C:\\pgdata\\log (end)"
    cat "$d"/pgdata/log/*.log 2>/dev/null | tail -n 12 | sed 's/^/     | /'
}

# --- before: the host has no such service, data directory or server ----------
host_sc query postgresql
ok "host: sc query postgresql fails (no such service on the host)" test "$RC" != 0
ok "host: no C:\\pgdata" test ! -e "$HOST_PGDATA"
ok "nothing listens on 127.0.0.1/.2/.3:5432 yet" \
    bash -c "! { $(declare -f tcp_open); tcp_open 127.0.0.1 5432 || tcp_open 127.0.0.2 5432 || tcp_open 127.0.0.3 5432; }"

for vm in a b; do
    plume create $vm --ip "${ADDR[$vm]}"
    ok "create $vm --ip ${ADDR[$vm]}" test "$RC" = 0
done

# --- initdb in both VMs, at once ------------------------------------------------
for vm in a b; do
    "$WINE" "$PLUME_BIN/plume.exe" run $vm -- "$PGBIN\\initdb.exe" -D 'C:\pgdata' -U postgres \
        -A trust -E UTF8 --no-locale >"$LOGS/initdb-$vm" 2>&1 </dev/null &
    eval "INITDB_$vm=\$!"
done
for vm in a b; do
    eval "wait \$INITDB_$vm"; RC=$?
    OUT=$(tail -n 5 "$LOGS/initdb-$vm") ERR=""
    ok "$vm: initdb -D C:\\pgdata: exit 0, Success" test "$RC" = 0 -a -n "$(grep Success <<<"$OUT")"
    ok "$vm: the data directory is in the VM's store" \
        grep -qx 15 "$ROOT_UNIX/vms/$vm/files/C/pgdata/PG_VERSION"
done
RC="" OUT="" ERR=""
ok "host: still no C:\\pgdata after initdb" test ! -e "$HOST_PGDATA"

# A log file per VM, written by postgres's logging collector inside the VM
# (the append goes to the VM's private postgresql.conf).
for vm in a b; do
    plume run $vm -- cmd /c "echo logging_collector = on>> C:\\pgdata\\postgresql.conf"
    ok "$vm: enable postgres's log file (cmd echo >> postgresql.conf)" test "$RC" = 0
done

# --- register: the same service name and port in both -----------------------------
# The VM's manager is started first, from the host (plume svc), so that its
# Unix stderr, which Wine hands down to the services it starts, is a file:
# postgres's early messages and Wine's warnings land there (diagnose).
for vm in a b; do
    "$WINE" "$PLUME_BIN/plume.exe" svc $vm list >/dev/null 2>"$LOGS/stderr-$vm" </dev/null
done
for vm in a b; do
    plume run $vm -- "$PGBIN\\pg_ctl.exe" register -N postgresql -D 'C:\pgdata' -o "-p 5432"
    ok "$vm: pg_ctl register -N postgresql: exit 0" test "$RC" = 0
    plume svc $vm config postgresql
    ok "$vm: the service runs pg_ctl runservice" has "$OUT" 'BINARY_PATH_NAME *: "C:\\pgsql\\bin\\pg_ctl.exe" runservice -N "postgresql"'
    plume run $vm -- sc query postgresql
    ok "$vm: sc query postgresql: STOPPED" has "$OUT" "STATE *: 1  STOPPED"
done
host_sc query postgresql
ok "host: still no service postgresql" test "$RC" != 0

# --- sc start postgresql in both -----------------------------------------------------
for vm in a b; do
    plume run $vm -- sc start postgresql
    ok "$vm: sc start postgresql: exit 0" test "$RC" = 0
done
for vm in a b; do
    up $vm
    ok "$vm: psql -h ${ADDR[$vm]} -p 5432 answers" test "$RC" = 0
    [ "$RC" = 0 ] || diagnose $vm
done
for vm in a b; do
    plume svc $vm query postgresql --json
    ok "$vm: the service is RUNNING with a pid" \
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="RUNNING" and d["pid"]>0, d' "$OUT"
    plume ps $vm
    ok "$vm: postgres.exe processes run inside the VM, with the layer" \
        python3 -c 'import sys; l=[x for x in sys.argv[1].splitlines() if "postgres.exe" in x]; assert len(l)>=3 and all(" yes " in x for x in l), l' "$OUT"
done
ok "nothing answers at the host's 127.0.0.1:5432" bash -c "! { $(declare -f tcp_open); tcp_open 127.0.0.1 5432; }"

# --- different data in each -------------------------------------------------------------
for vm in a b; do
    q $vm "create table plume_vm(name text); insert into plume_vm values ('$vm')"
    ok "$vm: create a table holding '$vm'" test "$RC" = 0 -a "$(tail -n 1 <<<"$OUT")" = "INSERT 0 1"
done
for vm in a b; do
    q $vm "select name from plume_vm"
    ok "$vm: the client at ${ADDR[$vm]} sees '$vm' only" test "$RC" = 0 -a "$OUT" = "$vm"
    q $vm "select host(inet_server_addr())"
    ok "$vm: the server's side of the connection is ${ADDR[$vm]}" test "$OUT" = "${ADDR[$vm]}"
    q $vm "show data_directory"
    ok "$vm: data_directory is C:/pgdata" test "$OUT" = "C:/pgdata"
done
for vm in a b; do
    plume run $vm -- "$PGBIN\\pg_ctl.exe" status -D 'C:\pgdata'
    ok "$vm: pg_ctl status inside the VM: server is running" has "$OUT" "server is running"
done
OUT=$(ls "$ROOT_UNIX"/vms/a/files/C/pgdata/log/ 2>&1)
ok "a: postgres wrote its log file in the VM (C:\\pgdata\\log)" has "$OUT" '\.log$'

# --- stop and start again in a: b keeps running, a keeps its data -------------------------
plume run a -- sc stop postgresql
ok "a: sc stop postgresql: exit 0" test "$RC" = 0
for i in $(seq 1 60); do plume svc a query postgresql; has "$OUT" STOPPED && break; sleep 0.5; done
ok "a: the service is STOPPED" has "$OUT" "STATE *: 1 STOPPED"
q a "select 1"
ok "a: no longer answers" test "$RC" != 0
q b "select name from plume_vm"
ok "b: still answers 'b'" test "$RC" = 0 -a "$OUT" = b
plume run a -- sc start postgresql
ok "a: sc start postgresql again: exit 0" test "$RC" = 0
up a
ok "a: answers again" test "$RC" = 0
[ "$RC" = 0 ] || diagnose a
q a "select name from plume_vm"
ok "a: its data survived the restart" test "$RC" = 0 -a "$OUT" = a

# --- the host: no service, no data directory, binaries untouched ------------------------------
host_sc query postgresql
ok "host: sc query postgresql still fails" test "$RC" != 0
OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query postgresql 2>&1)
ok "host SCM API: postgresql does not exist (1060)" has "$OUT" "error 1060"
OUT=$("$WINE" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\postgresql' 2>&1); RC=$?
ok "host registry: no Services\\postgresql key" test "$RC" != 0
RC="" OUT=""
ok "host: no C:\\pgdata" test ! -e "$HOST_PGDATA"
OUT=$(find "$PGDIR" -newer "$STAMP" 2>&1 | head -n 5)
ok "host: the PostgreSQL install was not written" test -z "$OUT"

# --- plume stop: the services stop, every process ends -------------------------------------------
for vm in a b; do
    plume stop $vm
    ok "plume stop $vm: exit 0" test "$RC" = 0
done
for i in $(seq 1 20); do [ -z "$(pg_procs)" ] && break; sleep 0.5; done
OUT=$(pg_procs)
ok "no postgres.exe or pg_ctl.exe process is left" test -z "$OUT"
for vm in a b; do
    plume ps $vm
    ok "$vm: no process left" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
done
ok "nothing listens on 127.0.0.2/.3:5432 any more" \
    bash -c "! { $(declare -f tcp_open); tcp_open 127.0.0.2 5432 || tcp_open 127.0.0.3 5432; }"
# A clean shutdown: each server wrote its shutdown checkpoint. (Its last
# line, "database system is shut down", may be lost: plume stop ends the
# logging collector, which outlives the postmaster by a moment, once the
# service is STOPPED.)
for vm in a b; do
    OUT=$(cat "$ROOT_UNIX"/vms/$vm/files/C/pgdata/log/*.log 2>/dev/null | grep -A1 'checkpoint starting: shutdown' | tail -n 2)
    ok "$vm: postgres completed its shutdown checkpoint" has "$OUT" "checkpoint complete"
done

# --- plume start: postgresql is an auto-start service (pg_ctl register's
# default), so starting the VM brings it up again, after RpcSs (its
# dependency), with the VM's data.
plume start a
ok "plume start a: reports postgresql running" grep -Eq 'postgresql +running' <<<"$OUT"
up a
ok "a: answers after plume start" test "$RC" = 0
[ "$RC" = 0 ] || diagnose a
q a "select name from plume_vm"
ok "a: still its own data ('a')" test "$RC" = 0 -a "$OUT" = a
q b "select 1"
ok "b: stays stopped" test "$RC" != 0
plume stop a
ok "plume stop a: exit 0" test "$RC" = 0
for i in $(seq 1 20); do [ -z "$(pg_procs)" ] && break; sleep 0.5; done
OUT=$(pg_procs)
ok "no postgres.exe or pg_ctl.exe process is left" test -z "$OUT"

for vm in a b; do
    plume delete $vm
    ok "delete $vm" test "$RC" = 0
    ok "$vm: its folder (and data directory) is gone" test ! -e "$ROOT_UNIX/vms/$vm"
done
echo "($(($(date +%s) - T0)) s)"
finish
