#!/bin/bash
# Named kernel objects, pipes, mailslots and ports are per VM: VMs a and b
# and the host use the same names at once and each reaches its own.
source "$(dirname "$0")/lib.sh"
use_root obj
source "$(dirname "$0")/probe.sh"
probe_setup t_obj.exe
KINDS=mutex,event,semaphore,section,timer,job,dir,iocp,mailslot   # iocp: NtCreateIoCompletion
n_kinds=$(tr ',' '\n' <<<"$KINDS" | wc -l)

plume create a
ok "create VM a" test "$RC" = 0
plume create b
ok "create VM b" test "$RC" = 0

# --- kernel objects -------------------------------------------------------------
# The host first, then a, then b, create every kind under the same name; a
# also a name of its own and a Global\ one, the host one of its own.
bg host.log host create "$KINDS" ObjT,OnlyHost 120
ok "host: objects created" ready host.log
bg a.log a create "$KINDS" ObjT,OnlyA,Global\\GA 120
ok "a: objects created" ready a.log
bg b.log b create "$KINDS" ObjT 120
ok "b: objects created" ready b.log
log a.log
ok "a: each of the $n_kinds kinds is a new object though the host has that name" \
    test "$(count "$OUT" '^ObjT-.* created existed=0')" = "$n_kinds"
log b.log
ok "b: each is new too, though a and the host have that name" \
    test "$(count "$OUT" '^ObjT-.* created existed=0')" = "$n_kinds"
log a.log
ok "a: NtQueryObject gives the virtual name (kernel objects)" \
    has "$OUT" 'ObjT-mutex created existed=0 name=\\Sessions\\1\\BaseNamedObjects\\ObjT-mutex$'
ok "a: NtQueryObject gives the virtual name (Global\\)" \
    has "$OUT" 'GA-event created existed=0 name=\\BaseNamedObjects\\GA-event$'
ok "a: NtQueryObject gives the virtual name (mailslot)" \
    has "$OUT" 'ObjT-mailslot created existed=0 name=\\Device\\MailSlot\\ObjT-mailslot$'
ok "a: NtQueryObject gives the virtual name (I/O completion port, NtCreateIoCompletion)" \
    has "$OUT" 'ObjT-iocp created existed=0 name=\\Sessions\\1\\BaseNamedObjects\\ObjT-iocp$'
ok "a: no name shows the VM's prefix" lacks "$OUT" 'Plume\.'

run_in a open "$KINDS" ObjT,OnlyA
ok "a: opens its own objects, every kind" test "$(count "$OUT" ' found name=')" = $((2 * n_kinds))
run_in a open "$KINDS" OnlyHost
ok "a: the host's objects are not visible" test "$(count "$OUT" ' notfound')" = "$n_kinds"
run_in b open "$KINDS" OnlyA
ok "b: a's objects are not visible" test "$(count "$OUT" ' notfound')" = "$n_kinds"
run_in host open "$KINDS" OnlyA
ok "host: a's objects are not visible under their plain name" \
    test "$(count "$OUT" ' notfound')" = "$n_kinds"
run_in host open "$KINDS" OnlyHost
ok "host: its own objects are there (control)" test "$(count "$OUT" ' found name=')" = "$n_kinds"

# Every way of spelling a name reaches the VM's object.
run_in a open mutex Local\\OnlyA,Session\\1\\OnlyA,Global\\GA
ok "a: Local\\, Session\\1\\ and Global\\ names" test "$(count "$OUT" ' found name=')" = 3
run_in a open-nt mutex '\BaseNamedObjects\GA-mutex'
ok "a: absolute \\BaseNamedObjects\\ name" has "$OUT" 'found name=\\BaseNamedObjects\\GA-mutex'
run_in a open-nt event '\Sessions\1\BaseNamedObjects\OnlyA-event'
ok "a: absolute \\Sessions\\1\\BaseNamedObjects\\ name" has "$OUT" 'found name='
run_in a open-nt event '\??\GLOBALROOT\Sessions\1\BaseNamedObjects\OnlyHost-event'
ok "a: the host's object is not reached through GLOBALROOT" has "$OUT" 'notfound'
run_in b open-nt mutex '\BaseNamedObjects\GA-mutex'
ok "b: a's Global\\ object is not reached by its absolute name" has "$OUT" 'notfound'
run_in a open-nt mutex '\Sessions\1\BaseNamedObjects\OnlyHost-mutex'
ok "a: the host's object is not reached by its absolute name" has "$OUT" 'notfound'

