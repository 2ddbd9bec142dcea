#!/bin/bash
# Fault injection (issue 7, part 2, first bullet): a writer killed at random
# points, seeded and reproducible, during (a) file copy-up, (b) registry
# copy-up, (c) plume commit, (d) plume delete. After each kill: no torn
# file or key, no half-committed change, no lost acknowledged write, and a
# rerun completes the operation. See docs/fault.md.
#   FAULT_SEED=N    the seed (default 7001); printed first
#   FAULT_SCALE=N   kills per operation = N x the default (default 1)
source "$(dirname "$0")/../cli/lib.sh"
SEED=${FAULT_SEED:-7001}
SCALE=${FAULT_SCALE:-1}
echo "seed $SEED (reproduce: FAULT_SEED=$SEED bash tests/fault/kills.sh)"
RANDOM=$SEED
use_root fault
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')
H="$WINEPREFIX/drive_c/plume-fault"
D='C:\plume-fault'
FW="$B\\fault_w.exe"
rm -rf "$H"
mkdir -p "$H/c"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$H"' EXIT

K_PASS=0 K_FAIL=0
declare -A OPK=() OPF=()
# kill_result OP N DETAIL WHY: one line per kill; WHY empty = passed.
kill_result() {
    OPK[$1]=$(( ${OPK[$1]:-0} + 1 ))
    if [ -z "$4" ]; then
        K_PASS=$((K_PASS + 1)); echo "ok   kill $1#$2 $3"
    else
        K_FAIL=$((K_FAIL + 1)); OPF[$1]=$(( ${OPF[$1]:-0} + 1 ))
        echo "FAIL kill $1#$2 $3: $4"
    fi
}
run_vm() { local vm=$1; shift; "$WINE" "$PLUME_BIN/plume.exe" run "$vm" -- "$FW" "$@" 2>/dev/null </dev/null | tr -d '\r'; }
run_host() { "$WINE" "$PLUME_BIN/fault_w.exe" "$@" 2>/dev/null </dev/null | tr -d '\r'; }
# kill9 PID: kill -9 the wine launcher started in the background and the
# Windows process it forked (its children), by pid.
kill9() { local q; for q in $(ps -o pid= --ppid "$1") "$1"; do kill -9 "$q" 2>/dev/null; done; }

# --- (a) copy-up of a large host file, the writer TerminateProcess'd ----------
# Each kill appends a 16-byte record to its own hard link bK of one 32 MB
# host file (so every kill meets a fresh copy-up); a thread of the writer
# ends it after a seeded 1..40 ms (a 32 MB copy-up takes ~30 ms here).
HS=33554432
yes abcdefghijklmnopqrstuvwxyz | tr -d '\n' | head -c $HS >"$H/big0"
plume create a
[ "$RC" = 0 ] || { echo "cannot create VM a: $ERR"; exit 1; }
FILES="$ROOT_UNIX/vms/a/files/C/plume-fault"
ORIG="$ROOT_UNIX/vms/a/origin/C/plume-fault"
NA=$((60 * SCALE))
for ((s = 1; s <= NA; s += 10)); do
    declare -A DL=() ACK=() WHY=()
    for ((k = s; k < s + 10 && k <= NA; k++)); do
        ln -f "$H/big0" "$H/b$k"
        DL[$k]=$((RANDOM % 40 + 1))
        o=$(run_vm a kill ${DL[$k]} fappend "$D\\b$k" "$(printf 'k%05d-aaaaaaa' $k)")
        grep -q '^ack ' <<<"$o" && ACK[$k]=1 || ACK[$k]=0
        f="$FILES/b$k" why=
        if [ -e "$f" ]; then   # the store: absent, or the whole copy + records
            sz=$(stat -c %s "$f")
            { [ "$sz" -ge $HS ] && [ $(( (sz - HS) % 16 )) = 0 ]; } || why="torn private copy ($sz bytes)"
            [ -e "$ORIG/b$k" ] || why="${why:+$why; }private copy without origin record"
        fi
        WHY[$k]=$why
    done
    # One VM run checks the batch: the VM's view after the kill, the rerun,
    # the view after the rerun.
    args=()
    for ((k = s; k < s + 10 && k <= NA; k++)); do
        args+=(fcheck "$D\\b$k" $HS fappend "$D\\b$k" "$(printf 'r%05d-bbbbbbb' $k)" fcheck "$D\\b$k" $HS)
    done
    o=$(run_vm a "${args[@]}")
    for ((k = s; k < s + 10 && k <= NA; k++)); do
        why=${WHY[$k]}
        l=$(grep -F "\\b$k " <<<"$o")
        pre=$(sed -n 1p <<<"$l") post=$(sed -n 2p <<<"$l")
        has "$pre" " ok " || why="${why:+$why; }VM view torn or unreadable after the kill: $pre"
        if [ "${ACK[$k]}" = 1 ]; then
            has "$pre" "k$(printf %05d $k)-aaaaaaa" || why="${why:+$why; }acknowledged write lost"
        fi
        { has "$post" " ok " && has "$post" "r$(printf %05d $k)-bbbbbbb"; } ||
            why="${why:+$why; }rerun did not complete: $post"
        kill_result copyup $k "(delay ${DL[$k]} ms, ack ${ACK[$k]})" "$why"
        rm -f "$H/b$k" "$FILES/b$k" "$ORIG/b$k"
    done
