# Sourced after gimp-home.sh by the tests that run the plug-in inside GIMP.
# GIMP ignores how a plug-in ends and what it prints, so in a sanitizer build
# (ASAN_OPTIONS or UBSAN_OPTIONS set) the plug-in's reports go to files in
# $tmp, and sanitizer_check prints them and fails when there are any.
# Leaks count too (LSAN_OPTIONS names tests/lsan.supp for what libgimp keeps);
# malloc stacks are unwound in full, since the fast unwinder stops at the
# first uninstrumented library (g_malloc) and no suppression could match.
# No abort: libgimp's handler of SIGABRT would wait forever on the
# sanitizer's own lock.
if [ -n "${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-}" ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}:abort_on_error=0:log_path=$tmp/sanitizer:fast_unwind_on_malloc=0"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:abort_on_error=0:log_path=$tmp/sanitizer"
fi
sanitizer_check() {
    set -- "$tmp"/sanitizer.*
    [ -e "$1" ] || return 0
    echo "FAIL sanitizer: $# report(s) from the plug-in:"
    cat "$@"
    return 1
}