# The host sees three objects: its own and the two VMs', renamed.
run_in host list ObjT-mutex
ok "host: three ObjT-mutex objects exist, two renamed" \
    test "$(count "$OUT" 'entry .*ObjT-mutex type=Mutant')" = 3
ok "host: a's is renamed with a's tag" has "$OUT" 'Plume\.[0-9a-f]*\.a\.ObjT-mutex'
ok "host: b's is renamed with b's tag" has "$OUT" 'Plume\.[0-9a-f]*\.b\.ObjT-mutex'
btag=$(grep -o 'Plume\.[0-9a-f]*\.b\.' <<<"$OUT" | head -1)
run_in host list ObjT-iocp
ok "host: three ObjT-iocp I/O completion ports (its own, a's and b's renamed)" \
    test "$(count "$OUT" 'entry .*ObjT-iocp type=IoCompletion$'),$(count "$OUT" 'entry .*\\Plume\.[0-9a-f]*\.[ab]\.ObjT-iocp type=IoCompletion$')" = 3,2
# A VM that spells another VM's prefix gets a name of its own.
run_in a open mutex "${btag}ObjT"
ok "a: b's object is not reached by spelling b's prefix ($btag)" has "$OUT" 'notfound'

# Listing a container (NtQueryDirectoryObject) shows a VM its own names,
# without the prefix, and the system's links; not the host's nor b's names,
# nor Plume's job objects (escape suite, O18L).
n_bno=$(tr ',' '\n' <<<"$KINDS" | grep -vc mailslot)   # mailslots are files
run_in a list '*'
S='\\Sessions\\1\\BaseNamedObjects\\'
ok "a: lists its ObjT objects under their plain names, once each" \
    test "$(count "$OUT" "^entry ${S}ObjT-")" = "$n_bno"
ok "a: lists its other objects" has "$OUT" "^entry ${S}OnlyA-mutex type=Mutant$"
ok "a: lists its Global\\ object in \\BaseNamedObjects" \
    has "$OUT" '^entry \\BaseNamedObjects\\GA-event type=Event$'
ok "a: lists the system's links" has "$OUT" "^entry ${S}Global type=SymbolicLink$"
ok "a: no host object listed" lacks "$OUT" 'OnlyHost'
ok "a: no prefixed name listed (b's, a's own, Plume's jobs)" lacks "$OUT" 'Plume'
single=$(grep '^entry' <<<"$OUT" | sort)
run_in a list-multi '*' 200
ok "a: many entries a call, in a small buffer: the same listing" \
    test "$(grep '^entry' <<<"$OUT" | sort)" = "$single"
ok "a: ... over several calls (STATUS_MORE_ENTRIES), then the end" \
    has "$OUT" 'calls=[2-9][0-9]* end=0x00000000$'
ok "a: a buffer too small for one entry: STATUS_BUFFER_TOO_SMALL and the size" \
    has "$OUT" 'small=0xc0000023 need=[1-9][0-9]* ctx=0$'
run_in b list ObjT-
ok "b: lists its own ObjT objects only" test "$(count "$OUT" "^entry ${S}ObjT-")" = "$n_bno"
run_in host list ObjT-mutex
ok "host: still lists every name (control)" test "$(count "$OUT" 'entry .*ObjT-mutex')" = 3

# --- object symbolic links ----------------------------------------------------
# A link a creates in its namespace (NtCreateSymbolicLinkObject) to its own
# event resolves in a, to a's object (a's event is signaled, the host's of
# the same name is not); neither the host nor b has the link.
L='\Sessions\1\BaseNamedObjects\ObjLink'
bg hostev.log host create event LinkT 120
ok "host: its LinkT-event (not signaled) created" ready hostev.log
bg alink.log a mklink ObjLink LinkT-event 120
ok "a: the link ObjLink -> LinkT-event created" ready alink.log
log alink.log
ok "a: NtCreateSymbolicLinkObject succeeds, NtQueryObject gives the link's virtual name" \
    has "$OUT" '^link status=0x00000000 name=\\Sessions\\1\\BaseNamedObjects\\ObjLink$'
