# Shared setup for ./plume, scripts/demo and scripts/test. Source it.
#
# plume_setup: installs what is missing (apt-get), builds what is stale,
# creates the Wine prefix if it is missing. Quiet unless something fails.
PLUME_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLUME_BUILD=${PLUME_BUILD:-$PLUME_SRC/build}
PLUME_WINE=/usr/lib/wine/wine64
PLUME_WINESERVER=/usr/lib/wine/wineserver
export WINEDEBUG=${WINEDEBUG:--all}

plume_die() { echo "plume: $*" >&2; exit 1; }

# Packages, and a command that tells each one is there.
plume_ensure_deps() {
    local missing=()
    [ -x "$PLUME_WINE" ] || missing+=(wine64)
    command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
    command -v cmake >/dev/null || missing+=(cmake)
    command -v ninja >/dev/null || missing+=(ninja-build)
    command -v gcc >/dev/null || missing+=(gcc libc6-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || plume_die "missing packages: ${missing[*]} (run as root, or install them)"
        sudo=sudo
    fi
    echo "plume: installing ${missing[*]} ..." >&2
    local log=/tmp/plume-apt.$$.log
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        plume_die "apt-get could not install: ${missing[*]}"
    fi
    rm -f "$log"
}

# Configure once, then let ninja rebuild only what is stale.
plume_build() {
    local log="$PLUME_BUILD/build.log"
    mkdir -p "$PLUME_BUILD"
    if [ ! -f "$PLUME_BUILD/build.ninja" ]; then
        if ! cmake -S "$PLUME_SRC" -B "$PLUME_BUILD" -G Ninja \
                -DCMAKE_TOOLCHAIN_FILE="$PLUME_SRC/cmake/mingw-w64.cmake" \
                -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1; then
            cat "$log" >&2; plume_die "cmake configure failed (log: $log)"
        fi
    fi
    if ! cmake --build "$PLUME_BUILD" >"$log" 2>&1; then
        cat "$log" >&2; plume_die "build failed (log: $log)"
    fi
}

# The prefix: $WINEPREFIX when set, else <build>/wineprefix. Never ~/.wine.
plume_prefix() { echo "${WINEPREFIX:-$PLUME_BUILD/wineprefix}"; }

plume_ensure_prefix() {
    export WINEPREFIX
    WINEPREFIX=$(plume_prefix)
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        echo "plume: creating Wine prefix $WINEPREFIX ..." >&2
        mkdir -p "$WINEPREFIX"
        # No display here: keep Wine from trying one (and from asking for
        # Mono/Gecko, which are not needed).
        WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY= "$PLUME_WINE" wineboot --init \
            >"$PLUME_BUILD/wineboot.log" 2>&1 || {
            cat "$PLUME_BUILD/wineboot.log" >&2; plume_die "wineboot failed for $WINEPREFIX"; }
        "$PLUME_WINESERVER" -w
    fi
}

plume_setup() {
    plume_ensure_deps
    plume_build
    plume_ensure_prefix
}
