#!/bin/sh
# The dialog in a real GIMP under Xvfb (meson test suite "ui").
#
#   run-gimp-dialog-test.sh PLUGIN WEIGHTS ARTIFACTS [missing-weights]
#
# Installs PLUGIN into a temporary HOME, starts Xvfb and GIMP on the shipped
# example (examples/sheep-composite.jpg); a script in GIMP adds the sheep
# (cut out by examples/sheep-mask.png) as a layer, selects a rectangle and
# calls plug-in-harmonize interactively (tests/ui/gimp_dialog_test.py).
# From outside, with the pointer and keyboard (xdotool), the test waits for
# the dialog and its preview, then works the reference box: "From
# Selection", "Whole Background", a box drawn on the background thumbnail,
# that box moved; after each it checks the box the next preview is computed
# for. It moves the preview's split line, presses Return (OK), checks the
# harmonized layer came and that GIMP remembers the box, presses Ctrl+Z in
# the image window and checks the layer is gone. Screenshots of the dialog
# (dialog.png as it opens, dialog-box.png with the box, screen.png) and
# GIMP's output (gimp.log) are kept in ARTIFACTS; the preview's update times
# measured in the dialog are printed. WEIGHTS may be trained weights, for
# the README's screenshot. With "missing-weights" (and WEIGHTS a file that
# does not exist) the preview must say so and OK must fail, adding nothing.
# HZ_UI_SIZE=WxH runs it on the example scaled to that size (for
# tests/bench/speed-report.sh).
# Exit 77 (skipped) without gimp, Xvfb, xdotool or ImageMagick.
set -u

plugin=$1
weights=$2
artifacts=$3
mode=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
examples=${HARMONIZE_SOURCE_ROOT:-$here/../..}/examples

for tool in gimp Xvfb xdotool import convert; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found: skipped"; exit 77; }
done

# A temporary HOME ($tmp) with the plug-in's folder ($dir), as the plug-in's
# headless tests make it.
. "$here/../plugin/gimp-home.sh"
. "$here/../plugin/sanitizer-logs.sh"
cp "$plugin" "$dir/gimp-harmonize"
gimpdir="$XDG_CONFIG_HOME/GIMP/3.0"
# No welcome dialog: it shows when the config is older than GIMP, or asked for.
version=$(gimp --version | sed -n 's/.* version \([0-9.]*\).*/\1/p')
printf '(config-version "%s")\n(show-welcome-dialog no)\n' "$version" > "$gimpdir/gimprc"