ok "a: the creating process opens a's event through the link" \
    has "$OUT" '^via link found signaled=1 name=\\Sessions\\1\\BaseNamedObjects\\LinkT-event$'
run_in a open-ev "$L"
ok "a: another process of a resolves the link to a's event (signaled), not the host's" \
    has "$OUT" '^found signaled=1 name=\\Sessions\\1\\BaseNamedObjects\\LinkT-event$'
run_in a open-nt symlink "$L"
ok "a: the link itself opens, under its virtual name" \
    has "$OUT" '^found name=\\Sessions\\1\\BaseNamedObjects\\ObjLink$'
run_in host open-nt symlink "$L"
ok "host: has no link of that name" has "$OUT" '^notfound'
run_in host open-ev "$L"
ok "host: nothing resolves through that name" has "$OUT" '^notfound'
run_in host open-ev '\Sessions\1\BaseNamedObjects\LinkT-event'
ok "host: its own LinkT-event is there, not signaled (control)" has "$OUT" '^found signaled=0 '
run_in b open-nt symlink "$L"
ok "b: has no link of that name" has "$OUT" '^notfound'
run_in b open-ev "$L"
ok "b: nothing resolves through that name" has "$OUT" '^notfound'

# --- named pipes -------------------------------------------------------------------
bg hostpipe.log host pipe-server PipeT,ntsvcs host 120
ok "host: pipe servers PipeT and ntsvcs up" ready hostpipe.log
run_in a pipe-client PipeT hello
ok "a: the host's pipe is not reached while a has none" has "$OUT" 'wait=0 .*notfound err=2'
run_in a wait-pipe PipeT
ok "a: WaitNamedPipe does not see the host's pipe" has "$OUT" 'wait=0 err=2'
# The SCM's pipes have no host fallback (docs/ns-obj.md, the rule table).
run_in a pipe-client ntsvcs hi
ok "a: the host's ntsvcs (the SCM's pipe) is not reached" has "$OUT" 'wait=0 .*notfound err=2'

bg apipe.log a pipe-server PipeT,ntsvcs a 120
ok "a: pipe servers PipeT and ntsvcs up" ready apipe.log
bg bpipe.log b pipe-server PipeT b 120
ok "b: pipe server PipeT up" ready bpipe.log
log apipe.log
ok "a: the server's NtQueryObject name is virtual" has "$OUT" 'serving name=\\Device\\NamedPipe\\PipeT$'
run_in a pipe-client PipeT hello
ok "a: the client reaches a's server (WaitNamedPipe, then connect)" has "$OUT" 'wait=1 reply=a:hello'
ok "a: the client's NtQueryObject name is virtual" has "$OUT" 'name=\\Device\\NamedPipe\\PipeT$'
run_in b pipe-client PipeT hello
ok "b: the client reaches b's server" has "$OUT" 'wait=1 reply=b:hello'
run_in host pipe-client PipeT hello
ok "host: the client reaches the host's server" has "$OUT" 'wait=1 reply=host:hello'
run_in a pipe-client ntsvcs hi
ok "a: once a runs its own ntsvcs, a's clients reach it" has "$OUT" 'wait=1 reply=a:hi'
run_in b pipe-client ntsvcs hi
ok "b: b does not reach a's or the host's ntsvcs" has "$OUT" 'wait=0 .*notfound err=2'
run_in a wait-pipe PipeT
ok "a: WaitNamedPipe sees a's pipe" has "$OUT" 'wait=1'

# --- ports ------------------------------------------------------------------------------
run_in host ports PortT
native=$(grep -o 'NtCreatePort=[^ ]* NtConnectPort=[^ ]* NtAlpcCreatePort=[^ ]*' <<<"$OUT")
ok "host: the port calls' hooks are absent natively (control)" has "$OUT" 'hooked=0000'
run_in a ports PortT
ok "a: NtCreatePort, NtConnectPort, NtSecureConnectPort, NtFsControlFile are hooked" \
    has "$OUT" 'hooked=1111'
ok "a: the port calls give the native statuses ($native)" has "$OUT" "$native"

# --- the end: every process of the test ends -----------------------------------------------
plume stop a
ok "stop a" test "$RC" = 0
plume stop b
ok "stop b" test "$RC" = 0
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=()
plume ps a
ok "no process left in a" lacks "$OUT" 't_obj'
finish
