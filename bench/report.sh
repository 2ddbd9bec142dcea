# Writes the benchmark report from the results of bench/run: sourced by
# bench/run (which sets WORK, RES, OUTDIR, the machine's variables, get and
# ratio). Output: $OUTDIR/benchmarks.md and $OUTDIR/plots/*.png.
# shellcheck shell=bash

# med KEY: the median, rounded to D decimals (default 1); "n/a" if none.
med() {
    local v; v=$(get "$1" 1)
    [ -n "$v" ] && printf "%.${2:-1}f" "$v" || printf 'n/a'
}
# mmm KEY [D]: "median (min-max)".
mmm() {
    local m a b n; m=$(get "$1" 1); a=$(get "$1" 2); b=$(get "$1" 3); n=$(get "$1" 4)
    [ -n "$m" ] || { printf 'n/a'; return; }
    if [ "$n" -gt 1 ] && [ "$(printf "%.${2:-1}f" "$a")" != "$(printf "%.${2:-1}f" "$b")" ]; then
        printf "%.${2:-1}f (%.${2:-1}f-%.${2:-1}f)" "$m" "$a" "$b"
    else
        printf "%.${2:-1}f" "$m"
    fi
}
# xr KEY: a ratio "1.23x (1.10-1.40)".
xr() {
    local m a b n; m=$(get "$1" 1); a=$(get "$1" 2); b=$(get "$1" 3); n=$(get "$1" 4)
    [ -n "$m" ] || { printf 'n/a'; return; }
    if [ "$n" -gt 1 ]; then printf '%.2fx (%.2f-%.2f)' "$m" "$a" "$b"; else printf '%.2fx' "$m"; fi
}
# mb KEY: KiB median as MB (1 decimal), "(min-max)" when there are several.
mb() {
    local m a b n; m=$(get "$1" 1); a=$(get "$1" 2); b=$(get "$1" 3); n=$(get "$1" 4)
    [ -n "$m" ] || { printf 'n/a'; return; }
    if [ "$n" -gt 1 ] && [ "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%d", ((b - a) >= 52) }')" = 1 ]; then
        awk -v m="$m" -v a="$a" -v b="$b" 'BEGIN { printf "%.1f MB (%.1f-%.1f)", m / 1024, a / 1024, b / 1024 }'
    else
        awk -v m="$m" 'BEGIN { printf "%.1f MB", m / 1024 }'
    fi
}
# verdict COND: "met" / "**not met**" (COND: an awk expression on the figures).
verdict() { awk "BEGIN { exit !($1) }" 2>/dev/null && printf 'met' || printf '**not met**'; }
num() { local v; v=$(get "$1" 1); echo "${v:-0}"; }
has() { [ -n "$(get "$1" 1)" ]; }
comma() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

MODE="full"; [ "$QUICK" = 1 ] && MODE="quick (--quick: a smoke test, few runs)"
RAM_GIB=$(awk -v k="$RAM_KIB" 'BEGIN { printf "%.1f", k / 1048576 }')
DOC=$OUTDIR/benchmarks.md
PLOTS=$OUTDIR/plots

# --- plots -----------------------------------------------------------------------
gp() { gnuplot -e "set terminal pngcairo size 800,480 font 'DejaVu Sans,10'; set output '$1'" - \
    2>>"$WORK/gnuplot.log"; }
if [ -s "$WORK/scale.dat" ]; then
    # scale.dat: N up_ms vm_total_kib vm_other_kib pss_kib base_pss_kib disk_kib tps up
    gp "$PLOTS/scale-start.png" <<EOF
set title "Bringing up N PostgreSQL VMs at once (plume start of each, until each answers)"
set xlabel "N (VMs, each running PostgreSQL 15 as a service)"
set ylabel "seconds"
set logscale x 2
set xtics (1,2,4,8,16,32)
set yrange [0:*]
set key left top
set grid
plot '$WORK/scale.dat' using 1:(\$2/1000) with linespoints lw 2 pt 7 title "time until all N answer", \
     '' using 1:(\$2/1000/\$1) with linespoints lw 2 pt 5 title "the same, per VM"
