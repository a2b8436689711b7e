#!/bin/sh
# Every speed benchmark behind README's Speed section, one after the other,
# each with the machine's load before it (benchmarks, not tests).
#
#   tests/bench/speed-report.sh BUILD_DIR [ORT_DIR]
#
# Run it inside scripts/debian13-root on a machine doing nothing else.
# ORT_DIR holds node_modules/onnxruntime-node for bench-net's ONNX Runtime
# peer (`npm install --prefix ORT_DIR --ignore-scripts onnxruntime-node`;
# default BUILD_DIR/ort); without it bench-net compares with PyTorch only.
set -eu

build=$(cd "$1" && pwd)
ort=${2:-$build/ort}
here=$(cd "$(dirname "$0")" && pwd)
weights=$here/../../weights/ssh-harmonize.hzw

step() {
    echo
    echo "== $* ($(uptime | sed 's/.*load average/load average/'))"
}

step "the tool on a 6000x4000 JPEG against libjpeg alone"
"$build/tests/bench-cli"
step "the tool with OMP_WAIT_POLICY=passive"
OMP_WAIT_POLICY=passive "$build/tests/bench-cli" --runs 3
step "the tool with GOMP_SPINCOUNT=10000"
GOMP_SPINCOUNT=10000 "$build/tests/bench-cli" --runs 3

step "the plug-in, 8-bit, foreground 2400x1800"
"$here/../plugin/bench-6000x4000.sh" "$build"
step "the plug-in, 8-bit, foreground 6000x4000"
HZ_BENCH_FOREGROUND=6000x4000 "$here/../plugin/bench-6000x4000.sh" "$build"
step "the plug-in, 8-bit, foreground 6000x4000, OMP_WAIT_POLICY=passive"
OMP_WAIT_POLICY=passive HZ_BENCH_FOREGROUND=6000x4000 "$here/../plugin/bench-6000x4000.sh" "$build"
step "the plug-in, 32-bit float linear, foreground 2400x1800"
"$here/../plugin/bench-6000x4000.sh" "$build" FLOAT_LINEAR
step "the plug-in, 32-bit float linear, foreground 6000x4000"
HZ_BENCH_FOREGROUND=6000x4000 "$here/../plugin/bench-6000x4000.sh" "$build" FLOAT_LINEAR

step "the plug-in's reads and writes of a float layer: babl's conversions against a copy as stored"
if [ -x "$build/tests/bench-babl" ]; then "$build/tests/bench-babl"; else echo "no bench-babl (built with GIMP only)"; fi

step "the network, shipped weights"
"$build/tests/bench-net" --weights "$weights" --sizes 64,128 --threads 1,2 --ort "$ort"
step "the network, full width (seeded test weights)"
"$build/tests/bench-net" --sizes 64,128,256,512 --threads 1,2 --ort "$ort"

step "the colour-map apply, 24 Mpixel"
"$build/tests/bench-colormap"
"$build/tests/bench-colormap" 6000 4000 1

step "the dialog's preview on the example scaled to 6000x4000 (the ui-gimp test with the shipped weights; from each change to its result, the first, at the dialog's start, left out)"
HZ_UI_SIZE=6000x4000 "$here/../ui/run-gimp-dialog-test.sh" "$build/ui/gimp-harmonize" "$weights" "$build/ui-speed" | tail -3
grep -o 'preview scene read in [0-9]* ms' "$build/ui-speed/gimp.log"
grep -o 'shown [0-9]* ms after the change (worker [0-9]* ms)$' "$build/ui-speed/gimp.log" |
    sed 's/shown \([0-9]*\) ms.*worker \([0-9]*\) ms)/\1 \2/' | tail -n +2 > "$build/ui-speed/times"
n=$(wc -l < "$build/ui-speed/times")
median() { cut -d' ' -f"$1" "$build/ui-speed/times" | sort -n | sed -n "$(( (n + 1) / 2 ))p"; }
echo "$n previews: shown after the change: median $(median 1) ms, max $(cut -d' ' -f1 "$build/ui-speed/times" | sort -n | tail -1) ms; worker: median $(median 2) ms"
