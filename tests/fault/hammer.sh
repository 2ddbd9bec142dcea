#!/bin/bash
# Two VMs and the host hammer the same names at once for HAMMER_SECS
# (default 20) seconds (docs/fault.md, "Concurrent writers"): 64 files
# C:\plume-tests\hammer-data\f0..f63.dat (4 KB records with a checksum; a
# VM's first write to each is a copy-up while the host replaces it), 8
# values of HKLM\Software\PlumeHammer, the named semaphore
# Local\PlumeHammerSem and the named section Local\PlumeHammerMap.
# Each round of each writer (tests/win/rel_w.c hammer) reads a file and a
# value back and checks it while the others write: whole, never another
# namespace's record, its own last write once it wrote. Afterwards:
#  - counts add up: each writer's semaphore and section counted exactly its
#    own rounds (a name shared across namespaces would add the others');
#  - the host has only host/initial records, whole, its own last writes;
#  - each VM sees only its own last writes, whole;
#  - the store holds whole private copies only, no temporary file;
#  - plume diff of each VM lists the 64 files.
source "$(dirname "$0")/../cli/lib.sh"
use_root hammer
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
SECS=${HAMMER_SECS:-20}
DATA_UNIX="$WINEPREFIX/drive_c/plume-tests/hammer-data"
DATA='C:\plume-tests\hammer-data'
TMPD=$(mktemp -d)
RELW="$PLUME_BIN/rel_w.exe"
cleanup() {
    "$WINE" "$RELW" cleanup "$DATA" >/dev/null 2>&1
    rm -rf "$TMPD" "$DATA_UNIX"
}
trap cleanup EXIT
rm -rf "$DATA_UNIX"

OUT=$("$WINE" "$RELW" setup "$DATA" 2>&1)
RC=$?
ok "host: 64 files and 8 values, initial records" has "$OUT" "setup ok"
for v in ha hb; do
    plume create $v
    ok "create VM $v" test "$RC" = 0
done

echo "     hammering for $SECS s: host, VM ha, VM hb"
"$WINE" "$RELW" hammer host "$SECS" "$DATA" >"$TMPD/host" 2>&1 &
P0=$!
"$WINE" "$PLUME_BIN/plume.exe" run ha -- "$B\\rel_w.exe" hammer a "$SECS" "$DATA" >"$TMPD/a" 2>&1 &
P1=$!
"$WINE" "$PLUME_BIN/plume.exe" run hb -- "$B\\rel_w.exe" hammer b "$SECS" "$DATA" >"$TMPD/b" 2>&1 &
P2=$!
wait $P0; R0=$?
wait $P1; R1=$?
wait $P2; R2=$?
for t in host a b; do tr -d '\r' <"$TMPD/$t" >"$TMPD/$t.x" && mv "$TMPD/$t.x" "$TMPD/$t"; done

for t in host:$R0 a:$R1 b:$R2; do
    tag=${t%%:*} rc=${t#*:}
    OUT=$(grep -v '^final ' "$TMPD/$tag")
    RC=$rc
    ok "$tag: no invariant broken while hammering (exit 0, no BAD line)" \
        test "$rc" = 0 -a -z "$(grep '^BAD' "$TMPD/$tag")"
    read -r _ _ _ ROUNDS _ SEM _ MAP _ BADN <<<"$(grep '^done ' "$TMPD/$tag")"
    echo "     $tag: $(grep "^done " "$TMPD/$tag"), host renames retried: $(grep "^retried " "$TMPD/$tag" | cut -d" " -f2)"
    ok "$tag: $ROUNDS rounds (at least 128: each file written twice)" test "${ROUNDS:-0}" -ge 128
    ok "$tag: counts add up: semaphore $SEM = section $MAP = rounds $ROUNDS" \
        test "${SEM:-x}" = "${ROUNDS:-y}" -a "${MAP:-x}" = "${ROUNDS:-y}"
done

# The host: only host or initial records, whole; its own last writes.
OUT=$("$WINE" "$RELW" verify host "$DATA" 2>&1 | tr -d '\r')
ok "host: every file and value whole, of the host or initial (no VM's write)" \
    test "$(grep -cE '^now [fv][0-9]+ (host|init) [0-9]+$' <<<"$OUT")" = 72
W=1
# lastw TAG: the "final" lines of writer TAG as the "now" lines verify prints
lastw() { awk -v t="$1" '$1 == "final" && $3 != 0 { print "now", $2, t, $3 }' "$TMPD/$1"; }
while read -r line; do grep -qx "$line" <<<"$OUT" || W=0; done < <(lastw host)
ok "host: the host's last writes are what it reads" test "$W" = 1

# Each VM: its own last writes only, whole.
for v in a b; do
    plume run h$v -- "$B\\rel_w.exe" verify $v "$DATA"
    OUT=$(tr -d '\r' <<<"$OUT")
    W=1
    while read -r line; do grep -qx "$line" <<<"$OUT" || W=0; done < <(lastw $v)
    N=$(lastw $v | wc -l)
    ok "VM h$v: every file and value is its own last write, whole ($N checked)" \
        test "$W" = 1 -a "$N" = 72
    C=$(find "$ROOT_UNIX/vms/h$v/files" -iname 'f*.dat' | wc -l)
    S=$(find "$ROOT_UNIX/vms/h$v/files" -iname 'f*.dat' -size 4096c | wc -l)
    OUT="private copies: $C, of 4096 bytes: $S"
    ok "VM h$v: 64 private copies in the store, each whole (4096 bytes)" test "$C" = 64 -a "$S" = 64
    plume diff h$v
    ok "VM h$v: plume diff lists the 64 files" \
        test "$(grep -ciE 'hammer-data\\f[0-9]+\.dat' <<<"$OUT")" = 64
done
T=$(find "$ROOT_UNIX" "$DATA_UNIX" -iname '.tmp-*' -o -iname '*.tmp' | wc -l)
OUT="temporary files: $T"
ok "no temporary file left in the store or the host folder" test "$T" = 0

for v in ha hb; do
    plume stop $v
    plume delete $v
done
finish
