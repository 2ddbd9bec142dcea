#!/bin/bash
# Disk full during copy-up (docs/fault.md, "Disk full"). The store
# (PLUME_ROOT) is a small tmpfs mounted into the Wine prefix's C: drive,
# filled up from Linux; the host file is on the prefix's own disk. A VM
# program opens the 2 MB host file for append (a copy-up with data):
#  - it gets ERROR_DISK_FULL (112) (or ERROR_HANDLE_DISK_FULL, 39);
#  - the host file is byte for byte unchanged;
#  - no private copy of it and no temporary file is left in the store;
#  - the VM still reads the host's file (size);
# then space returns and the same write works (the VM sees 2 MB + 100, the
# host file is still unchanged). Needs root (mount); without it the test
# fails and says so.
source "$(dirname "$0")/../cli/lib.sh"
use_root diskfull
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
VM=d
DATA_UNIX="$WINEPREFIX/drive_c/plume-tests/diskfull-data"
DATA='C:\plume-tests\diskfull-data'
HOSTF="$DATA_UNIX/big.bin"

mountpoint -q "$ROOT_UNIX" 2>/dev/null && umount -l "$ROOT_UNIX"
rm -rf "$ROOT_UNIX" "$DATA_UNIX"
mkdir -p "$ROOT_UNIX" "$DATA_UNIX"
MERR=$(mount -t tmpfs -o size=4m,mode=0755 plume-diskfull "$ROOT_UNIX" 2>&1)
if [ $? != 0 ]; then
    OUT="mount -t tmpfs on $ROOT_UNIX failed: $MERR"
    ok "a small filesystem for the store (needs root or CAP_SYS_ADMIN to mount a tmpfs)" false
    finish
fi
cleanup() {
    "$WINE" "$PLUME_BIN/plume.exe" stop $VM >/dev/null 2>&1
    umount "$ROOT_UNIX" 2>/dev/null || umount -l "$ROOT_UNIX" 2>/dev/null
    rm -rf "$DATA_UNIX"
}
trap cleanup EXIT
ok "the store is a 4 MB tmpfs ($(df -k --output=size "$ROOT_UNIX" | tail -1 | tr -d ' ') KB)" true

head -c $((2 * 1024 * 1024)) /dev/urandom >"$HOSTF"
SUM0=$(sha256sum <"$HOSTF")
plume create $VM
ok "create VM $VM on the small store" test "$RC" = 0
plume run $VM -- "$B\\rel_w.exe" size "$DATA\\big.bin"
ok "the VM sees the host file (2 MB)" has "$OUT" "size 2097152"

# Fill the store's filesystem, then give back 64 KB: less than the copy.
dd if=/dev/zero of="$ROOT_UNIX/fill.bin" bs=64k 2>/dev/null
truncate -s -65536 "$ROOT_UNIX/fill.bin"
FREE=$(df -k --output=avail "$ROOT_UNIX" | tail -1 | tr -d ' ')
OUT="free: $FREE KB"
ok "the store's filesystem is full (about 64 KB free: $FREE KB)" test "$FREE" -lt 1024

plume run $VM -- "$B\\rel_w.exe" append "$DATA\\big.bin" 100
ok "append in the VM with the disk full: ERROR_DISK_FULL (112 or 39)" \
    grep -qE '(open|write) error (112|39)' <<<"$OUT"
ok "... and the program's exit code says it failed" test "$RC" = 1
SUM1=$(sha256sum <"$HOSTF")
ok "the host file is unchanged" test "$SUM0" = "$SUM1"
LEFT=$(find "$ROOT_UNIX" -iname 'big.bin*' -o -iname '.tmp-*' 2>/dev/null)
OUT=$LEFT
ok "no private copy, origin record or temporary file left in the store" test -z "$LEFT"
plume run $VM -- "$B\\rel_w.exe" size "$DATA\\big.bin"
ok "the VM still reads the host's file (2 MB)" has "$OUT" "size 2097152"

rm -f "$ROOT_UNIX/fill.bin"
plume run $VM -- "$B\\rel_w.exe" append "$DATA\\big.bin" 100
ok "space back: the same append works" has "$OUT" "^ok"
plume run $VM -- "$B\\rel_w.exe" size "$DATA\\big.bin"
ok "the VM sees 2 MB + 100 bytes" has "$OUT" "size 2097252"
SUM2=$(sha256sum <"$HOSTF")
ok "the host file is still unchanged" test "$SUM0" = "$SUM2"
COPY=$(find "$ROOT_UNIX/vms/$VM/files" -iname big.bin | head -1)
SIZE=$([ -n "$COPY" ] && stat -c %s "$COPY")
OUT="private copy: $COPY ($SIZE bytes)"
ok "the private copy is whole: the host's bytes then 100 bytes" \
    test "$SIZE" = 2097252 -a "$(head -c 2097152 "$COPY" | sha256sum)" = "$SUM0"

plume stop $VM
plume delete $VM
ok "delete VM $VM" test "$RC" = 0
finish
