# Sourced by scripts/run-example and scripts/run-tests: decides where they run.
#
# On a machine that has everything (GIMP 3 development files, BLIS, meson, ninja,
# and for the tests their tools too), they run natively. Otherwise they run
# themselves again inside the Debian 13 root of scripts/debian13-root (made on
# first use; needs root, asked for with sudo when the caller is not root).
# HARMONIZE_USE_ROOT=1 forces the root, HARMONIZE_USE_ROOT=0 forces native.

top=$(cd "$(dirname "$0")/.." && pwd)

# What a native build lacks, one word each (nothing when it lacks nothing).
hz_missing_build () {
    for c in meson ninja cc pkg-config python3; do
        command -v "$c" >/dev/null || echo "$c"
    done
    for m in glib-2.0 gio-2.0 libpng libjpeg gimp-3.0 gimpui-3.0; do
        pkg-config --exists "$m" 2>/dev/null || echo "$m"
    done
    # BLIS: where meson.build looks for it (pkg-config, or Debian's OpenMP build).
    triplet=$(cc -print-multiarch 2>/dev/null || true)
    pkg-config --exists blis 2>/dev/null || [ -f /usr/include/blis/blis.h ] ||
        [ -f "/usr/include/$triplet/blis-openmp/blis.h" ] || echo blis
}

# What the native tests lack on top of that.
hz_missing_tests () {
    hz_missing_build
    for c in clang xvfb-run xauth gimp-console-3.0; do
        command -v "$c" >/dev/null || echo "$c"
    done
    for p in numpy PIL torch; do
        python3 -c "import $p" 2>/dev/null || echo "python3-$p"
    done
    # The sanitizer build needs the runtimes of the C compiler.
    probe=$(mktemp -d)
    echo 'int main (void) { return 0; }' > "$probe/p.c"
    cc -fsanitize=address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null && "$probe/p" ||
        echo "address/undefined-sanitizer runtime"
    rm -rf "$probe"
}

# hz_choose build|tests SCRIPT ARGS...: returns when SCRIPT should go on here,
# or runs SCRIPT inside the Debian 13 root and exits with its status.
hz_choose () {
    what=$1; shift
    [ -z "${HARMONIZE_IN_ROOT:-}" ] || return 0
    case "${HARMONIZE_USE_ROOT:-}" in
        0) return 0 ;;
        1) missing="HARMONIZE_USE_ROOT=1" ;;
        *) missing=$(hz_missing_$what | tr '\n' ' ')
           [ -n "$missing" ] || return 0 ;;
    esac
    echo "$(basename "$1"): this machine lacks: $missing" >&2
    echo "$(basename "$1"): running in the Debian 13 root (scripts/debian13-root)" >&2
    if [ "$(id -u)" = 0 ]; then
        exec "$top/scripts/debian13-root" "$@"
    elif command -v sudo >/dev/null; then
        # sudo drops the environment; keep the variables the scripts read.
        set -- "$top/scripts/debian13-root" "$@"
        for name in $(env | sed -n 's/^\(CI\|MESON_TESTTHREADS\|HARMONIZE_[A-Za-z0-9_]*\|HZ_[A-Za-z0-9_]*\)=.*/\1/p'); do
            set -- "$name=$(printenv "$name")" "$@"
        done
        exec sudo env "$@"
    else
        echo "$(basename "$1"): the Debian 13 root needs root: run this as root" >&2
        exit 1
    fi
}

# hz_setup DIR [MESON OPTIONS...]: configure build folder DIR with these options,
# reconfiguring it when it exists (and remaking it when meson cannot, e.g. after
# a switch between the native and the root's meson).
hz_setup () {
    dir=$1; shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
    else
        meson setup "$dir" "$@"
    fi
}
