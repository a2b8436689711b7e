#!/bin/sh
# Speed and peak memory of the plug-in inside GIMP on a 6000x4000 composite
# (a benchmark, not a test; targets: at most 3 s a run, 600 MB).
#
#   tests/plugin/bench-6000x4000.sh BUILD_DIR [PRECISION] [WORKING_SIZE]
#
# PRECISION is a Gimp.Precision name (default U8_NON_LINEAR; e.g.
# FLOAT_LINEAR). Installs BUILD_DIR's plug-in into a temporary HOME behind a
# wrapper that runs it under /usr/bin/time, runs it HZ_BENCH_RUNS times
# (default 3) from gimp-console, and prints each run's seconds (the PDB call,
# end to end: plug-in start, model load, reading, fit, writing the layer; and
# the page faults GIMP took meanwhile, its fresh memory) and
# the plug-in process's peak resident memory, minor page faults and system
# time, and the phases the plug-in reports with HARMONIZE_TIMING. Weights: HARMONIZE_WEIGHTS, else the shipped
# ones; WORKING_SIZE 0 (the default) is the weights' own. The foreground
# is 2400x1800 unless HZ_BENCH_FOREGROUND=WxH (e.g. 6000x4000) says otherwise,
# an ellipse in its alpha unless HZ_BENCH_OPAQUE=1 makes it opaque.
# With HZ_BENCH_AGAINST=OTHER_BUILD_DIR the runs alternate between
# OTHER_BUILD_DIR's plug-in (the reference: the first run, a warm-up left out
# of the medians, then the odd ones) and BUILD_DIR's (the even runs) in the
# same GIMP, and each line says whose: builds compared minutes apart differ by
# the machine's drift more than by their code. After each run GIMP inverts a
# copy of the foreground itself (bench_6000x4000.py), and the last line gives
# the median and range of those: what GIMP's core takes to filter that layer
# on this machine in this session, fresh memory and all.
set -eu

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export HZ_BENCH_PRECISION=${2:-U8_NON_LINEAR} HZ_BENCH_WORKING_SIZE=${3:-0}
export HARMONIZE_WEIGHTS=${HARMONIZE_WEIGHTS:-$here/../../weights/ssh-harmonize.hzw}
export HARMONIZE_TIMING=1

. "$here/gimp-home.sh"
cp "$build/ui/gimp-harmonize" "$tmp/gimp-harmonize.this"
against=${HZ_BENCH_AGAINST:+$(cd "$HZ_BENCH_AGAINST" && pwd)}
[ -z "$against" ] || cp "$against/ui/gimp-harmonize" "$tmp/gimp-harmonize.reference"
[ -z "$against" ] || [ -n "${HZ_BENCH_RUNS:-}" ] || export HZ_BENCH_RUNS=9
# GIMP runs plug-ins/NAME/NAME: a wrapper there measures the real one (with
# HZ_BENCH_AGAINST, every second run the reference).
cat > "$dir/gimp-harmonize" <<WRAP
#!/bin/sh
which=this
case " \$* " in *" -run "*)
    n=\$(cat "$tmp/runs" 2>/dev/null || echo 0); echo \$((n + 1)) > "$tmp/runs"
    [ ! -e "$tmp/gimp-harmonize.reference" ] || [ \$((n % 2)) = 1 ] || which=reference ;;
esac
exec /usr/bin/time -a -o "$tmp/time.log" -f "%M KB %e s %R %S %C" "$tmp/gimp-harmonize.\$which" "\$@"
WRAP
chmod +x "$dir/gimp-harmonize"

echo "6000x4000, foreground ${HZ_BENCH_FOREGROUND:-2400x1800}${HZ_BENCH_OPAQUE:+ opaque}, $HZ_BENCH_PRECISION, working size $HZ_BENCH_WORKING_SIZE, $(nproc) cores"
HZ_BENCH_REPORT="$tmp/report" gimp-console -i -d -f --quit --batch-interpreter=python-fu-eval \
    -b "exec(open('$here/bench_6000x4000.py').read())" >"$tmp/gimp.log" 2>&1 || true
[ -e "$tmp/report" ] || { tail -30 "$tmp/gimp.log"; exit 1; }
whose() {   # the Nth line of a run's: whose plug-in ran it
    if [ -n "$against" ]; then
        awk '{ print $0 (NR == 1 ? " (reference, warm-up)" : NR % 2 ? " (reference)" : " (this)") }'
    else cat; fi
}
grep '^run' "$tmp/report" | whose
grep '^invert' "$tmp/report"
grep -v -e '^run' -e '^invert' "$tmp/report"
# The runs (not the registration query): peak resident memory of each.
grep -e '-run' "$tmp/time.log" |
    awk '{ printf "plug-in process: peak %.0f MB, %s s, %s page faults, %s s of system time\n", $1 / 1024, $3, $5, $6 }' | whose
grep 'gimp-harmonize: seconds' "$tmp/gimp.log" | whose || true
median() {   # median (and range) of the third field of the lines on stdin
    awk '{ print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.2f s (%d runs, %.2f-%.2f)", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2, NR, v[1], v[NR] }'
}
if [ -n "$against" ]; then   # medians of each build's runs
    for w in this reference; do
        echo "median of $w: $(grep '^run' "$tmp/report" | whose | grep "($w)" | median)"
    done
else
    echo "median of the runs: $(grep '^run' "$tmp/report" | median)"
fi
echo "median of GIMP's own invert: $(grep '^invert' "$tmp/report" | median)"
