#!/bin/sh
# Builds one libFuzzer target of tests/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, then fuzzes it for a bounded time
# (HZ_FUZZ_SECONDS, default 60) from seeds made here:
#   weights     the weights loader and architecture check (fuzz-weights.c),
#               seeds from weights/hzw.py
#   png, jpeg   the CLI's image reader (fuzz-image.c), seeds from PIL
#   scene       hz_fit_scene and hz_colormap_apply (fuzz-scene.c) with seeded
#               test weights of width 8 ($HARMONIZE_MAKE_TEST_WEIGHTS makes them)
# meson's compiler may be gcc, hence this separate small build.
#
#   run-fuzz.sh TARGET SOURCE_ROOT WORK_DIR [CLANG [required|optional [ENGINE_CFLAGS...]]]
#
# ENGINE_CFLAGS: what meson compiles the engine with (its defines). Exits 77
# (skipped) when clang or its libFuzzer is missing, or fails then if
# "required" is given (meson -Dfuzz=enabled). Inputs that crash are left in
# WORK_DIR/fuzz-TARGET.d as crash-*; the corpus grows there between runs.
set -eu

target=$1
src=$(cd "$2" && pwd)
work=$3
cc=${4:-clang}
required=${5:-}
shift $(($# < 5 ? $# : 5))   # "$@": the engine's flags
seconds=${HZ_FUZZ_SECONDS:-60}

skip() {
    echo "skip: $*"
    [ "$required" = required ] && exit 1
    exit 77
}

command -v "$cc" >/dev/null 2>&1 || skip "$cc not found"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config not found"

mkdir -p "$work/fuzz-$target.d"
cd "$work/fuzz-$target.d"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { return 0; }\n' > probe.c
"$cc" -fsanitize=fuzzer probe.c -o probe 2>/dev/null || skip "$cc has no libFuzzer (-fsanitize=fuzzer)"

cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
rm -rf seeds
mkdir -p seeds corpus

# shellcheck disable=SC2086 # $cflags and $deps are lists of flags
case $target in
weights)
    deps=$(pkg-config --cflags --libs glib-2.0 zlib) || skip "glib-2.0 or zlib not found by pkg-config"
    "$cc" $cflags "$@" -I"$src/engine" "$src/engine/hz-weights.c" "$src/engine/hz-arch.c" \
        "$src/tests/fuzz-weights.c" $deps -lm -o fuzz
    # Small valid files, fp32 and fp16, with and without metadata, one holding
    # NaN and infinity, and a beginning of the architecture (for hz_arch_check).
    python3 - "$src/weights" seeds <<'PY' || echo "no seeds (python3 with numpy missing): starting from nothing"
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import hzw

out = sys.argv[2]
a = np.arange(18, dtype=np.float32).reshape(2, 1, 3, 3) / 4
b = np.array([1.5, -2, 65504, -0.0, 6e-8], dtype=np.float32)
arch = {'architecture': hzw.ARCHITECTURE}
hzw.write(f'{out}/small32.hzw', {'conv.weight': a, 'bn.bias': b}, {'training': 'seed', 'k': ''})
hzw.write(f'{out}/small16.hzw', {'conv.weight': a, 'bn.bias': b}, half=True)
hzw.write(f'{out}/non-finite.hzw', {'bn.bias': np.array([np.inf, np.nan], np.float32)})
hzw.write(f'{out}/empty-arch.hzw', {}, arch)
hzw.write(f'{out}/arch-start.hzw', {'conv1_1.weight': np.zeros((32, 3, 3, 1), np.float32),
                                    'conv1_1.bias': np.zeros(32, np.float32)}, arch, half=True)
PY
    max_len=4096 ;;
png | jpeg)
    deps=$(pkg-config --cflags --libs glib-2.0 libpng libjpeg) || skip "glib-2.0, libpng or libjpeg not found by pkg-config"
    "$cc" $cflags -DFUZZ_$(echo "$target" | tr a-z A-Z) -I"$src/engine/cli" "$src/engine/cli/imageio.c" \
        "$src/tests/fuzz-image.c" $deps -o fuzz
    # Every colour type and depth PIL writes, interlaced, with tRNS; baseline,
    # progressive and subsampled JPEG, grey and colour.
    python3 - "$target" seeds <<'PY' || echo "no seeds (python3 with numpy or PIL missing): starting from nothing"
import sys
import numpy as np
from PIL import Image

