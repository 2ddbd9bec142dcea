#!/bin/bash
# Windows Installer in a VM: the MSIServer service (msiexec /V) runs under
# the VM's own manager, and an MSI installed in a VM (msiexec /i X.msi /qn)
# touches only that VM: its file, registry value, Installer database
# entries and cached package are in the VM's store, the host and another
# VM see none of them; plume diff lists them; msiexec /x removes them.
#
# The package is built here from tests/msi/plume_msi_test.wxs with
# msitools' wixl (apt-get install wixl when missing): it installs
# C:\Program Files\PlumeMsiTest\payload.txt and HKLM\Software\PlumeMsiTest
# "Installed", and runs a DLL custom action (msi_ca.dll: under Wine in
# msiexec -Embedding, the custom action server) that logs to
# C:\plume-msi-ca.log. msi_probe.exe asks the Installer database
# (MsiQueryProductState, MsiEnumProducts).
source "$(dirname "$0")/lib.sh"
use_root svc_msi
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
PLUME_SRC=${PLUME_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CODE='{6B1E0C35-5A1C-4D0E-9A1E-7E5700000001}'
PACKED=53C0E1B6C1A5E0D4A9E1E77500000010     # CODE in the Installer's packed form
PAYLOAD="plume msi payload $$"
HOST_C="$WINEPREFIX/drive_c"
T0=$(date +%s)

missing() { echo "FAIL missing prerequisite: $*"; echo "0 passed, 1 failed"; exit 1; }

# --- prerequisites: wixl, the package ------------------------------------------------
if ! command -v wixl >/dev/null; then
    echo "installing wixl (msitools) with apt-get ..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends wixl; } >/dev/null 2>&1
    command -v wixl >/dev/null || missing "wixl (apt-get install wixl failed)"
fi
for f in msi_ca.dll msi_probe.exe; do [ -f "$PLUME_BIN/$f" ] || missing "$PLUME_BIN/$f (build first)"; done
TMP=$(mktemp -d /tmp/svc_msi.XXXXXX)
cleanup() {
    for vm in a b; do "$WINE" "$PLUME_BIN/plume.exe" stop $vm >/dev/null 2>&1; done
    rm -rf "$TMP"
}
trap cleanup EXIT
cp "$PLUME_SRC/tests/msi/plume_msi_test.wxs" "$PLUME_BIN/msi_ca.dll" "$TMP/"
printf '%s\r\n' "$PAYLOAD" >"$TMP/payload.txt"
( cd "$TMP" && wixl -a x64 -o plume_msi_test.msi plume_msi_test.wxs ) >"$TMP/wixl.log" 2>&1 \
    || { cat "$TMP/wixl.log"; missing "an MSI (wixl failed)"; }
MSI=$(echo "$TMP/plume_msi_test.msi" | sed 's|^|Z:|; s|/|\\|g')
OUT=$(ls -l "$TMP/plume_msi_test.msi") RC=""
ok "wixl built the package" test -s "$TMP/plume_msi_test.msi"

# in_vm VM CMD: runs cmd /c CMD inside the VM.
in_vm() { local vm=$1; shift; plume run "$vm" -- cmd /c "$@"; }
exists_in() { in_vm "$1" "if exist \"$2\" (echo yes) else (echo no)"; }
# The host's Windows Installer folder: every file, size and time.
installer_snapshot() { find "$HOST_C/windows/Installer" -printf '%P %s %T@\n' 2>/dev/null | sort; }
host_reg() { OUT=$("$WINE" reg query "$1" 2>&1 </dev/null); RC=$?; }
host_probe() { OUT=$("$WINE" "$PLUME_BIN/msi_probe.exe" "$@" 2>&1 </dev/null); RC=$?; }

# --- before: the host has none of it ---------------------------------------------------
ok "host: no C:\\Program Files\\PlumeMsiTest" test ! -e "$HOST_C/Program Files/PlumeMsiTest"
host_reg 'HKLM\Software\PlumeMsiTest'
ok "host: no HKLM\\Software\\PlumeMsiTest" test "$RC" != 0
host_probe state "$CODE"
ok "host: the product is unknown to the host's Installer (-1)" has "$OUT" "^state -1\b"
host_probe products
HOST_PRODUCTS=$OUT
INSTALLER_BEFORE=$(installer_snapshot)

plume create a
plume create b
ok "create VMs a and b" test "$RC" = 0

# --- MSIServer under VM a's manager -------------------------------------------------------
plume run a -- sc start MSIServer
ok "a: sc start MSIServer: exit 0" test "$RC" = 0
for i in $(seq 1 50); do plume svc a query MSIServer --json; has "$OUT" RUNNING && break; sleep 0.1; done
ok "a: MSIServer RUNNING under the VM's manager, with a pid" \
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="RUNNING" and d["pid"]>0, d' "$OUT"
MSIPID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$OUT" 2>/dev/null)
plume ps a
ok "a: its process is msiexec.exe (msiexec /V), in the VM, with the layer" \
    python3 -c 'import sys; l=[x for x in sys.argv[1].splitlines() if x.split()[:1]==[sys.argv[2]]]; assert len(l)==1 and "msiexec.exe" in l[0] and " yes " in l[0], l' "$OUT" "$MSIPID"
plume svc a config MSIServer
ok "a: MSIServer's image is msiexec.exe /V" has "$OUT" 'msiexec.exe /V'
OUT=$("$WINE" "$PLUME_BIN/svc_client.exe" query MSIServer 2>&1)
ok "host: MSIServer not running (the host's SCM: state 1)" has "$OUT" "state 1 "

# --- install in VM a ---------------------------------------------------------------------
plume run a -- msiexec /i "$MSI" /qn
ok "a: msiexec /i plume_msi_test.msi /qn: exit 0" test "$RC" = 0
in_vm a type 'C:\Program Files\PlumeMsiTest\payload.txt'
ok "a: C:\\Program Files\\PlumeMsiTest\\payload.txt has the payload" test "${OUT%$'\r'}" = "$PAYLOAD"
plume run a -- reg query 'HKLM\Software\PlumeMsiTest' /v Installed
ok "a: HKLM\\Software\\PlumeMsiTest Installed = plume-msi-1.0.0" has "$OUT" "Installed *REG_SZ *plume-msi-1.0.0"
plume run a -- "$B\\msi_probe.exe" state "$CODE"
ok "a: the VM's Installer database: the product is installed (5)" has "$OUT" "^state 5\b"
plume run a -- "$B\\msi_probe.exe" products
ok "a: MsiEnumProducts lists it" has "$OUT" "product $CODE Plume MSI Test"
in_vm a type 'C:\plume-msi-ca.log'
ok "a: the DLL custom action ran, read the session's ProductCode" has "$OUT" "^ca pid [0-9]* product $CODE"
ok "a: ... in the custom action server (msiexec -Embedding)" has "$OUT" "msiexec.exe.* -Embedding"
ok "a: the files are in VM a's store" \
    test -f "$ROOT_UNIX/vms/a/files/C/Program Files/PlumeMsiTest/payload.txt" -a -f "$ROOT_UNIX/vms/a/files/C/plume-msi-ca.log"
OUT=$(ls "$ROOT_UNIX/vms/a/files/C/windows/Installer/" 2>&1) RC=""
ok "a: the cached package is in VM a's C:\\windows\\Installer" has "$OUT" '\.msi$'

# --- the host and VM b: untouched ----------------------------------------------------------
OUT=$(ls -d "$HOST_C/Program Files/PlumeMsiTest" "$HOST_C/plume-msi-ca.log" 2>&1) RC=""
ok "host: no C:\\Program Files\\PlumeMsiTest, no C:\\plume-msi-ca.log" \
    test ! -e "$HOST_C/Program Files/PlumeMsiTest" -a ! -e "$HOST_C/plume-msi-ca.log"
host_reg 'HKLM\Software\PlumeMsiTest'
ok "host: no HKLM\\Software\\PlumeMsiTest (reg query)" test "$RC" != 0
host_reg "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$CODE"
ok "host: no Uninstall\\$CODE key" test "$RC" != 0
host_reg "HKLM\\Software\\Classes\\Installer\\Products\\$PACKED"
ok "host: no Installer\\Products\\$PACKED key (the product's registration)" test "$RC" != 0
host_probe state "$CODE"
ok "host: the host's Installer database does not know the product (-1)" has "$OUT" "^state -1\b"
host_probe products
ok "host: MsiEnumProducts unchanged" test "$OUT" = "$HOST_PRODUCTS"
OUT=$(diff <(echo "$INSTALLER_BEFORE") <(echo "$(installer_snapshot)")) RC=""
ok "host: C:\\windows\\Installer unchanged" test -z "$OUT"
exists_in b 'C:\Program Files\PlumeMsiTest\payload.txt'
ok "b: no C:\\Program Files\\PlumeMsiTest\\payload.txt" test "${OUT%$'\r'}" = no
plume run b -- reg query 'HKLM\Software\PlumeMsiTest'
ok "b: no HKLM\\Software\\PlumeMsiTest" test "$RC" != 0
plume run b -- "$B\\msi_probe.exe" state "$CODE"
ok "b: the product is unknown in VM b (-1)" has "$OUT" "^state -1\b"

# --- plume diff a ------------------------------------------------------------------------------
plume diff a
ok "diff a: added file C:\\Program Files\\PlumeMsiTest\\payload.txt" has "$OUT" 'added *file *C:\\Program Files\\PlumeMsiTest\\payload.txt'
ok "diff a: added value HKLM\\Software\\PlumeMsiTest\\Installed" has "$OUT" 'added *value *HKLM\\Software\\PlumeMsiTest\\Installed'
ok "diff a: the cached package in C:\\windows\\Installer" has "$OUT" 'added *file *C:\\windows\\Installer\\.*\.msi'
ok "diff a: the product's Uninstall key" has "$OUT" "added *key *HKLM\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall\\\\$CODE"
plume diff b
ok "diff b: none of it" lacks "$OUT" 'PlumeMsiTest'

# --- the same package in VM b, without starting MSIServer ------------------------------------
plume run b -- msiexec /i "$MSI" /qn
ok "b: msiexec /i: exit 0" test "$RC" = 0
plume run b -- "$B\\msi_probe.exe" state "$CODE"
ok "b: installed in VM b (5)" has "$OUT" "^state 5\b"
plume svc b query MSIServer
ok "b: MSIServer stayed STOPPED (Wine's msi installs in the msiexec process)" has "$OUT" "STOPPED"

# --- uninstall in VM a ----------------------------------------------------------------------------
plume run a -- msiexec /x "$CODE" /qn
ok "a: msiexec /x {code} /qn: exit 0" test "$RC" = 0
exists_in a 'C:\Program Files\PlumeMsiTest\payload.txt'
ok "a: payload.txt removed" test "${OUT%$'\r'}" = no
plume run a -- reg query 'HKLM\Software\PlumeMsiTest' /v Installed
ok "a: the value Installed removed" test "$RC" != 0
plume run a -- "$B\\msi_probe.exe" state "$CODE"
ok "a: the product is unknown again (-1)" has "$OUT" "^state -1\b"
plume diff a
ok "diff a: payload.txt no longer listed" lacks "$OUT" 'PlumeMsiTest\\payload.txt'
ok "diff a: PlumeMsiTest\\Installed no longer listed" lacks "$OUT" 'PlumeMsiTest\\Installed'
plume run b -- "$B\\msi_probe.exe" state "$CODE"
ok "b: still installed in VM b (5)" has "$OUT" "^state 5\b"
in_vm b type 'C:\Program Files\PlumeMsiTest\payload.txt'
ok "b: its payload.txt still there" test "${OUT%$'\r'}" = "$PAYLOAD"
host_probe state "$CODE"
ok "host: still unknown to the host (-1)" has "$OUT" "^state -1\b"
OUT=$(diff <(echo "$INSTALLER_BEFORE") <(echo "$(installer_snapshot)")) RC=""
ok "host: C:\\windows\\Installer still unchanged" test -z "$OUT"
ok "host: still no C:\\Program Files\\PlumeMsiTest" test ! -e "$HOST_C/Program Files/PlumeMsiTest"

# --- plume stop a: MSIServer stops with the VM ---------------------------------------------------
plume stop a
ok "plume stop a: exit 0" test "$RC" = 0
ok "a: no process left (MSIServer ended)" test "$(plume ps a; grep -c '^[0-9]' <<<"$OUT")" = 0
plume stop b
ok "plume stop b: exit 0" test "$RC" = 0
echo "($(($(date +%s) - T0)) s)"
finish
