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
R='HKLM\Software\PlumeTestRen'
NR='\Registry\Machine\Software\PlumeTestRen'

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
L1='HKLM\Software\Wow6432Node\Classes'         # a host link (Wine 8) ...
L2='HKLM\Software\Classes\Wow6432Node'         # ... to this key
NL1='\Registry\Machine\Software\Wow6432Node\Classes'
NL2='\REGISTRY\MACHINE\SOFTWARE\CLASSES\WOW6432NODE'
C1='HKLM\SYSTEM\CurrentControlSet\Services'    # a link on Windows only
C2='HKLM\SYSTEM\ControlSet001\Services'
NC='\Registry\Machine\System\CurrentControlSet'
DEF='HKU\.DEFAULT\Software\PlumeTest'            # HKU's .DEFAULT user
KV='HKLM\Software\PlumeTestV'                     # values and flush
NV='\Registry\Machine\Software\PlumeTestV'
host deltree "$K" + deltree "$U" + deltree "$R" + deltree "$L2\PlumeLinkTest" + deltree "$L2\PlumeLinkRev" \
     + deltree "$DEF" + deltree "$KV"
host set "$K\\Host" hv hostvalue + set "$K\\Host\\Sub" sv subvalue + set "$K\\Gone" gv gonevalue \
     + set "$K\\Gone\\Child" cv childvalue + set "$U\\HostU" uv hostuser \
     + set "$R\\RenHost" rv renhost + set "$R\\RenHost\\Child" cv renchild \
     + set "$R\\RenHost\\Child\\Deep" dv rendeep \
     + set "$KV\\Vals" h1 one + set "$KV\\Vals" h2 two + set "$KV\\Vals" h3 three \
     + set "$KV\\Flush" fv flushhost
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

# Values: the private key holds every host value from its copy-up on, so
# RegEnumValue lists host + VM values, minus deleted ones, once each.
vm a set "$KV\\Vals" v1 vmone + set "$KV\\Vals" h2 changed2 + delval "$KV\\Vals" h3
ok "a: a value added, a host value changed, one deleted: exit 0" test "$RC" = 0
vm a values "$KV\\Vals"
ok "a: RegEnumValue lists h1, h2, v1" test "$(count "$OUT" '^valname \(h1\|h2\|v1\)$')" = 3
ok "a: the deleted value is not listed" lacks "$OUT" '^valname h3$'
ok "a: no value listed twice, count and RegQueryInfoKey agree (3)" \
    test "$(grep '^valname' <<<"$OUT" | sort | uniq -d | wc -l),$(grep '^values=' <<<"$OUT")" = "0,values=3 info=3"
host values "$KV\\Vals"
ok "host: lists h1, h2, h3 and not a's v1" \
    test "$(count "$OUT" '^valname \(h1\|h2\|h3\)$'),$(count "$OUT" '^valname v1$')" = 3,0
# NtQueryMultipleValueKey on the copied-up key: host and VM values together;
# a missing (deleted) name fails the call, as natively. Wine 8's is a stub
# (success, nothing filled in): then the VM must get just what the host gets.
host ntmulti "$NV\\Vals" h2 h3 + ntmulti "$NV\\Vals" h1 v1
hmulti=$OUT
vm a ntmulti "$NV\\Vals" h1 v1 + ntmulti "$NV\\Vals" h2 v1 + ntmulti "$NV\\Vals" h1 h3
if has "$hmulti" '<nodata>'; then
    ok "host: NtQueryMultipleValueKey is Wine 8's stub: success, no data (control)" \
        test "$hmulti" = $'multi status=0x0 h2=<nodata> h3=<nodata>\nmulti status=0x0 h1=<nodata> v1=<nodata>'
    ok "a: NtQueryMultipleValueKey on the copied-up key: what the host's stub gives" \
        test "$OUT" = $'multi status=0x0 h1=<nodata> v1=<nodata>\nmulti status=0x0 h2=<nodata> v1=<nodata>\nmulti status=0x0 h1=<nodata> h3=<nodata>'
