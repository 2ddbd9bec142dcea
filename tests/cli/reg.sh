#!/bin/bash
# Registry copy-on-write (src/layer/reg.c): a VM reads the host's registry
# until it writes; its writes stay in the VM; plume delete removes them.
# The host's view is read by the same probe run natively, outside any VM.
source "$(dirname "$0")/lib.sh"
use_root reg
B=$(echo "$PLUME_BIN" | sed 's|^|Z:|; s|/|\\|g')   # the bin folder, Windows style
T="$B\\t_reg.exe"
K='HKLM\Software\PlumeTest'
U='HKCU\Software\PlumeTest'
N='\Registry\Machine\Software\PlumeTest'

host() {   # the probe outside any VM: the host's registry
    local o e
    o=$(mktemp) e=$(mktemp)
    "$WINE" "$PLUME_BIN/t_reg.exe" "$@" >"$o" 2>"$e" </dev/null
    RC=$?
    OUT=$(tr -d '\r' <"$o") ERR=$(cat "$e")
    rm -f "$o" "$e"
}
vm() {     # vm NAME ARGS...: the probe inside VM NAME
    local name=$1
    shift
    plume run "$name" -- "$T" "$@"
    OUT=$(tr -d '\r' <<<"$OUT")
}

# Host fixtures (and what an earlier run may have left).
host deltree "$K" + deltree "$U"
host set "$K\\Host" hv hostvalue + set "$K\\Host\\Sub" sv subvalue + set "$K\\Gone" gv gonevalue \
     + set "$K\\Gone\\Child" cv childvalue + set "$U\\HostU" uv hostuser
ok "host fixtures written" test "$RC" = 0

# A VM's private registry state outlives its folder only until plume delete:
# create and delete once, so that what an interrupted run left is gone.
for v in a b; do plume create $v; plume delete $v; done
plume create a
ok "create VM a" test "$RC" = 0
plume create b
ok "create VM b" test "$RC" = 0

# Before any write, the VM reads the host's keys.
vm a get "$K\\Host" hv + get "$U\\HostU" uv + ntget "$N\\Host\\Sub" sv
ok "a reads host values before writing (HKLM, HKCU, Nt*)" \
    test "$(count "$OUT" 'value hv=hostvalue\|value uv=hostuser\|value sv=subvalue')" = 3

# A tree written in a, through advapi32 and through Nt* calls.
vm a set "$K\\VmKey\\Deep" dv deepvalue + set "$U\\VmU" vu vmuser \
     + ntset "$N\\NtKey" nv ntvalue + set "$K\\Host" hv changed + set 'HKCR\PlumeTestClass' cv classvalue
ok "a writes a tree: exit 0" test "$RC" = 0

# Read back in a (a new process).
vm a get "$K\\VmKey\\Deep" dv + get "$U\\VmU" vu + ntget "$N\\NtKey" nv + get "$K\\Host" hv \
     + get "$K\\Host\\Sub" sv + get 'HKLM\Software\Classes\PlumeTestClass' cv
ok "a reads its new key (advapi32)" has "$OUT" "value dv=deepvalue"
ok "a reads its new HKCU key" has "$OUT" "value vu=vmuser"
ok "a reads its key written through NtCreateKey/NtSetValueKey" has "$OUT" "value nv=ntvalue"
ok "a reads its modified host value" has "$OUT" "value hv=changed"
ok "a still reads the host subkey of a copied-up key" has "$OUT" "value sv=subvalue"
ok "HKCR write seen under HKLM\\Software\\Classes in a" has "$OUT" "value cv=classvalue"

# None of it is on the host, and the host's value is unchanged.
host get "$K\\VmKey\\Deep" dv + get "$U\\VmU" vu + ntget "$N\\NtKey" nv + get "$K\\Host" hv \
     + exists "$K\\VmKey" + get 'HKCR\PlumeTestClass' cv
ok "host: a's new key absent" has "$OUT" "missing dv"
ok "host: a's HKCU key absent" has "$OUT" "missing vu"
ok "host: a's Nt key absent" has "$OUT" "missing nv"
ok "host: a's HKCR key absent" has "$OUT" "missing cv"
ok "host: the modified value is unchanged" has "$OUT" "value hv=hostvalue"
ok "host: the key tree is absent" has "$OUT" "absent .*VmKey"

# Nor in VM b.
vm b get "$K\\VmKey\\Deep" dv + get "$K\\Host" hv + exists "$U\\VmU"
ok "b: a's key absent" has "$OUT" "missing dv"
ok "b: sees the host's value" has "$OUT" "value hv=hostvalue"
ok "b: a's HKCU key absent" has "$OUT" "absent .*VmU"

