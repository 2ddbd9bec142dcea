# Helpers of the CLI tests that drive one probe program on the host and in
# VMs a and b at once (source after lib.sh): probe_setup NAME.exe sets T
# (its Windows path), LOGS (a folder for background outputs) and a cleanup
# on exit that stops VMs a and b and the background programs.
probe_setup() {
    PROBE=$1
    B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
    T="$B\\$PROBE"
    [ -f "$PLUME_BIN/$PROBE" ] || { echo "missing: $PLUME_BIN/$PROBE (build first)"; exit 1; }
    LOGS=$(mktemp -d)
    PIDS=()
    trap probe_cleanup EXIT
}
probe_cleanup() {
    plume stop a; plume stop b
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$LOGS"
}
# bg LOG WHERE ARGS...: the probe in the background (WHERE: host, or a VM name).
bg() {
    local log=$LOGS/$1 where=$2
    shift 2
    if [ "$where" = host ]; then
        "$WINE" "$PLUME_BIN/$PROBE" "$@" >"$log" 2>&1 </dev/null &
    else
        "$WINE" "$PLUME_BIN/plume.exe" run "$where" -- "$T" "$@" >"$log" 2>&1 </dev/null &
    fi
    PIDS+=($!)
}
# ready LOG: waits (at most 30 s) until the program said "ready".
ready() {
    for _ in $(seq 1 150); do
        grep -q '^ready' "$LOGS/$1" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "     (no ready in $1: $(cat "$LOGS/$1"))"
    return 1
}
# run_in WHERE ARGS...: the probe in the foreground (at most 60 s); output
# in $OUT (CRs removed), status in $RC.
run_in() {
    local where=$1 o
    shift
    o=$(mktemp)
    if [ "$where" = host ]; then
        timeout 60 "$WINE" "$PLUME_BIN/$PROBE" "$@" >"$o" 2>&1 </dev/null
    else
        timeout 60 "$WINE" "$PLUME_BIN/plume.exe" run "$where" -- "$T" "$@" >"$o" 2>&1 </dev/null
    fi
    RC=$?
    OUT=$(tr -d '\r' <"$o") ERR=
    rm -f "$o"
    [ "$RC" = 124 ] && OUT="$OUT (timed out)"
    return 0
}
# log NAME: the output of a background program so far, in $OUT.
log() { OUT=$(tr -d '\r' <"$LOGS/$1"); }