else
    ok "host: NtQueryMultipleValueKey reads the host's values, not a's" \
        test "$hmulti" = $'multi status=0x0 h2=two h3=three\nmulti status=0xc0000034'
    ok "a: NtQueryMultipleValueKey: a host value and a VM value" \
        test "$(sed -n 1p <<<"$OUT")" = 'multi status=0x0 h1=one v1=vmone'
    ok "a: NtQueryMultipleValueKey: the VM's change of a host value" \
        test "$(sed -n 2p <<<"$OUT")" = 'multi status=0x0 h2=changed2 v1=vmone'
    ok "a: NtQueryMultipleValueKey with a deleted value: STATUS_OBJECT_NAME_NOT_FOUND" \
        test "$(sed -n 3p <<<"$OUT")" = 'multi status=0xc0000034'
fi

# HKU: the current user's key under HKU\<SID> is HKCU's; .DEFAULT's too is
# virtual. Written in a, read back through HKCU and \Registry\User\...
host sid
SID=$(sed -n 's/^sid //p' <<<"$OUT")
ok "host: the current user's SID ($SID)" has "$SID" '^S-1-'
vm a set "HKU\\$SID\\Software\\PlumeTest\\HkuKey" hu hkuvalue + set "$DEF\\DefKey" du defvalue
ok "a writes under HKU\\<SID> and HKU\\.DEFAULT: exit 0" test "$RC" = 0
vm a get "HKCU\\Software\\PlumeTest\\HkuKey" hu + ntget "\\Registry\\User\\$SID\\Software\\PlumeTest\\HkuKey" hu \
     + get "$DEF\\DefKey" du + ntget '\Registry\User\.DEFAULT\Software\PlumeTest\DefKey' du
ok "a: the HKU\\<SID> write read back through HKCU and \\Registry\\User\\<SID>" \
    test "$(sed -n 1,2p <<<"$OUT")" = $'value hu=hkuvalue\nvalue hu=hkuvalue'
ok "a: the HKU\\.DEFAULT write read back (advapi32, \\Registry\\User\\.DEFAULT)" \
    test "$(sed -n 3,4p <<<"$OUT")" = $'value du=defvalue\nvalue du=defvalue'
host get "HKCU\\Software\\PlumeTest\\HkuKey" hu + ntget "\\Registry\\User\\$SID\\Software\\PlumeTest\\HkuKey" hu \
     + exists "$DEF" + ntget '\Registry\User\.DEFAULT\Software\PlumeTest\DefKey' du
ok "host: neither HKU key is there" test "$(count "$OUT" '^missing \(hu\|du\) \|^absent ')" = 4
vm b get "HKCU\\Software\\PlumeTest\\HkuKey" hu + get "$DEF\\DefKey" du
ok "b: neither HKU key is there" test "$(count "$OUT" '^missing \(hu\|du\) ')" = 2

# NtFlushKey: on the VM's key and on an untouched host key, success; the
# host key is not copied up (a later host change is seen in a).
vm a ntflush "$N\\VmKey" + ntflush "$NV\\Flush" + ntflush "$N\\Gone"
ok "a: NtFlushKey of its own key succeeds" test "$(sed -n 1p <<<"$OUT")" = 'flush status=0x0'
ok "a: NtFlushKey of an untouched host key succeeds" test "$(sed -n 2p <<<"$OUT")" = 'flush status=0x0'
ok "a: a key a deleted cannot be opened to flush it" test "$(sed -n 3p <<<"$OUT")" = 'flush open=0xc0000034'
host get "$KV\\Flush" fv + set "$KV\\Flush" fv hostlater
ok "host: the flushed key is unchanged" has "$OUT" '^value fv=flushhost$'
vm a get "$KV\\Flush" fv
ok "a: the flush made no private copy (the host's later change is seen)" has "$OUT" '^value fv=hostlater$'

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
     + exists "$K\\VmKey\\Ren" + ntrename "$K\\VmKey" Host