xvfb_pid= gimp_pid=
cleanup() {
    [ -n "$gimp_pid" ] && kill "$gimp_pid" 2>/dev/null
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/gimp.log

fail() {
    echo "FAIL: $*"
    for f in "$HZ_UI_DIR"/*; do [ -f "$f" ] && echo "-- GIMP side, $(basename "$f"): $(cat "$f")"; done
    kill -0 "$gimp_pid" 2>/dev/null || echo "-- GIMP is not running"
    echo "-- GIMP's output (last lines; all of it in $artifacts/gimp.log):"
    grep -v -e '^$' "$artifacts/gimp.log" | tail -25
    if [ -n "${DISPLAY:-}" ]; then
        echo "-- windows on the screen:"
        for w in $(xdotool search --onlyvisible --name . 2>/dev/null); do
            echo "$w: $(xdotool getwindowname "$w")"
        done
        import -window root "$artifacts/screen-at-failure.png"
    fi
    exit 1
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, every 0.2 s.
wait_for() {
    end=$(( $(date +%s) + $1 )); shift
    until "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        [ -z "$gimp_pid" ] || kill -0 "$gimp_pid" 2>/dev/null || return 1
        sleep 0.2
    done
}

# preview_done N: the final result (not the quick pass) of preview request
# N has come; a message instead of a preview fails the test.
preview_done() {
    message=$(sed -n 's/.*preview message: //p' "$artifacts/gimp.log" | head -1)
    [ -z "$message" ] || fail "the preview says: $message"
    grep -q "preview $1 at working size [0-9]*: shown .*(worker [0-9]* ms)$" "$artifacts/gimp.log"
}

# requested_box N: the box of the last preview request after request N,
# and that request's number ("X Y W H N"; nothing before one comes).
requested_box() {
    sed -n 's/.*preview \([0-9]*\) requested for the box \([0-9-]*\),\([0-9-]*\) \([0-9]*\)x\([0-9]*\)$/\2 \3 \4 \5 \1/p' \
        "$artifacts/gimp.log" | awk -v n="$1" '$5 > n' | tail -1
}
request_after() { [ -n "$(requested_box "$1")" ]; }

# expect_box WHAT X Y W H TOLERANCE: the next preview request after the
# last one seen ($seen) is for about that box; sets $seen to it.
seen=0
expect_box() {
    what=$1; shift
    wait_for 60 request_after "$seen" || fail "no preview after $what"
    set -- $(requested_box "$seen") "$@"
    echo "$what: the preview is for the box $1,$2 $3x$4 (expected $6,$7 $8x$9 +-${10})"
    seen=$5
    echo "$1 $2 $3 $4 $6 $7 $8 $9 ${10}" | awk '{
        for (i = 1; i <= 4; i++) if ($i - $(i + 4) > $9 || $(i + 4) - $i > $9) exit 1 }' ||
        fail "$what gave the wrong box"
}

# The newest preview request.
last_request() {
    sed -n 's/.*preview \([0-9]*\) requested for .*/\1/p' "$artifacts/gimp.log" | tail -1
}

# The fixture: the example photo, the sheep cut out of it by its mask, and
# a rectangle GIMP's script selects (x y width height).
# HZ_UI_SIZE=WxH (a benchmark's, e.g. 6000x4000) scales the example to that size first.
export HZ_UI_DIR="$tmp/report" HZ_UI_BACKGROUND="$examples/sheep-composite.jpg" \
       HZ_UI_FOREGROUND="$tmp/sheep.png" HZ_UI_SELECTION="40 30 200 120"
mkdir -p "$HZ_UI_DIR"
mask=$examples/sheep-mask.png
if [ -n "${HZ_UI_SIZE:-}" ]; then
    convert "$HZ_UI_BACKGROUND" -resize "$HZ_UI_SIZE!" -quality 92 "$tmp/background.jpg" &&
        convert "$mask" -resize "$HZ_UI_SIZE!" "$tmp/mask.png" || fail "could not scale the fixture"
    HZ_UI_BACKGROUND=$tmp/background.jpg mask=$tmp/mask.png
fi
convert "$HZ_UI_BACKGROUND" "$mask" -alpha off \
        -compose CopyOpacity -composite "$HZ_UI_FOREGROUND" || fail "could not make the fixture"

Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb_pid=$!
wait_for 30 test -s "$tmp/display" || { echo "Xvfb did not start: skipped"; exit 77; }
export DISPLAY=":$(cat "$tmp/display")"

HARMONIZE_WEIGHTS=$weights G_MESSAGES_DEBUG=harmonize LANG=C LC_ALL=C \
    gimp -n -d -f --no-splash --batch-interpreter=python-fu-eval \
        -b "exec(open('$here/gimp_dialog_test.py').read())" "$HZ_UI_BACKGROUND" \
        >"$artifacts/gimp.log" 2>&1 &
gimp_pid=$!

# The dialog, and its first preview.
dialog=
find_dialog() { dialog=$(xdotool search --name '^Harmonize$' 2>/dev/null | head -1); [ -n "$dialog" ]; }
wait_for 180 find_dialog || fail "the dialog did not open"
echo "dialog open (window $dialog)"

if [ "$mode" = missing-weights ]; then
    message=
    weights_message() {
        message=$(sed -n 's/.*preview message: //p' "$artifacts/gimp.log" | head -1)
        [ -n "$message" ]
    }
    wait_for 120 weights_message || fail "the preview said nothing about the weights"
    echo "the preview says: $message"
    case "$message" in *weights*) ;; *) fail "that is not about the weights" ;; esac
    xdotool mousemove 1279 899
    sleep 0.5
    import -window "$dialog" "$artifacts/dialog-no-weights.png"
    xdotool windowfocus --sync "$dialog" key Return
    wait_for 120 test -f "$HZ_UI_DIR/ran" || fail "the procedure did not return after OK"
    read -r status layers names < "$HZ_UI_DIR/ran"
    echo "after OK: $status, $layers layers: $names (before: $(cat "$HZ_UI_DIR/loaded"))"
    [ "$status" = execution-error ] || fail "the procedure returned $status"
    [ "$layers" -eq "$(cat "$HZ_UI_DIR/loaded")" ] || fail "the image changed"
    sanitizer_check || fail "the plug-in's sanitizer reports (above)"
    echo ok
    exit 0