done

# --- (b) registry copy-up of a host key with 2000 values -----------------------
# Each kill opens its own host key Rk for KEY_SET_VALUE (the copy-up copies
# all 2000 values) and sets one value; the writer ends itself after a seeded
# 1..200 ms (the copy-up of 2000 values takes ~180 ms here).
NV=2000 NB=$((50 * SCALE))
for ((s = 1; s <= NB; s += 10)); do
    plume delete r
    plume create r
    args=()
    for ((k = s; k < s + 10 && k <= NB; k++)); do args+=(rmake "Software\\PlumeFault\\R$k" $NV); done
    run_host "${args[@]}" >/dev/null
    declare -A DL=() ACK=()
    for ((k = s; k < s + 10 && k <= NB; k++)); do
        DL[$k]=$((RANDOM % 200 + 1))
        o=$(run_vm r kill ${DL[$k]} rset "Software\\PlumeFault\\R$k" "$(printf 'k%05d-aaaaaaa' $k)")
        grep -q '^ack ' <<<"$o" && ACK[$k]=1 || ACK[$k]=0
    done
    args=()
    for ((k = s; k < s + 10 && k <= NB; k++)); do
        args+=(rcheck "Software\\PlumeFault\\R$k" $NV rset "Software\\PlumeFault\\R$k" "$(printf 'r%05d-bbbbbbb' $k)"
               rcheck "Software\\PlumeFault\\R$k" $NV)
    done
    o=$(run_vm r "${args[@]}")
    i=0
    mapfile -t L < <(grep '^rcheck\|^ack\|error' <<<"$o")
    for ((k = s; k < s + 10 && k <= NB; k++)); do
        pre=${L[$i]} post=${L[$((i + 2))]} why=
        i=$((i + 3))
        has "$pre" "vals=$NV/$NV bad=0" || why="VM view torn after the kill (host values missing): $pre"
        if [ "${ACK[$k]}" = 1 ]; then
            has "$pre" "k$(printf %05d $k)-aaaaaaa" || why="${why:+$why; }acknowledged write lost"
        fi
        { has "$post" "vals=$NV/$NV bad=0" && has "$post" "r$(printf %05d $k)-bbbbbbb"; } ||
            why="${why:+$why; }rerun did not complete: $post"
        kill_result regcopy $k "(delay ${DL[$k]} ms, ack ${ACK[$k]})" "$why"
    done
done
"$WINE" reg delete 'HKLM\Software\PlumeFault' /f >/dev/null 2>&1