# Deleting a host key and a host value in a.
vm a deltree "$K\\Gone" + delval "$K\\Host" hv
ok "a deletes a host key tree and a value: exit 0" test "$RC" = 0
vm a exists "$K\\Gone" + exists "$K\\Gone\\Child" + get "$K\\Host" hv
ok "a: the deleted key is gone" has "$OUT" "absent .*Gone ("
ok "a: its subkey is gone" has "$OUT" "absent .*Gone.Child"
ok "a: the deleted value is gone" has "$OUT" "missing hv"
host exists "$K\\Gone\\Child" + get "$K\\Host" hv
ok "host: the key is still there" has "$OUT" "exists .*Gone.Child"
ok "host: the value is still there" has "$OUT" "value hv=hostvalue"

# Merged enumeration: private + host, no duplicates, minus deleted.
vm a keys "$K" + ntkeys "$N" + keys 'HKLM\Software'
ok "a: enumeration lists Host, NtKey, VmKey" \
    test "$(grep -c '^subkey \(Host\|NtKey\|VmKey\)$' <<<"$OUT")" = 3
ok "a: enumeration count and RegQueryInfoKey agree (3)" has "$OUT" "^subkeys=3 info=3"
ok "a: the deleted key is not listed" lacks "$OUT" "^subkey Gone"
ok "a: NtEnumerateKey lists the same 3" has "$OUT" "^ntsubkeys=3"
ok "a: Plume's own tree is hidden under HKLM\\Software" lacks "$OUT" "^subkey Plume$"
vm a exists 'HKLM\Software\Plume' + exists 'HKLM\Software\Plume\VMs'
ok "a: Plume's own tree cannot be opened" test "$(count "$OUT" '^absent')" = 2
host keys "$K" + keys 'HKLM\Software'
ok "host: lists Gone and Host only" has "$OUT" "^subkeys=2 info=2"
ok "host: Plume's tree exists (control)" has "$OUT" "^subkey Plume$"

# The virtual name.
vm a name "$K\\VmKey"
ok "a: NtQueryKey(KeyNameInformation) gives the virtual name" \
    grep -qi '^keyname=\\REGISTRY\\MACHINE\\Software\\PlumeTest\\VmKey$' <<<"$OUT"
ok "a: NtQueryObject gives the virtual name" \
    grep -qi '^objname=\\REGISTRY\\MACHINE\\Software\\PlumeTest\\VmKey$' <<<"$OUT"

# Change notification on the VM's key; hive calls refused; rename.
vm a notify "$K\\VmKey" nn "$RANDOM"
ok "a: a change of its key is notified" has "$OUT" "notified=1"
vm a hive "$U" -
ok "a: NtSaveKey, NtLoadKey and RegLoadKey are refused (access denied)" \
    has "$OUT" "ntsave=0xc0000022 ntload=0xc0000022 load=5"
vm a set "$K\\VmKey\\Ren" rv renvalue + ntrename "$K\\VmKey\\Ren" Renamed + get "$K\\VmKey\\Renamed" rv \
     + exists "$K\\VmKey\\Ren" + ntrename "$K\\Host" Other
ok "a: NtRenameKey of its own key" has "$OUT" "value rv=renvalue"
ok "a: the old name is gone" has "$OUT" "absent .*VmKey.Ren ("
ok "a: renaming a host key is refused" has "$OUT" "rename status=0xc0000022"

# Open + query of an untouched key: VM against native (figures, not a test).
host bench 3000 'HKLM\Software\Microsoft\Windows NT\CurrentVersion' ProductName
nat=$(sed -n 's/^bench ns=//p' <<<"$OUT")
vm a bench 3000 'HKLM\Software\Microsoft\Windows NT\CurrentVersion' ProductName
vmt=$(sed -n 's/^bench ns=//p' <<<"$OUT")
echo "bench: open+query+close of an untouched key: native ${nat} ns, VM ${vmt} ns"
ok "bench ran" test -n "$nat" -a -n "$vmt"

# plume delete removes a's private registry state: the key named by a's
# tag (src/core/jobname.c: FNV-1a of the lower-cased store root, UTF-16).
# Other tests' VMs named a have other tags.
tag=$(python3 -c '
import sys
h = 2166136261
for ch in sys.argv[1].rstrip("\\/").lower().replace("/", "\\"):
    c = ord(ch)
    for b in (c & 0xff, c >> 8):
        h = ((h ^ b) * 16777619) & 0xffffffff
print("%08x.a" % h)' "$PLUME_ROOT")
host keys 'HKLM\Software\Plume\VMs'
ok "host: a has private state ($tag) before delete (control)" grep -q "^subkey $tag\$" <<<"$(tr -d '\r' <<<"$OUT")"
plume delete a
ok "delete a" test "$RC" = 0
host keys 'HKLM\Software\Plume\VMs'
ok "host: a's private registry state ($tag) is gone" lacks "$(tr -d '\r' <<<"$OUT")" "^subkey $tag\$"
plume create a
vm a get "$K\\VmKey\\Deep" dv
ok "a re-created: starts from the host again" has "$OUT" "missing dv"

plume delete a
plume delete b
host deltree "$K" + deltree "$U"
finish
