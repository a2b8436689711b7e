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
# end to end: plug-in start, model load, reading, fit, writing the layer) and
# the plug-in process's peak resident memory, minor page faults and system
# time, and the phases the plug-in reports with HARMONIZE_TIMING. Weights: HARMONIZE_WEIGHTS, else the shipped
# ones; WORKING_SIZE 0 (the default) is the weights' own. The foreground
# is 2400x1800 unless HZ_BENCH_FOREGROUND=WxH (e.g. 6000x4000) says otherwise.
set -eu

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export HZ_BENCH_PRECISION=${2:-U8_NON_LINEAR} HZ_BENCH_WORKING_SIZE=${3:-0}
export HARMONIZE_WEIGHTS=${HARMONIZE_WEIGHTS:-$here/../../weights/ssh-harmonize.hzw}
export HARMONIZE_TIMING=1

. "$here/gimp-home.sh"
cp "$build/ui/gimp-harmonize" "$tmp/gimp-harmonize.real"
# GIMP runs plug-ins/NAME/NAME: a wrapper there measures the real one.
cat > "$dir/gimp-harmonize" <<WRAP
#!/bin/sh
exec /usr/bin/time -a -o "$tmp/time.log" -f "%M KB %e s %R %S %C" "$tmp/gimp-harmonize.real" "\$@"
WRAP
chmod +x "$dir/gimp-harmonize"

echo "6000x4000, foreground ${HZ_BENCH_FOREGROUND:-2400x1800}, $HZ_BENCH_PRECISION, working size $HZ_BENCH_WORKING_SIZE, $(nproc) cores"
HZ_BENCH_REPORT="$tmp/report" gimp-console -i -d -f --quit --batch-interpreter=python-fu-eval \
    -b "exec(open('$here/bench_6000x4000.py').read())" >"$tmp/gimp.log" 2>&1 || true
cat "$tmp/report" 2>/dev/null || { tail -30 "$tmp/gimp.log"; exit 1; }
# The runs (not the registration query): peak resident memory of each.
grep -e '-run' "$tmp/time.log" |
    awk '{ printf "plug-in process: peak %.0f MB, %s s, %s page faults, %s s of system time\n", $1 / 1024, $3, $5, $6 }'
grep 'gimp-harmonize: seconds' "$tmp/gimp.log" || true