ok "a: NtRenameKey of its own key" has "$OUT" "value rv=renvalue"
ok "a: the old name is gone" has "$OUT" "absent .*VmKey.Ren ("
ok "a: renaming to a name the VM sees is refused" has "$OUT" "rename status=0xc0000022"
# A host key tree renamed in a: copied under the new name in a, the old
# name deleted in a; the host and b unchanged. A change a made inside it
# before (a copied-up subkey) moves with it.
vm a set "$R\\RenHost\\Child" cv changed + ntrename "$R\\RenHost" RenMoved \
     + get "$R\\RenMoved" rv + get "$R\\RenMoved\\Child" cv + get "$R\\RenMoved\\Child\\Deep" dv \
     + exists "$R\\RenHost" + exists "$R\\RenHost\\Child" + keys "$R\\RenMoved" + keys "$R"
ok "a: NtRenameKey of a host key tree succeeds" has "$OUT" "^rename status=0x0$"
ok "a: the renamed handle gives the new name (NtQueryKey, NtQueryObject)" \
    grep -qi '^renamed keyname=\\REGISTRY\\MACHINE\\Software\\PlumeTestRen\\RenMoved objname=\\REGISTRY\\MACHINE\\Software\\PlumeTestRen\\RenMoved$' <<<"$OUT"
ok "a: the new name has the key's values, its subkeys', a changed value" \
    test "$(count "$OUT" '^value rv=renhost$\|^value cv=changed$\|^value dv=rendeep$')" = 3
ok "a: the old name and its subkeys are gone" test "$(count "$OUT" '^absent .*RenHost')" = 2
ok "a: the listings agree (RenMoved has Child; RenHost not listed)" \
    test "$(count "$OUT" '^subkey Child$\|^subkey RenMoved$'),$(count "$OUT" '^subkey RenHost$')" = 2,0
vm a ntget "$NR\\RenMoved\\Child" cv + ntrename "$R\\RenMoved\\Child" Other + exists "$R\\RenMoved\\Other" \
     + exists "$R\\RenMoved\\Child"
ok "a: the renamed tree reads through Nt* and renames again" \
    test "$(count "$OUT" '^value cv=changed$\|^rename status=0x0$\|^exists .*RenMoved.Other$\|^absent .*RenMoved.Child (')" = 4
host get "$R\\RenHost" rv + get "$R\\RenHost\\Child" cv + exists "$R\\RenMoved"
ok "host: the key tree is unchanged, the new name absent" \
    test "$(count "$OUT" '^value rv=renhost$\|^value cv=renchild$\|^absent .*RenMoved')" = 3
vm b get "$R\\RenHost" rv + exists "$R\\RenMoved"
ok "b: the key tree is unchanged, the new name absent" \
    test "$(count "$OUT" '^value rv=renhost$\|^absent .*RenMoved')" = 2

# Registry links: the host's links are followed in a VM, so that every
# spelling of a key is one virtual key there too. Wine 8 (a default prefix)
# has HKLM\Software\Wow6432Node\Classes -> HKLM\Software\Classes\Wow6432Node;
# HKLM\SYSTEM\CurrentControlSet is a link on Windows (to ControlSet001) but
# a plain key under Wine 8: the VM must agree with its host either way.
host linkinfo "$NL1" + linkinfo '\Registry\Machine\System\CurrentControlSet'
ok "host: Wow6432Node\\Classes is a link to Classes\\Wow6432Node (control)" \
    grep -qi '^link .*Wow6432Node.Classes -> \\Registry\\Machine\\Software\\Classes\\Wow6432Node$' <<<"$OUT"
ccs_link=$(grep -ci '^link .*CurrentControlSet -> \\Registry\\Machine\\System\\ControlSet001$' <<<"$OUT")
vm a set "$L1\\PlumeLinkTest" v linkvalue
ok "a writes through the link: exit 0" test "$RC" = 0
vm a get "$L2\\PlumeLinkTest" v + ntget "$NL2\\PlumeLinkTest" v + get "$L1\\PlumeLinkTest" v \
     + ntget "$NL1\\PlumeLinkTest" v + keys "$L1" + keys "$L2" + ntkeys "$NL1" + ntkeys "$NL2"
ok "a: read back through the target (advapi32)" has "$(sed -n 1p <<<"$OUT")" "^value v=linkvalue$"
ok "a: read back through the target (\\Registry\\Machine..., Nt*)" \
    has "$(sed -n 2p <<<"$OUT")" "^value v=linkvalue$"