fi

wait_for 120 preview_done 1 || fail "the preview did not come"
xdotool mousemove 1279 899   # no tooltip in the pictures
sleep 0.5
import -window "$dialog" "$artifacts/dialog.png" || fail "no screenshot of the dialog"

# Where things are: each widget's place on the screen comes from the
# dialog's debug output. Both pictures show the image scaled to fit their
# widget and centred in it. to_screen NAME FX FY: the screen point at
# fractions FX, FY of the image's width and height in the widget NAME, and
# the picture's scale.
image_size=$(identify -format '%w %h' "$HZ_UI_BACKGROUND")
geometry() {
    sed -n "s/.*$1 on the screen at \([0-9-]*\),\([0-9-]*\) size \([0-9]*\)x\([0-9]*\)$/\1 \2 \3 \4/p" \
        "$artifacts/gimp.log" | tail -1
}
to_screen() {
    set -- "$(geometry "$1")" "$2" "$3"
    [ -n "$1" ] || fail "the dialog did not say where its $1 is"
    echo $1 $image_size | awk -v fx="$2" -v fy="$3" '{
        s = $3 / $5 < $4 / $6 ? $3 / $5 : $4 / $6
        printf "%d %d %f\n", $1 + int(($3 - $5 * s) / 2) + fx * $5 * s,
                             $2 + int(($4 - $6 * s) / 2) + fy * $6 * s, s }'
}
# image X: a fraction of the image's width or height, in pixels.
width_part() { echo $image_size | awk -v f="$1" '{ printf "%d", f * $1 }'; }
height_part() { echo $image_size | awk -v f="$1" '{ printf "%d", f * $2 }'; }

