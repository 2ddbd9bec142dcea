#!/bin/bash
# plume install / uninstall: the host service "Plume VM a" (host SCM) starts
# VM a (plume start: its auto-start services) and stops it (plume stop).
# Needs cmd_install, cmd_uninstall and the hidden service-host in main.c.
source "$(dirname "$0")/lib.sh"
use_root svc_install
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
hostq() { OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query "$1" 2>&1); }

plume create a
ok "create VM a" test "$RC" = 0
plume run a -- sc create t_boot binpath= "$B\\svc_basic.exe C:\\boot.log" start= auto
ok "an auto-start service in VM a" test "$RC" = 0
plume stop a
plume install a
ok "plume install a" has "$OUT" "Installed host service 'Plume VM a'"
hostq "Plume VM a"
ok "the host's SCM has 'Plume VM a', stopped" has "$OUT" "state 1 "
plume install a
ok "plume install a twice: exit 1 (exists)" test "$RC" = 1
"$WINE" sc start "Plume VM a" >/dev/null 2>&1
for i in $(seq 1 100); do hostq "Plume VM a"; has "$OUT" "state 4" && break; sleep 0.1; done
ok "host sc start 'Plume VM a': RUNNING" has "$OUT" "state 4"
plume svc a query t_boot
ok "VM a started by the host service: t_boot RUNNING" has "$OUT" "RUNNING"
plume start a
ok "plume start a: already started" has "$OUT" "already started"
"$WINE" sc stop "Plume VM a" >/dev/null 2>&1
for i in $(seq 1 200); do hostq "Plume VM a"; has "$OUT" "state 1" && break; sleep 0.1; done
ok "host sc stop 'Plume VM a': STOPPED" has "$OUT" "state 1"
plume ps a
ok "VM a stopped: no process left" test "$(grep -c '^[0-9]' <<<"$OUT")" = 0
plume uninstall a
ok "plume uninstall a" has "$OUT" "Removed host service 'Plume VM a'"
hostq "Plume VM a"
ok "the host service is gone (1060)" has "$OUT" "error 1060"
plume uninstall a
ok "plume uninstall a again: exit 1" test "$RC" = 1
finish
