#!/bin/bash
# The escape suite: a program in VM a tries, in many ways, to read or change
# what lies outside its VM (the host, and VM b). For each attempt (one line
# of tests/escape/escape.c's output) the host's and b's state, taken before
# and after, must be unchanged where that attempt aimed, and the program must
# have seen an error or its own copy. Prints one line per attempt:
#   ok <id> <what the program saw>
#   ESCAPE <id> <what the program saw>: <what changed outside>
#   KNOWN <id> ...   an escape outside the threat model (docs/SECURITY.md)
#   FAIL ...         the test itself went wrong
# and "N passed, N failed" (ESCAPE and FAIL count as failed).
source "$(dirname "$0")/../cli/lib.sh"
use_root escape
[ -f "$PLUME_BIN/escape.exe" ] || { echo "missing: $PLUME_BIN/escape.exe (build first)"; exit 1; }
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
E="$B\\escape.exe"
H="$WINEPREFIX/drive_c/esc-host"          # the host's targets
G="$WINEPREFIX/drive_c/esc-given"         # rendezvous files (not a target)
BSTORE="$ROOT_UNIX/vms/b"
TMPD=$(mktemp -d)
BG=()
ESCAPES=0 KNOWN=0

cleanup() {
    mkdir -p "$G" && : >"$G/stop"             # the host holder ends
    "$WINE" "$PLUME_BIN/plume.exe" stop a >/dev/null 2>&1
    "$WINE" "$PLUME_BIN/plume.exe" stop b >/dev/null 2>&1
    for p in "${BG[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$TMPD" "$G"
}
trap cleanup EXIT