# click NAME: the middle of the button NAME.
click() {
    set -- $(geometry "$1")
    [ $# -eq 4 ] || fail "the dialog did not say where its button is"
    xdotool mousemove $(( $1 + $3 / 2 )) $(( $2 + $4 / 2 )) click 1
    xdotool mousemove 1279 899
    sleep 1   # the dialog waits for changes to pause before its last preview
}

# drag X0 Y0 X1 Y1: press, move in steps, release (then the pointer goes
# out of the way, so that no tooltip shows in the screenshots).
drag() {
    xdotool mousemove "$1" "$2" mousedown 1
    for step in 1 2 3 4 5 6 7 8; do
        xdotool mousemove $(( $1 + ($3 - $1) * step / 8 )) $(( $2 + ($4 - $2) * step / 8 ))
        sleep 0.05
    done
    xdotool mouseup 1
    xdotool mousemove 1279 899
    sleep 1   # the dialog waits for changes to pause before its last preview
}

seen=$(last_request)
click "selection button"
expect_box "From Selection" $HZ_UI_SELECTION 0
click "whole background button"
expect_box "Whole Background" 0 0 0 0 0

# A box drawn on the thumbnail from 15 %, 20 % to 55 %, 65 % of the image,
# to be found within a screen pixel or two; then moved by 10 %, 5 %.
set -- $(to_screen "box editor" 0.15 0.20) $(to_screen "box editor" 0.55 0.65)
tolerance=$(echo "$3" | awk '{ printf "%d", 2 / $1 + 2 }')
drag "$1" "$2" "$4" "$5"
box_w=$(width_part 0.40) box_h=$(height_part 0.45)
expect_box "drawing a box" $(width_part 0.15) $(height_part 0.20) $box_w $box_h $tolerance
set -- $(to_screen "box editor" 0.35 0.40) $(to_screen "box editor" 0.45 0.45)
drag "$1" "$2" "$4" "$5"
expect_box "moving the box" $(width_part 0.25) $(height_part 0.25) $box_w $box_h $tolerance
set -- $(requested_box "$((seen - 1))")
box="$1 $2 $3 $4"   # the moved box, as the dialog has it

request=$(last_request)
wait_for 120 preview_done "$request" || fail "no preview for the box"
grep "preview $request at working size" "$artifacts/gimp.log" | sed 's/.*: preview/preview/' |
    sed 's/^/measured: /'

# The preview's split line from the middle onto the sheep (at 68 % of the width).
set -- $(to_screen "split view" 0.5 0.5) $(to_screen "split view" 0.68 0.5)
drag "$1" "$2" "$4" "$5"
import -window "$dialog" "$artifacts/dialog-box.png"
import -window root "$artifacts/screen.png"

# OK, and the result.
xdotool windowfocus --sync "$dialog" key Return
wait_for 300 test -f "$HZ_UI_DIR/ran" || fail "the procedure did not return after OK"
read -r status layers names < "$HZ_UI_DIR/ran"
before=$(cat "$HZ_UI_DIR/loaded")
echo "after OK: $status, $layers layers: $names (before: $before)"
[ "$status" = success ] || fail "the procedure returned $status"
[ "$layers" -eq $((before + 1)) ] || fail "expected one new layer"
case "$names" in "Sheep (harmonized)|Sheep|"*) ;; *) fail "no 'Sheep (harmonized)' above 'Sheep'" ;; esac

# The box the plug-in remembers for its next run is the one moved.
settings=$(grep -l 'box-width' "$gimpdir"/plug-in-settings/*plug-in-harmonize.last 2>/dev/null | head -1)
[ -n "$settings" ] || fail "GIMP kept no settings of the run"
got=$(for key in box-x box-y box-width box-height; do
          sed -n "s/^ *($key \([0-9-]*\)).*/\1/p" "$settings" | tail -1
      done | tr '\n' ' ')
echo "box remembered by GIMP: $got"
[ "$got" = "$box " ] || fail "GIMP remembers the box $got, the dialog showed $box"

# Ctrl+Z in the image window takes the new layer away.
# GIMP's own windows have the class "Gimp"; the image window is the one
# shown (xdotool does not match titles with non-ASCII characters such as
# the image window's).
find_image_window() {
    image_window=$(xdotool search --onlyvisible --class '^Gimp$' 2>/dev/null | head -1)
    [ -n "$image_window" ]
}
wait_for 30 find_image_window || fail "no image window"
xdotool windowfocus --sync "$image_window" key ctrl+z
wait_for 90 test -f "$HZ_UI_DIR/undone" || fail "GIMP did not report after Ctrl+Z"
undone=$(cat "$HZ_UI_DIR/undone")
echo "after Ctrl+Z: $undone layers"
[ "$undone" -eq "$before" ] || fail "Ctrl+Z did not remove the harmonized layer in one step"
[ -f "$HZ_UI_DIR/error" ] && fail "$(cat "$HZ_UI_DIR/error")"

gimp_exited() { ! kill -0 "$gimp_pid" 2>/dev/null; }
wait_for 60 gimp_exited && gimp_pid=
echo "screenshots in $artifacts"
sanitizer_check || fail "the plug-in's sanitizer reports (above)"
echo ok
