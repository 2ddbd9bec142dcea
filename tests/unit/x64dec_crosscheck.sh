#!/usr/bin/env bash
# Cross-checks x64_decode's lengths against objdump on Wine's x86-64
# ntdll.dll and kernelbase.dll.
#
# Usage: tests/unit/x64dec_crosscheck.sh [path/to/x64dec_crosscheck]
# Without an argument the tool is built with gcc into a temporary folder.
# Exits nonzero on any mismatch, or when objdump or the DLLs are missing.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

fail() { echo "x64dec_crosscheck: $*" >&2; exit 1; }

objdump=x86_64-w64-mingw32-objdump
command -v "$objdump" >/dev/null ||
    fail "$objdump not found (install binutils-mingw-w64-x86-64)"

# Wine's PE DLLs: the path differs between Wine packagings.
dlldir=""
for d in /usr/lib/wine/x86_64-windows \
         /usr/lib/x86_64-linux-gnu/wine/x86_64-windows \
         /usr/lib64/wine/x86_64-windows; do
    if [ -f "$d/ntdll.dll" ] && [ -f "$d/kernelbase.dll" ]; then
        dlldir=$d
        break
    fi
done
[ -n "$dlldir" ] || fail "Wine's x86_64-windows ntdll.dll/kernelbase.dll not found (install wine64)"

tool=${1:-}
tmp=""
if [ -z "$tool" ]; then
    command -v gcc >/dev/null || fail "gcc not found to build the tool"
    tmp=$(mktemp -d) || fail "mktemp failed"
    trap 'rm -rf "$tmp"' EXIT
    tool=$tmp/x64dec_crosscheck
    gcc -std=c11 -O1 -I"$root/src/core" "$root/src/core/x64dec.c" \
        "$here/x64dec_crosscheck.c" -o "$tool" || fail "building the tool failed"
fi
[ -x "$tool" ] || fail "$tool is not executable"

status=0
for dll in ntdll.dll kernelbase.dll; do
    echo "== $dll"
    set -o pipefail
    "$objdump" -d --insn-width=16 "$dlldir/$dll" | "$tool" || status=1
    set +o pipefail
done
[ $status -eq 0 ] || echo "x64dec_crosscheck: FAILED (length mismatches above)" >&2
exit $status