wait_for() {   # wait_for FILE PATTERN: at most 30 s
    for _ in $(seq 1 150); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# --- the targets -------------------------------------------------------------
rm -rf "$H" "$G"
mkdir -p "$H/sub" "$H/F12d" "$G"
for i in $(seq -w 1 44); do printf "host-F$i" >"$H/F$i.txt"; done
printf 'host-F12' >"$H/F12d/F12.txt"
printf 'host-K01' >"$H/K01.txt"
printf 'regf' >"$H/R12.hiv"
chmod 644 "$H"/*.txt

# Addresses and ports of this run: other builds may run the suite at once.
K=$((100 + $$ % 150))
IPA=127.0.$K.2 IPB=127.0.$K.3 PORT=$((20000 + ($$ % 4000) * 10))
plume create a --ip $IPA
ok "create VM a ($IPA)" test "$RC" = 0
plume create b --ip $IPB
ok "create VM b ($IPB)" test "$RC" = 0
"$WINE" "$PLUME_BIN/escape.exe" setup >"$TMPD/setup" 2>&1 </dev/null
ok "host targets: registry keys and services" grep -q "setup done" "$TMPD/setup"
plume run b -- "$E" setup-b
ok "VM b's own copies of the registry targets" test "$RC" = 0
# VM b's own files (in its store), which a must not reach either.
mkdir -p "$BSTORE/files/C/esc-host"
for i in 26 28 29 30; do printf "b-F$i" >"$BSTORE/files/C/esc-host/F$i.txt"; done

# Holders: the host's and b's named objects, pipes, mailslots, sockets.
"$WINE" "$PLUME_BIN/escape.exe" hold 170 1 >"$TMPD/hold.host" 2>&1 </dev/null &
BG+=($!)
"$WINE" "$PLUME_BIN/plume.exe" run b -- "$E" hold 170 0 $PORT >"$TMPD/hold.b" 2>&1 </dev/null &
BG+=($!)
BHOLD=$!
wait_for "$TMPD/hold.host" '^ready'
wait_for "$TMPD/hold.b" '^ready'
read -r HPID HTID <<<"$(tr -d '\r' <"$TMPD/hold.host" | sed -n 's/^ready pid=\([0-9]*\) tid=\([0-9]*\).*/\1 \2/p')"
read -r BPID BTID <<<"$(tr -d '\r' <"$TMPD/hold.b" | sed -n 's/^ready pid=\([0-9]*\) tid=\([0-9]*\).*/\1 \2/p')"
OUT="host=$HPID/$HTID b=$BPID/$BTID"
ok "holders ready (host and VM b)" test -n "$HPID" -a -n "$BPID"

# --- the state outside VM a, one line each, each starting with its attempt id ----
idof() { local n=${1##*/}; [[ $n =~ ^([A-Z][0-9][0-9]) ]] && echo "${BASH_REMATCH[1]}" || echo "$2"; }
snap() {
    (cd "$H" && find . -mindepth 1 | sort) | while read -r f; do
        p="$H/$f"
        if [ -d "$p" ]; then s=dir; else s=$(md5sum <"$p" | cut -c1-12); fi
        x=$(getfattr -d -m - "$p" 2>/dev/null | grep -v '^#' | tr '\n' ' ')
        echo "$(idof "$f" X00) host-file $f $s mode=$(stat -c %a "$p") mtime=$(stat -c %Y "$p") $x"
    done
    (cd "$BSTORE" && find . -type f ! -name plume-scm.log | sort) | while read -r f; do
        echo "$(idof "$f" F26) b-store $f $(md5sum <"$BSTORE/$f" | cut -c1-12)"
    done
    echo "F27 a-vm.conf $(md5sum <"$ROOT_UNIX/vms/a/vm.conf" | cut -c1-12)"
    echo "F32 dosdevices $(ls "$WINEPREFIX/dosdevices" | tr '\n' ' ')"
    timeout 60 "$WINE" "$PLUME_BIN/escape.exe" snap </dev/null 2>&1 | tr -d '\r'
    # To a file, not a pipe: the VM's service manager, started on demand,
    # inherits the program's standard handles and outlives it.
    timeout 60 "$WINE" "$PLUME_BIN/plume.exe" run b -- "$E" snap >"$TMPD/bsnap" 2>&1 </dev/null
    tr -d '\r' <"$TMPD/bsnap" | sed 's/^\([A-Z0-9]*\) /\1 in-b: /'
    tr -d '\r' <"$TMPD/hold.host" | grep -v '^ready' | sed 's/^\([A-Z0-9]*\) /\1 host-holder: /'
    tr -d '\r' <"$TMPD/hold.b" | grep -v '^ready' | sed 's/^\([A-Z0-9]*\) /\1 b-holder: /'
    kill -0 "$BHOLD" 2>/dev/null && echo "P17 b-holder alive" || echo "P17 b-holder gone"
    kill -0 "${BG[0]}" 2>/dev/null && echo "P14 host-holder alive" || echo "P14 host-holder gone"
}
snap >"$TMPD/before"
ok "snapshot before: $(wc -l <"$TMPD/before") lines" test "$(wc -l <"$TMPD/before")" -gt 60

# --- the attempts ------------------------------------------------------------------
PREFIX_UNIX=$WINEPREFIX
timeout 150 "$WINE" "$PLUME_BIN/plume.exe" run a -- "$E" attack "$HPID" "$HTID" "$BPID" "$BTID" \
    "$PLUME_ROOT" "$PREFIX_UNIX" FROQPSNK "$IPB" "$PORT" >"$TMPD/attack" 2>&1 </dev/null
RC=$?
OUT=$(tr -d '\r' <"$TMPD/attack")
ok "the attack program ran to its end (rc=$RC)" grep -q '^done' <<<"$OUT"

# Attempts through handles to outside processes a host process gives it.
"$WINE" "$PLUME_BIN/plume.exe" run a -- "$E" given 'C:\esc-given\given.txt' >"$TMPD/given" 2>&1 </dev/null &
GP=$!
BG+=($GP)
if wait_for "$TMPD/given" '^pid='; then
    VPID=$(tr -d '\r' <"$TMPD/given" | sed -n 's/^pid=//p')
    "$WINE" "$PLUME_BIN/escape.exe" give "$VPID" "$HPID" "$BPID" </dev/null 2>&1 | tr -d '\r' | tr '\n' ' ' >"$G/given.tmp"
    mv "$G/given.tmp" "$G/given.txt"
    wait_for "$TMPD/given" '^done\|no handles'
fi
wait "$GP" 2>/dev/null
OUT="$OUT"$'\n'$(tr -d '\r' <"$TMPD/given")
echo "$OUT" >"$TMPD/lines"
ok "the given-handles program ran to its end" grep -q '^done' "$TMPD/given"

sleep 1   # the holders log any contact
snap >"$TMPD/after"
diff "$TMPD/before" "$TMPD/after" | grep '^[<>]' >"$TMPD/diff"

# --- verdicts -----------------------------------------------------------------------
ATT=0
declare -A SEEN HOLES
while read -r hid _; do
    [[ $hid =~ ^[A-Z][0-9][0-9]L?$ ]] && HOLES[$hid]=1
done <"$(dirname "$0")/open-holes"
OPEN=0
while read -r id verdict rest; do
    [[ $id =~ ^[A-Z][0-9][0-9]L?$ ]] || continue
    ATT=$((ATT + 1))
    SEEN[${id:0:3}]=1
    changed=$(grep -E "^[<>] ${id:0:3} " "$TMPD/diff" | sed 's/^[<>] //' | sort -u | tr '\n' ';')
    if [ "$verdict" = known ]; then
        KNOWN=$((KNOWN + 1))
        echo "KNOWN $id $rest${changed:+: changed: $changed}"
    elif [ "$verdict" = bad ] || [ -n "$changed" ]; then
        ESCAPES=$((ESCAPES + 1))
        if [ -n "${HOLES[$id]:-}" ]; then
            OPEN=$((OPEN + 1))
            echo "HOLE $id (open, listed in tests/escape/open-holes) $rest: ${changed:-the program reached it}"
        else
            T_FAILED=$((T_FAILED + 1))
            echo "ESCAPE $id $rest: ${changed:-the program reached it}"
        fi
    elif [ -n "${HOLES[$id]:-}" ]; then
        T_FAILED=$((T_FAILED + 1))
        echo "FAIL $id no longer escapes: remove it from tests/escape/open-holes ($rest)"
    else
        T_PASSED=$((T_PASSED + 1))
        echo "ok   $id $rest"
    fi
done <"$TMPD/lines"
# A change no attempt owns is a test error.
while read -r l; do
    id=$(cut -d' ' -f2 <<<"$l")
    [ -n "${SEEN[$id]:-}" ] && continue
    T_FAILED=$((T_FAILED + 1))
    echo "FAIL unattributed change outside VM a: $l"
done <"$TMPD/diff"
OUT="$ATT attempts"
ok "at least 60 attempts were made ($ATT)" test "$ATT" -ge 60
echo "$ATT attempts: $ESCAPES escaped ($OPEN of them open holes listed in open-holes), $KNOWN known (outside the threat model)"

# Clean the host's targets (services and keys) with the host's own tools.
"$WINE" reg delete 'HKLM\Software\EscHost' /f >/dev/null 2>&1
"$WINE" reg delete 'HKCU\Software\EscHost' /f >/dev/null 2>&1
"$WINE" reg delete 'HKLM\Software\Classes\EscR07' /f >/dev/null 2>&1
"$WINE" reg delete 'HKLM\System\ControlSet001\Control\EscR10' /f >/dev/null 2>&1
for s in EscS01 EscS02 EscS03 EscS04 EscS05 EscS06 EscS07 EscS09 EscS10 EscS11 EscS12 EscQ18; do
    "$WINE" sc delete "$s" >/dev/null 2>&1
done
rm -rf "$H"
finish