EOF
    gp "$PLOTS/scale-memory.png" <<EOF
set title "Memory with N PostgreSQL VMs running"
set xlabel "N (VMs)"
set ylabel "MB per VM"
set y2label "MB, all of the prefix's processes (PSS)"
set logscale x 2
set xtics (1,2,4,8,16,32)
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key below
set grid
plot '$WORK/scale.dat' using 1:(\$3/1024) axes x1y1 with linespoints lw 2 pt 7 title "working set of a VM's processes (median VM)", \
     $(num pg.pss_native.kib)/1024 axes x1y1 with lines lw 1 dt 3 lc rgb "black" title "PSS of one native PostgreSQL (outside any VM)", \
     '' using 1:(\$4/1024) axes x1y1 with linespoints lw 2 pt 5 title "... of which not PostgreSQL's (plume-scm, rpcss)", \
     '' using 1:((\$5-\$6)/1024/\$1) axes x1y1 with linespoints lw 2 pt 9 title "PSS added per VM (total/N)", \
     '' using 1:(\$5/1024) axes x1y2 with linespoints lw 2 dt 2 pt 11 title "PSS, total (right axis)"
EOF
    gp "$PLOTS/scale-tps.png" <<EOF
set title "pgbench against one VM while N-1 others idle"
set xlabel "N (VMs running)"
set ylabel "transactions/s"
set logscale x 2
set xtics (1,2,4,8,16,32)
set yrange [0:*]
set grid
plot '$WORK/scale.dat' using 1:8 with linespoints lw 2 pt 7 title "TPS (scale $PG_SCALE, $PG_CLIENTS clients, ${SCALE_T}s)"
EOF
fi
# Ratios: median with min-max as error bars.
: >"$WORK/ratios.dat"
i=0
for kv in "startup.run_ratio|plume run / native" "startup.spawn_ratio|spawn in VM / native" \
        "svc.start.ratio|service start" "svc.stop.ratio|service stop" \
        "ns.open_untouched.ratio|open, host file" "ns.open_copied.ratio|open, copied-up" \
        "ns.list_1000.ratio|list 1,000" "ns.reg_open_query.ratio|registry query" \
        "ns.mutex_create.ratio|named mutex" "ns.pipe_connect.ratio|pipe connect" \
        "net.throughput_ratio|loopback (time)" "files.total.ratio|5,000 files" \
        "pg.tps.ratio|pgbench TPS" "pg.lat.ratio|pgbench latency"; do
    k=${kv%%|*} l=${kv#*|}
    has "$k" || continue
    [ "$k" = net.throughput_ratio ] && continue
    echo "$i \"$l\" $(get "$k" 1) $(get "$k" 2) $(get "$k" 3)" >>"$WORK/ratios.dat"
    i=$((i + 1))
done
if [ -s "$WORK/ratios.dat" ]; then
    gp "$PLOTS/ratios.png" <<EOF
set title "VM / native, measured in the same run (median; bars: min-max)"
set ylabel "ratio (time, or TPS for pgbench TPS)"
set style fill solid 0.5
set boxwidth 0.6
set xtics rotate by -35 left
set yrange [0:*]
set grid y
set xrange [-0.5:$i-0.5]
set arrow from -0.5,1 to $i-0.5,1 nohead dt 2 lw 2
plot '$WORK/ratios.dat' using 1:3:xtic(2) with boxes notitle, '' using 1:3:4:5 with yerrorbars pt 0 lw 2 notitle
EOF
fi

# --- the document ------------------------------------------------------------------
scm_ws=$(num mem.scm.ws_kib); idle_rss=$(num mem.idle.rss_kib)
scm_uss=$(num mem.scm.uss_kib); idle_uss=$(num mem.idle.uss_kib)
scm_pss=$(num mem.scm.pss_kib); idle_pss=$(num mem.idle.pss_kib)
pg_other=$(num pg.mem_vm.other_kib)
maxok=$(printf '%.0f' "$(num scale.max_ok)")
{
cat <<EOF
# Benchmarks

Written by \`./bench/run\` ($MODE) on $STARTED, commit \`$COMMIT\`;
the whole run took $(awk -v t="$T_TOTAL" 'BEGIN { printf "%.0f", t / 60000 }') min. Every figure is the median
over repeated runs, with the minimum and maximum in brackets; every
VM/native comparison is a ratio measured in the same run, each VM run
interleaved with a native one, which of the two goes first alternating
(ratios are the median of the per-pair ratios). Nothing is asserted. Raw results: \`<build>/bench/results\`
(\`R KEY MEDIAN MIN MAX N\`) and \`<build>/bench/log/\`.

| machine | |
|---|---|
| CPU | $CPU |
| cores | $CORES |
| RAM | $RAM_GIB GiB |
| system | $OS, Linux $KERNEL |
| Wine | $WINEVER (\`wine64\`, headless, a private prefix) |
| load average (1, 5, 15 min) | $LOAD0 at the start, $LOAD1 at the end |

Other engineers' test suites ran on the same 2 cores during the run, so
single figures are noisy; the interleaving keeps the ratios fair, and the
min-max ranges show the noise.

## Targets

| target | figure | |
|---|---|---|
| \`plume create\` < 50 ms | $(med startup.create_ms) ms | $(verdict "$(num startup.create_ms) < 50") |
| \`plume run VM -- cmd /c exit\` within 1.5x native | $(xr startup.run_ratio) | $(verdict "$(num startup.run_ratio) <= 1.5") |
| pgbench TPS in a VM >= 0.95x native | $(xr pg.tps.ratio) | $(verdict "$(num pg.tps.ratio) >= 0.95") |
| a VM's memory beyond the service's own processes < 5 MB | private memory (USS) of the VM's plume-scm.exe $(mb scale.1.scm_uss_kib) + its rpcss.exe (RpcSs, postgresql's dependency) $(mb scale.1.rpcss_uss_kib) = $(awk -v a="$(num scale.1.scm_uss_kib)" -v b="$(num scale.1.rpcss_uss_kib)" 'BEGIN { printf "%.1f MB", (a + b) / 1024 }'); as working sets (which count Wine's shared pages in full): $(mb pg.mem_vm.other_kib) | $(verdict "$(num scale.1.scm_uss_kib) + $(num scale.1.rpcss_uss_kib) < 5120") |
| a VM's disk use only what it changed | $(mb pg.vm_disk_fresh.kib) for a fresh PostgreSQL VM = its data directory ($(mb pg.template.kib)); nothing of C:\\pgsql | $(verdict "$(num pg.vm_disk_fresh.kib) < $(num pg.template.kib) + 1024") |
| 32 PostgreSQL VMs at once | largest N that came up: $maxok | $(verdict "$maxok >= 32") |
| idle plume-scm.exe working set <= 4 MB | $(mb mem.scm.ws_kib) (a trivial Wine process: $(mb mem.idle.rss_kib)) | $(verdict "$scm_ws <= 4096") |

EOF
cat "$PLUME_SRC/bench/notes-targets.md" 2>/dev/null

if has startup.create_ms; then cat <<EOF

## Start-up (bench/bench_startup.c, $STARTUP_RUNS runs)

Timed inside Wine by a Windows program (CreateProcess to exit).

| what | ms |
|---|---|
| \`plume create NAME\` | $(mmm startup.create_ms) |
| \`plume run VM -- cmd /c exit\` | $(mmm startup.run_vm_ms) |
| \`cmd /c exit\`, native, same prefix | $(mmm startup.run_native_ms) |
| ratio \`plume run\` / native | $(xr startup.run_ratio) |
| \`cmd /c exit\` started by a process inside a VM | $(mmm startup.spawn_vm_ms) |
| \`cmd /c exit\` started by a native process | $(mmm startup.spawn_native_ms) |
| ratio, contained spawn / native spawn | $(xr startup.spawn_ratio) |

EOF
fi
if has start.st0.ms; then cat <<EOF

## \`plume start\` ($START_RUNS runs each, interleaved)

Timed from Linux (\`wine64 plume.exe start VM\` until it returns; each
followed by \`plume stop\`), so each figure includes starting plume.exe
itself under Wine: the last row is that cost alone.

| VM | \`plume start\`, ms | \`plume stop\`, ms |
|---|---|---|
| no auto-start service (Wine's two, Eventlog and PlugPlay, set to demand-start in the VM) | $(mmm start.st0.ms 0) | $(mmm stop.st0.ms 0) |
| 3 auto-start test services (svc_basic.exe), Wine's two set to demand | $(mmm start.st3.ms 0) | $(mmm stop.st3.ms 0) |
| a fresh VM: Wine's two auto-start services (Eventlog in svchost.exe, PlugPlay) | $(mmm start.st2.ms 0) | $(mmm stop.st2.ms 0) |
| for scale: \`wine64 cmd /c exit\` from Linux | $(mmm start.wine_cmd_exit.ms 0) | |

EOF
fi
if has svc.start.vm_ms; then cat <<EOF

## One service: a VM's manager against the host's (bench/bench_svc.c)

The same test service (svc_basic.exe), registered once with Wine's own SCM
(the host's) and once in a VM; \`bench_svc startstop\` run natively and
through \`plume run VM --\`, $SVC_ROUNDS rounds of $SVC_CYCLES cycles, interleaved.

| | host SCM, ms | VM's plume-scm.exe, ms | VM/host |
|---|---|---|---|
| StartService until RUNNING | $(mmm svc.start.native_ms) | $(mmm svc.start.vm_ms) | $(xr svc.start.ratio) |
| stop until STOPPED | $(mmm svc.stop.native_ms) | $(mmm svc.stop.vm_ms) | $(xr svc.stop.ratio) |

### Idle memory of the VM's manager

| process | working set (Wine = Unix RSS) | PSS | USS (private) |
|---|---|---|---|
| plume-scm.exe, idle, no service running | $(mb mem.scm.ws_kib) | $(mb mem.scm.pss_kib) | $(mb mem.scm.uss_kib) |
| a trivial Wine process (\`bench_svc idle\`: a Sleep) | $(mb mem.idle.rss_kib) | $(mb mem.idle.pss_kib) | $(mb mem.idle.uss_kib) |
| what plume-scm.exe adds to that baseline | $(awk -v a="$scm_ws" -v b="$idle_rss" 'BEGIN { printf "%.1f MB", (a - b) / 1024 }') | $(awk -v a="$scm_pss" -v b="$idle_pss" 'BEGIN { printf "%.1f MB", (a - b) / 1024 }') | $(awk -v a="$scm_uss" -v b="$idle_uss" 'BEGIN { printf "%.1f MB", (a - b) / 1024 }') |

(RSS, PSS and USS from \`/proc/PID/smaps_rollup\` of the Wine process; the
working set from GetProcessMemoryInfo inside Wine.)

EOF
fi
if has ns.open_untouched.ratio; then
    echo
    echo "## Namespace calls (bench/bench_ns.c, $NS_ROUNDS rounds of ${NS_CALLS:-300} calls)"
    echo
    echo "Each round times each call in a fresh process natively and in a fresh"
    echo "process in a VM (their order alternating); the ratio is the median of"
    echo "the rounds' ratios."
    echo
    echo "| call | native µs | VM µs | VM/native |"
    echo "|---|---|---|---|"
    for kv in "open_untouched|open+close of an untouched host file" "open_copied|open+close of a copied-up file" \
            "list_1000|listing a directory of 1,000 files" "reg_open_query|registry open+query of an untouched key" \
            "mutex_create|create a named mutex" "pipe_connect|pipe create + connect"; do
        k=${kv%%|*}
        echo "| ${kv#*|} | $(mmm ns.$k.native_us) | $(mmm ns.$k.vm_us) | $(xr ns.$k.ratio) |"
    done
    echo
fi
if has net.native_ms; then cat <<EOF

## Loopback (bench/bench_net.c, 1,000 TCP round trips of 64 bytes, $NET_RUNS runs)

| | ms |
|---|---|
| native | $(mmm net.native_ms) |
| in a VM (127.0.0.1 becomes the VM's 127.0.1.9) | $(mmm net.vm_ms) |
| throughput VM/native | $(xr net.throughput_ratio) |

EOF
fi
if has files.total.ratio; then cat <<EOF

## Files: unpack and read back $(comma "$FILES_N") small files (bench/bench_files.c, $FILES_RUNS runs)

An archive of $(comma "$FILES_N") files (100 bytes to 4 KiB, in $((FILES_N / 100)) folders, 10 MB)
on the host's C:\\ is unpacked into a new folder, every file is read back
and compared, then the tree is deleted: natively, and in a VM, where the
folder and every file are the VM's own (in its store), interleaved.

| step | native ms | VM ms | VM/native |
|---|---|---|---|
| unpack (read the archive, create $(comma "$FILES_N") files) | $(mmm files.unpack.native_ms 0) | $(mmm files.unpack.vm_ms 0) | $(xr files.unpack.ratio) |
| read back and compare | $(mmm files.read.native_ms 0) | $(mmm files.read.vm_ms 0) | $(xr files.read.ratio) |
| delete the tree | $(mmm files.delete.native_ms 0) | $(mmm files.delete.vm_ms 0) | $(xr files.delete.ratio) |
| total | $(mmm files.total.native_ms 0) | $(mmm files.total.vm_ms 0) | $(xr files.total.ratio) |

(As everywhere, the ratio is the median of the per-pair ratios, which
need not be the quotient of the two medians when the load varies.)

EOF
fi
if has pg.tps.ratio; then cat <<EOF

## PostgreSQL 15 as a service: a VM against native

The Windows PostgreSQL 15.18 of \`scripts/fetch-postgres\` (\`C:\\pgsql\`).
Native: registered with Wine's own SCM (\`pg_ctl register -N plumebench_pg
-S demand -o "-p $NATIVE_PORT"\`, \`sc start\`) on 127.0.0.1:$NATIVE_PORT, outside any VM. In
the VM: registered inside it as tests/cli/pg.sh does, \`plume start\`, at
the VM's 127.0.1.11:5432. Both data directories are copies of one
\`initdb\` ($(mmm pg.initdb_native.ms 0) ms natively). Debian's \`pgbench\` over TCP,
scale $PG_SCALE, $PG_CLIENTS clients, 2 threads, ${PG_T} s a run, $PG_RUNS runs each, interleaved.

| | native | VM | VM/native |
|---|---|---|---|
| TPS | $(mmm pg.tps.native) | $(mmm pg.tps.vm) | $(xr pg.tps.ratio) |
| latency, average ms | $(mmm pg.lat.native_ms 2) | $(mmm pg.lat.vm_ms 2) | $(xr pg.lat.ratio) |
| start until it answers, ms | $(mmm pg.start_native.ms 0) (\`wine64 sc start\`) | $(mmm pg.start_vm.ms 0) (\`plume start\`) | |
| working sets of its processes, summed | $(mb pg.mem_native.total_kib) ($(med pg.mem_native.procs 0) processes) | $(mb pg.mem_vm.total_kib) ($(med pg.mem_vm.procs 0) processes) | |
| of which not PostgreSQL's | | $(mb pg.mem_vm.other_kib) (plume-scm.exe, rpcss.exe) | |
| memory it adds to the machine (PSS of the prefix's processes with it running, less without) | $(mb pg.pss_native.kib) | $(mb pg.pss_vm.kib) | $(ratio "$(num pg.pss_vm.kib)" "$(num pg.pss_native.kib)" | awk '{ printf "%.2fx", $1 }') |

A working set under Wine is the Unix RSS: every postgres.exe counts the
pages of PostgreSQL's shared memory it touched and all of Wine's shared
libraries in full, so the sum over processes counts them many times; PSS
divides each shared page among the processes that map it, and its total
is what the server costs the machine.

EOF
fi
if [ -s "$WORK/scale.dat" ]; then
    echo
    echo "## Scaling: N PostgreSQL VMs at once"
    echo
    echo "VMs pgs1..pgsN (addresses 127.0.1.11...), each with its own data"
    echo "directory and the same \`postgresql\` service on port 5432: \`plume start\` of"
    echo "all N at once (in parallel), timed until each answers \`pg_isready\`; then"
    echo "memory, disk, and pgbench (${SCALE_T} s) against pgs1 while the others idle;"
    echo "then \`plume stop\` of all."
    echo
    echo "| N | up | time until all answer, s | per VM, s | working sets per VM, MB | not PostgreSQL's, MB | USS plume-scm + rpcss per VM, MB | PSS total, MB | PSS added per VM, MB | disk per idle VM, MB | TPS on pgs1 | CPU of all, idle, % of a core | MemAvailable, GB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    while read -r N upms tot oth pss base disk tps up; do
        printf '| %s | %s | %.1f | %.2f | %s | %s | %s | %.0f | %.1f | %.1f | %.0f | %s | %.1f |\n' "$N" "$up/$N" \
            "$(awk -v v="$upms" 'BEGIN { print v / 1000 }')" "$(awk -v v="$upms" -v n="$N" 'BEGIN { print v / 1000 / n }')" \
            "$(mb scale.$N.vm_total_kib | sed 's/ MB//')" "$(mb scale.$N.vm_other_kib | sed 's/ MB//')" \
            "$(awk -v a="$(num scale.$N.scm_uss_kib)" -v b="$(num scale.$N.rpcss_uss_kib)" 'BEGIN { printf "%.1f", (a + b) / 1024 }')" \
            "$(awk -v v="$pss" 'BEGIN { print v / 1024 }')" "$(awk -v v="$pss" -v b="$base" -v n="$N" 'BEGIN { print (v - b) / 1024 / n }')" \
            "$(awk -v v="$disk" 'BEGIN { print v / 1024 }')" "$tps" "$(med scale.$N.idle_cpu_pct 1)" \
            "$(awk -v v="$(num scale.$N.mem_avail_kib)" 'BEGIN { print v / 1048576 }')"
    done <"$WORK/scale.dat"
    echo
    echo "PSS of the prefix with no VM running (wineserver, Wine's own services, one idle process): $(mb scale.base_pss_kib)."
    echo "Working sets: median VM (min-max over the N VMs). Disk: the median idle"
    echo "VM; at N = 1 the only VM is pgs1, which holds pgbench's tables (scale"
    echo "$PG_SCALE) and their WAL."
    echo
    echo "![start time against N](plots/scale-start.png)"
    echo
    echo "![memory against N](plots/scale-memory.png)"
    echo
    echo "![pgbench against N](plots/scale-tps.png)"
    echo
fi
cat "$PLUME_SRC/bench/notes-analysis.md" 2>/dev/null
if [ -s "$WORK/ratios.dat" ]; then
    echo
    echo "## All ratios"
    echo
    echo "![VM/native ratios](plots/ratios.png)"
fi
cat <<EOF

## How to run

\`./bench/run\` (full: this document and \`docs/plots/*.png\`; about
$(awk -v t="$T_TOTAL" 'BEGIN { printf "%.0f", t / 60000 }') min here), \`./bench/run --quick\` (a smoke test: few runs, N up to 4;
writes \`<build>/bench/benchmarks.md\`), \`./bench/run --report-only\` (this
document again from the last results). Installs gnuplot-nox and
postgresql-client (pgbench, pg_isready) with apt-get when missing, and
fetches PostgreSQL with \`scripts/fetch-postgres\`.
EOF
} >"$DOC"