# --- (c) plume commit, killed -9 or PLUME_TEST_COMMIT_CRASH=N --------------------
# 20 host files of 256 KB and 20 host values; generation g of the VM rewrites
# them all; each generation's commit is killed 5 times, then rerun to the end.
NC=20 GENS=$((12 * SCALE))
mkref() { { printf 'gen %d\n' "$1"; head -c $((262144 - ${#1} - 5)) /dev/zero | tr '\0' "\\$(printf %03o $((65 + $1 % 26)))"; } >"$WORK/ref$1"; }
run_host gen "$D\\c" 0 $NC >/dev/null
mkref 0
plume create c
for ((g = 1; g <= GENS; g++)); do
    mkref $g
    o=$(run_vm c gen "$D\\c" $g $NC)
    has "$o" "gen $g done" || echo "warning: gen $g in the VM: $o"
    for ((j = 1; j <= 5; j++)); do
        n=$(( (g - 1) * 5 + j ))
        if (( RANDOM % 3 )); then
            how="PLUME_TEST_COMMIT_CRASH=$((RANDOM % 45 + 1))"
            PLUME_TEST_COMMIT_CRASH=${how#*=} "$WINE" "$PLUME_BIN/plume.exe" commit c >"$WORK/out" 2>&1 </dev/null
        else
            d=$((RANDOM % 400 + 20)); how="kill -9 after $d ms"
            "$WINE" "$PLUME_BIN/plume.exe" commit c >"$WORK/out" 2>&1 </dev/null &
            p=$!
            sleep "$(printf '0.%03d' $d)"
            kill9 $p
            wait $p 2>/dev/null
        fi
        why= nnew=0
        for ((f = 0; f < NC; f++)); do
            hf="$H/c/$(printf f%02d $f)"
            if cmp -s "$hf" "$WORK/ref$g"; then nnew=$((nnew + 1))
            elif ! cmp -s "$hf" "$WORK/ref$((g - 1))"; then why="${why:+$why; }host $(basename "$hf") neither old nor new (torn)"
            elif grep -q "modified file .*\\\\$(basename "$hf")\b" "$WORK/out"; then
                why="${why:+$why; }$(basename "$hf") reported committed but old on the host"
            fi
        done
        kill_result commit $n "(gen $g, $how, $nnew/$NC files new)" "$why"
    done
    plume commit c
    why=
    [ "$RC" = 0 ] || why="rerun exit $RC"
    for ((f = 0; f < NC; f++)); do
        cmp -s "$H/c/$(printf f%02d $f)" "$WORK/ref$g" || why="${why:+$why; }rerun left f$f not new"
    done
    o=$(run_host hostreg $g $NC)
    has "$o" "new=$NC " || why="${why:+$why; }host values after the rerun: $o"
    plume diff c
    lacks "$OUT" 'plume-fault' || why="${why:+$why; }changes left in the VM after the rerun"
    ls "$H/c" | grep -q plume-commit && why="${why:+$why; }.plume-commit left after the rerun"
    [ -z "$why" ] && echo "ok   commit gen $g: rerun completed" || { echo "FAIL commit gen $g rerun: $why"; K_FAIL=$((K_FAIL + 1)); OPF[commit]=$(( ${OPF[commit]:-0} + 1 )); }
done
"$WINE" reg delete 'HKLM\Software\PlumeFault' /f >/dev/null 2>&1

# --- (d) plume delete, killed -9 ----------------------------------------------------
# Each VM dK gets 1500 private files (hard links of a template, made from
# Linux) and a private registry key (a VM write), then `plume delete dK`
# is killed after a seeded 5..150 ms.
ND=$((40 * SCALE))
mkdir -p "$WORK/tpl/C/x"
(cd "$WORK/tpl/C/x" && for i in $(seq 0 14); do mkdir d$i; (cd d$i && touch $(seq -f 'f%g' 0 99)); done)
run_host rmake 'Software\PlumeFault\Small' 3 >/dev/null
for ((k = 1; k <= ND; k++)); do
    plume create d$k
    run_vm d$k rset 'Software\PlumeFault\Small' x >/dev/null
    mkdir -p "$ROOT_UNIX/vms/d$k/files"
    cp -al "$WORK/tpl/C" "$ROOT_UNIX/vms/d$k/files/"
    d=$((RANDOM % 146 + 5))
    "$WINE" "$PLUME_BIN/plume.exe" delete d$k >/dev/null 2>&1 </dev/null &
    p=$!
    sleep "$(printf '0.%03d' $d)"
    kill9 $p
    wait $p 2>/dev/null
    why=
    plume list
    if grep -qw "d$k" <<<"$OUT"; then
        state=listed
        c=$(find "$ROOT_UNIX/vms/d$k/files/C/x" -type f 2>/dev/null | wc -l)
        [ "$c" = 1500 ] || why="VM still listed but half deleted ($c of 1500 files)"
    else
        state=gone
    fi
    plume delete d$k
    if [ $state = listed ]; then
        [ "$RC" = 0 ] || why="${why:+$why; }rerun of delete failed (rc $RC): $ERR"
    fi
    plume list
    grep -qw "d$k" <<<"$OUT" && why="${why:+$why; }still listed after the rerun"
    [ -e "$ROOT_UNIX/vms/d$k" ] && why="${why:+$why; }folder left after the rerun"
    r=$("$WINE" reg query 'HKLM\Software\Plume\VMs' 2>/dev/null | tr -d '\r' | grep -i "\.d$k\$")
    [ -n "$r" ] && why="${why:+$why; }private registry tree left after the rerun ($state after the kill)"
    kill_result delete $k "(kill -9 after $d ms, VM $state after the kill)" "$why"
done
plume list   # a list lets the store clean up what killed deletes left

for op in copyup regcopy commit delete; do
    echo "summary $op: ${OPK[$op]:-0} kills, ${OPF[$op]:-0} failed"
done
echo "seed $SEED"
echo "$K_PASS passed, $K_FAIL failed"
[ "$K_FAIL" = 0 ]
