#!/bin/sh
# Builds tests/fuzz-weights.c with clang's libFuzzer and AddressSanitizer +
# UndefinedBehaviorSanitizer, then fuzzes the weights loader for a bounded
# time (HZ_FUZZ_SECONDS, default 60) from seeds written by weights/hzw.py.
# meson's compiler may be gcc, hence this separate small build.
#
#   run-fuzz.sh SOURCE_ROOT WORK_DIR [CLANG [required]]
#
# Exits 77 (skipped) when clang or its libFuzzer is missing, or fails then if
# "required" is given (meson -Dfuzz=enabled). Inputs that crash are left in
# WORK_DIR/fuzz-weights.d as crash-*; the corpus grows there between runs.
set -eu

src=$(cd "$1" && pwd)
cc=${3:-clang}
required=${4:-}
seconds=${HZ_FUZZ_SECONDS:-60}

skip() {
    echo "skip: $*"
    [ "$required" = required ] && exit 1
    exit 77
}

command -v "$cc" >/dev/null 2>&1 || skip "$cc not found"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config not found"
deps=$(pkg-config --cflags --libs glib-2.0 zlib) || skip "glib-2.0 or zlib not found by pkg-config"

mkdir -p "$2/fuzz-weights.d"
cd "$2/fuzz-weights.d"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { return 0; }\n' > probe.c
"$cc" -fsanitize=fuzzer probe.c -o probe 2>/dev/null || skip "$cc has no libFuzzer (-fsanitize=fuzzer)"

# shellcheck disable=SC2086 # $deps is a list of flags
"$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$src/engine" "$src/engine/hz-weights.c" "$src/engine/hz-arch.c" "$src/tests/fuzz-weights.c" \
    $deps -lm -o fuzz-weights

# Seeds: small valid files, fp32 and fp16, with and without metadata, and a
# beginning of the architecture (for hz_arch_check's shape comparison).
rm -rf seeds
mkdir -p seeds corpus
python3 - "$src/weights" seeds <<'EOF' || echo "no seeds (python3 with numpy missing): starting from nothing"
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import hzw

out = sys.argv[2]
a = np.arange(18, dtype=np.float32).reshape(2, 1, 3, 3) / 4
b = np.array([1.5, -2, np.inf, np.nan, 6e-8], dtype=np.float32)
arch = {'architecture': hzw.ARCHITECTURE}
hzw.write(f'{out}/small32.hzw', {'conv.weight': a, 'bn.bias': b}, {'training': 'seed', 'k': ''})
hzw.write(f'{out}/small16.hzw', {'conv.weight': a, 'bn.bias': b}, half=True)
hzw.write(f'{out}/empty-arch.hzw', {}, arch)
hzw.write(f'{out}/arch-start.hzw', {'conv1_1.weight': np.zeros((32, 3, 3, 1), np.float32),
                                    'conv1_1.bias': np.zeros(32, np.float32)}, arch, half=True)
EOF

echo "fuzzing for $seconds s"
./fuzz-weights -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$PWD/" corpus seeds
