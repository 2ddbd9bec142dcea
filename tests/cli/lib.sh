# Shared helpers of the CLI tests (bash, run by ctest under the build's
# Wine prefix: WINEPREFIX, PLUME_BIN and PLUME_SRC are set by tests.cmake).
: "${WINEPREFIX:?WINEPREFIX is not set (run through ctest)}"
: "${PLUME_BIN:?PLUME_BIN is not set (run through ctest)}"
export WINEDEBUG=-all
WINE=/usr/lib/wine/wine64
[ -x "$WINE" ] || { echo "missing: $WINE (package wine64)"; exit 1; }
[ -f "$PLUME_BIN/plume.exe" ] || { echo "missing: $PLUME_BIN/plume.exe (build first)"; exit 1; }

T_PASSED=0
T_FAILED=0

# A private store for this test: $1 names it. Sets PLUME_ROOT (Windows
# path) and ROOT_UNIX (the same folder seen from Linux), and empties it.
use_root() {
    export PLUME_ROOT="C:\\plume-tests\\$1"
    ROOT_UNIX="$WINEPREFIX/drive_c/plume-tests/$1"
    rm -rf "$ROOT_UNIX"
}

# Runs plume.exe; output in $OUT (stdout) and $ERR (stderr), status in $RC.
plume() {
    local o e
    o=$(mktemp) e=$(mktemp)
    "$WINE" "$PLUME_BIN/plume.exe" "$@" >"$o" 2>"$e" </dev/null
    RC=$?
    OUT=$(cat "$o") ERR=$(cat "$e")
    rm -f "$o" "$e"
}

ok() {   # ok DESCRIPTION CONDITION-COMMAND...
    local what=$1
    shift
    if "$@"; then
        T_PASSED=$((T_PASSED + 1))
        echo "ok   $what"
    else
        T_FAILED=$((T_FAILED + 1))
        echo "FAIL $what"
        echo "     rc=$RC"
        [ -n "$OUT" ] && echo "     stdout: ${OUT//$'\n'/$'\n'             }"
        [ -n "$ERR" ] && echo "     stderr: ${ERR//$'\n'/$'\n'             }"
    fi
}

has() { grep -q -- "$2" <<<"$1"; }        # has TEXT PATTERN
lacks() { ! grep -q -- "$2" <<<"$1"; }
count() { grep -c -- "$2" <<<"$1"; }

finish() {
    echo "$T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ]
    exit
}