kind, out = sys.argv[1:]
rng = np.random.default_rng(8)
rgb = Image.fromarray(rng.integers(0, 256, (13, 17, 3), dtype=np.uint8))
rgba = Image.fromarray(rng.integers(0, 256, (9, 11, 4), dtype=np.uint8), 'RGBA')
if kind == 'png':
    images = {'rgb': rgb, 'rgba': rgba, 'grey': rgb.convert('L'), 'la': rgba.convert('LA'),
              'pal': rgb.convert('P', palette=Image.ADAPTIVE, colors=16), 'bw': rgb.convert('1'),
              'grey16': Image.fromarray((rng.integers(0, 65536, (7, 5))).astype(np.uint16))}
    for name, im in images.items():
        im.save(f'{out}/{name}.png')
    rgb.save(f'{out}/interlaced.png', interlace=1)
    rgb.convert('RGB').save(f'{out}/trns.png', transparency=(1, 2, 3))
    rgb.convert('P').save(f'{out}/pal-trns.png', transparency=0)
else:
    rgb.save(f'{out}/baseline.jpg', quality=90)
    rgb.save(f'{out}/progressive.jpg', quality=75, progressive=True)
    rgb.save(f'{out}/444.jpg', quality=95, subsampling=0)
    rgb.convert('L').save(f'{out}/grey.jpg')
    rgb.resize((40, 33)).save(f'{out}/bigger.jpg', quality=50, optimize=True)
PY
    max_len=16384 ;;
scene)
    deps=$(pkg-config --cflags --libs glib-2.0 gio-2.0 zlib) || skip "glib-2.0, gio-2.0 or zlib not found by pkg-config"
    # BLIS as meson.build finds it: pkg-config, else Debian's OpenMP build.
    triplet=$(gcc -print-multiarch)
    blis_cflags=$(pkg-config --cflags blis 2>/dev/null) ||
        blis_cflags="-I/usr/include/blis -I/usr/include/$triplet/blis-openmp"
    blis_libs=$(pkg-config --libs blis 2>/dev/null) || blis_libs="-L/usr/lib/$triplet/blis-openmp -lblis"
    [ -n "${HARMONIZE_MAKE_TEST_WEIGHTS:-}" ] || skip "HARMONIZE_MAKE_TEST_WEIGHTS (make-test-weights) not set"
    # clang may have no OpenMP runtime: the engine files that use OpenMP's API
    # or BLIS's headers (which include omp.h) are built by gcc, without
    # sanitizers: the network's operators and BLIS set-up, not what is fuzzed;
    # so are the network's kernels (GCC's vector extensions), in their
    # baseline build only. Every other file of the engine is instrumented.
    sources= objects=
    for f in "$src"/engine/*.c; do
        if grep -q '^#include [<"]\(omp\|blis\)\.h[>"]' "$f" || case $f in */hz-kernels*) true ;; *) false ;; esac; then
            o=$(basename "$f" .c).o
            gcc -O2 -fopenmp -std=gnu11 -D_GNU_SOURCE "$@" -c "$f" $(pkg-config --cflags glib-2.0) $blis_cflags -o "$o"
            objects="$objects $o"
        else
            sources="$sources $f"
        fi
    done
    "$cc" $cflags -Wno-source-uses-openmp "$@" -I"$src/engine" $sources \
        "$src/tests/fuzz-scene.c" $objects $deps $blis_libs -lgomp -lm -o fuzz
    "$HARMONIZE_MAKE_TEST_WEIGHTS" weights.hzw 8
    export HARMONIZE_TEST_WEIGHTS="$PWD/weights.hzw"
    # A mask square on a composite, a layer partly off the canvas, a box, and
    # offsets at the ends of int.
    python3 - seeds <<'PY'
import struct
import sys

out = sys.argv[1]
def seed(name, fw, fh, bw, bh, x, y, flags, box=(0, 0, 0, 0), strength=255):
    pixels = bytes((i * 37 + (255 if (i % 4 == 3 and (i // 4) % 5 < 3) else 0)) % 256 for i in range(4 * fw * fh))
    pixels += bytes((i * 11) % 256 for i in range(4 * bw * bh))
    data = bytes([fw - 1, fh - 1, bw - 1, bh - 1]) + struct.pack('<iiB4iB', x, y, flags, *box, strength) + pixels
    open(f'{out}/{name}', 'wb').write(data)
seed('composite', 20, 16, 20, 16, 0, 0, 2)
seed('layer', 10, 12, 24, 20, -4, 15, 0)
seed('box', 8, 8, 24, 24, 3, 3, 1, (2, 2, 12, 9), 128)
seed('int-min', 8, 8, 16, 16, -2**31, 0, 1, (-2**31, -2**31, 2**31 - 1, 2**31 - 1))
seed('int-max', 8, 8, 16, 16, 2**31 - 1, 2**31 - 1, 0)
PY
    max_len=5000 ;;
*)
    echo "run-fuzz.sh: unknown target '$target' (weights, png, jpeg or scene)" >&2
    exit 2 ;;
esac

echo "fuzzing $target for $seconds s"
./fuzz -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$PWD/" corpus seeds
