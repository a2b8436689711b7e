#!/bin/sh
# Headless tests of the GIMP plug-in (meson test suite "plugin").
#
#   run-plugin-tests.sh PLUGIN WEIGHTS LOCALE_DIR SCENE_PROBE
#
# Installs the built PLUGIN (with the compiled catalogues in LOCALE_DIR, the
# build's po/) into the plug-in folder of a temporary HOME and runs
# tests/plugin/plugin_tests.py inside gimp-console: once with WEIGHTS (the
# seeded test weights), once with them missing, once with them corrupt and
# once with them missing in German (the plug-in's catalogue is found, and
# the engine's in the build, LOCALE_DIR/engine); then a
# Script-Fu call with arguments by name. GIMP's preference of 3 threads
# (gimprc) must reach the engine (the plug-in's debug output says so). SCENE_PROBE, a
# test plug-in, reports the scenes the plug-in and the preview build.
# HZ_TEST_ONLY=NAME runs one case. Exit 77 (skipped) without gimp-console.
set -eu

plugin=$1
weights=$2
locale_build=$3
probe=$4
here=$(cd "$(dirname "$0")" && pwd)

command -v gimp-console >/dev/null 2>&1 || { echo "gimp-console not found: skipped"; exit 77; }
: "${HARMONIZE_CLI:?the meson test environment sets HARMONIZE_CLI}"

. "$here/gimp-home.sh"
. "$here/sanitizer-logs.sh"
cp "$plugin" "$dir/gimp-harmonize"
mkdir -p "$dir/../scene-probe"
cp "$probe" "$dir/../scene-probe/scene-probe"
for mo in "$locale_build"/*/LC_MESSAGES/gimp-harmonize.mo; do
    [ -f "$mo" ] || continue
    lang=$(basename "$(dirname "$(dirname "$mo")")")
    mkdir -p "$dir/locale/$lang/LC_MESSAGES"
    cp "$mo" "$dir/locale/$lang/LC_MESSAGES/"
done

head -c 4096 /dev/urandom > "$tmp/corrupt.hzw"
printf '(num-processors 3)\n' > "$XDG_CONFIG_HOME/GIMP/3.0/gimprc"

status=0
# gettext ignores LANGUAGE in the C locale and the root has no other: a
# "de_DE.UTF-8" locale with C's data is enough to pick the German catalogue.
mkdir -p "$tmp/locale"
cp -r /usr/lib/locale/C.utf8 "$tmp/locale/de_DE.UTF-8" 2>/dev/null || true

run() {   # run MODE WEIGHTS [LOCALE]
    mkdir -p "$tmp/$1"
    echo "== $1"
    HZ_TEST_MODE=$1 HZ_TEST_DIR="$tmp/$1" HZ_TEST_REPORT="$tmp/$1.report" G_MESSAGES_DEBUG=harmonize \
    HARMONIZE_WEIGHTS=$2 HARMONIZE_LOCALEDIR="$locale_build/engine" \
    LOCPATH="$tmp/locale" LC_ALL=${3:-C.UTF-8} LANGUAGE= \
        gimp-console -i -d -f --quit --batch-interpreter=python-fu-eval \
            -b "exec(open('$here/plugin_tests.py').read())" \
            >"$tmp/$1.log" 2>&1 || true
    if [ -f "$tmp/$1.report" ]; then cat "$tmp/$1.report"; fi
    if ! grep -qx done "$tmp/$1.report" 2>/dev/null || grep -q '^FAIL' "$tmp/$1.report"; then
        echo "-- gimp-console output ($1):"
        grep -v -e '^$' -e 'scriptfu-WARNING' "$tmp/$1.log" | tail -40
        status=1
    fi
}

run main "$weights"
[ -n "${HZ_TEST_ONLY:-}" ] && { sanitizer_check || status=1; exit $status; }
if grep -q "harmonizing on 3 threads" "$tmp/main.log"; then
    echo "ok gimp-threads"
else
    echo "FAIL gimp-threads: the plug-in did not run on GIMP's 3 threads:"
    grep "harmonizing on" "$tmp/main.log" | head -3
    status=1
fi
run missing-weights "$tmp/absent.hzw"
run corrupt-weights "$tmp/corrupt.hzw"
run german "$tmp/absent.hzw" de_DE.UTF-8

echo "== script-fu"
HARMONIZE_WEIGHTS=$weights LC_ALL=C.UTF-8 \
    gimp-console -i -d -f --quit --batch-interpreter=plug-in-script-fu-eval \
        -b "(load \"$here/script_fu_test.scm\")" >"$tmp/script-fu.log" 2>&1 || true
if grep -q "RESULT fg (harmonized) 30,20" "$tmp/script-fu.log"; then
    echo "ok script-fu"
else
    echo "FAIL script-fu:"; grep -v -e '^$' -e 'scriptfu-WARNING' "$tmp/script-fu.log" | tail -20
    status=1
fi
sanitizer_check || status=1
exit $status