ok "a: read back through the link (advapi32, Nt*)" \
    test "$(sed -n 3,4p <<<"$OUT" | grep -c '^value v=linkvalue$')" = 2
ok "a: listed once under each name (RegEnumKeyEx x2, NtEnumerateKey x2)" \
    test "$(count "$OUT" '^subkey PlumeLinkTest$'),$(count "$OUT" '^ntsubkey PlumeLinkTest$')" = 2,2
n1=$(grep '^subkeys=' <<<"$OUT" | sed -n 1p) n2=$(grep '^subkeys=' <<<"$OUT" | sed -n 2p)
ok "a: both names list as many subkeys as RegQueryInfoKey counts ($n1)" \
    test -n "$n1" -a "$n1" = "$n2" -a "$(sed 's/subkeys=\([0-9]*\) info=\1$/same/' <<<"$n1")" = same
host get "$L1\\PlumeLinkTest" v + get "$L2\\PlumeLinkTest" v + keys "$L2"
ok "host: has it under neither name" test "$(count "$OUT" '^missing v')" = 2
ok "host: does not list it" lacks "$OUT" '^subkey PlumeLinkTest$'
vm b get "$L1\\PlumeLinkTest" v + get "$L2\\PlumeLinkTest" v
ok "b: has it under neither name" test "$(count "$OUT" '^missing v')" = 2
vm a set "$L2\\PlumeLinkRev" w revvalue + get "$L1\\PlumeLinkRev" w + ntget "$NL1\\PlumeLinkRev" w
ok "a: written through the target, read through the link (advapi32, Nt*)" \
    test "$(count "$OUT" '^value w=revvalue$')" = 2
vm a delkey "$L2\\PlumeLinkTest" + exists "$L1\\PlumeLinkTest" + exists "$L2\\PlumeLinkTest" \
     + delkey "$L1\\PlumeLinkRev" + exists "$L2\\PlumeLinkRev" + keys "$L1"
ok "a: deleted through the target: gone under both names" \
    test "$(count "$OUT" '^absent .*PlumeLinkTest (')" = 2
ok "a: deleted through the link: gone under the target" \
    has "$OUT" '^absent .*Classes.Wow6432Node.PlumeLinkRev ('
ok "a: the listing no longer has them" lacks "$OUT" '^subkey PlumeLink'
host exists "$L2\\PlumeLinkTest" + exists "$L2\\PlumeLinkRev"
ok "host: still has neither" test "$(count "$OUT" '^absent')" = 2
vm a linkinfo "$NL1" + linkwrite "$NL1" \
     + ntlink '\Registry\Machine\Software\PlumeTest\VmLink' '\Registry\Machine\Software\PlumeTest\Host' \
     + get "$K\\Host" PlumeThroughLink + exists "$K\\VmLink"
ok "a: the link itself reads as the host's (OBJ_OPENLINK)" \
    grep -qi '^link .* -> \\Registry\\Machine\\Software\\Classes\\Wow6432Node$' <<<"$OUT"
ok "a: the link itself cannot be opened for writing" has "$OUT" '^linkwrite status=0xc0000022$'
ok "a: a VM cannot create a link (REG_OPTION_CREATE_LINK refused)" \
    has "$OUT" '^ntlink create=0xc0000022 '
ok "a: nothing was written through it, nor created" \
    test "$(count "$OUT" '^missing PlumeThroughLink\|^absent .*VmLink')" = 2
# CurrentControlSet and ControlSet001: one key in the VM exactly when the host links them.
vm a set "$C1\\PlumeLinkTest" v ccsvalue + get "$C2\\PlumeLinkTest" v + linkinfo "$NC"
if [ "$ccs_link" = 1 ]; then
    ok "a: CurrentControlSet write seen under ControlSet001 (a link on this host)" \
        has "$OUT" '^value v=ccsvalue$'
else
    ok "a: CurrentControlSet is a plain key as on this host: not seen under ControlSet001" \
        test "$(count "$OUT" '^missing v\|^nolink')" = 2
fi
vm a deltree "$C1\\PlumeLinkTest"

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
host deltree "$K" + deltree "$U" + deltree "$R" + deltree "$DEF" + deltree "$KV"
finish
